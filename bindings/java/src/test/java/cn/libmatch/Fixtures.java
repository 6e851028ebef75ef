package cn.libmatch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The sample database and temporary files shared by the tests. */
final class Fixtures {
    private Fixtures() {}

    private static Path tmp;
    private static Path sample;

    static Path data() {
        return Path.of(prop("libmatch.data"));
    }

    static String prop(String name) {
        String v = System.getProperty(name);
        if (v == null || v.isEmpty()) throw new IllegalStateException("system property " + name + " is not set");
        return v;
    }

    static synchronized Path tmp() {
        if (tmp == null) {
            try {
                tmp = Files.createTempDirectory("libmatch-java-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tmp;
    }

    static Path file(String name) {
        return tmp().resolve(name);
    }

    /** Load the sample libraries as examples/demo.sh does: user words, synonyms, then the records. */
    static void loadSample(Database db) {
        loadSample(db, true);
    }

    /** The same; {@code vectors} false: without the loader's semantic space. */
    static void loadSample(Database db, boolean vectors) {
        try {
            for (String line : Files.readAllLines(data().resolve("userdict.txt"), StandardCharsets.UTF_8)) {
                String l = line.replaceAll("#.*", "").trim();
                if (l.isEmpty()) continue;
                String[] p = l.split("\\s+");
                db.addWord(p[0], p.length > 1 ? Long.parseLong(p[1]) : 0);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        db.loadSynonyms(data().resolve("synonyms.tsv"));
        for (String f : new String[] {"problems", "achievements", "experts"})
            db.load(data().resolve(f + ".jsonl"), LoadPolicy.ATOMIC, vectors);
    }

    /** A database file holding the sample libraries (built once; open it read-only or with care). */
    static synchronized Path sampleDb() {
        if (sample == null) {
            Path p = file("sample.db");
            try (Database db = Database.open(p)) {
                loadSample(db);
            }
            sample = p;
        }
        return sample;
    }

    static void cleanup() {
        if (tmp == null) return;
        try (Stream<Path> s = Files.walk(tmp)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
