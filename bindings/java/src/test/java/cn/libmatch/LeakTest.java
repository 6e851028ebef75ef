package cn.libmatch;

import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;

import cn.libmatch.TestRunner.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** No handle, descriptor, mapping or memory leaks over many open/close cycles. */
public class LeakTest {

    static long fds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    static long maps() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).size();
    }

    /** Resident set size in kB. */
    static long rssKb() throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/self/status")))
            if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
        throw new IOException("no VmRSS in /proc/self/status");
    }

    static void cycle(Path db, int i) {
        try (Database d = (i & 1) == 0 ? Database.open(db, OpenFlag.READONLY) : Database.open(db)) {
            if (d.count(Kind.PROBLEM) != 43) throw new AssertionError("count");
            if (i % 500 == 0) d.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT);
        }
    }

    @Test(1)
    void tenThousandOpenCloseCycles() throws Exception {
        Path db = Fixtures.sampleDb();
        int handles = Database.openHandles();
        for (int i = 0; i < 500; i++) cycle(db, i);            // warm up: JIT, page cache, dictionary
        System.gc();
        long fd0 = fds(), maps0 = maps(), rss0 = rssKb();
        for (int i = 0; i < 10_000; i++) cycle(db, i);
        System.gc();
        long fd1 = fds(), maps1 = maps(), rss1 = rssKb();
        System.out.printf("#   10,000 cycles: fds %d -> %d, maps %d -> %d, RSS %d -> %d kB%n",
                          fd0, fd1, maps0, maps1, rss0, rss1);
        eq(handles, Database.openHandles(), "every handle closed");
        ok(fd1 <= fd0 + 2, "descriptors bounded: " + fd0 + " -> " + fd1);
        ok(maps1 <= maps0 + 32, "memory mappings bounded: " + maps0 + " -> " + maps1);
        // A leaked SQLite connection costs far more than 2 kB; 10,000 of them would show.
        ok(rss1 - rss0 < 20 * 1024, "RSS bounded: " + rss0 + " -> " + rss1 + " kB");
    }

    @Test(2)
    void failedOpensLeakNothing() throws Exception {
        Path text = Fixtures.file("leak-not-a-db.txt");
        Files.writeString(text, "not a database\n".repeat(300));
        int handles = Database.openHandles();
        for (int i = 0; i < 50; i++) expectFailure(text);
        long fd0 = fds();
        for (int i = 0; i < 1000; i++) expectFailure(text);
        ok(fds() <= fd0 + 2, "descriptors bounded after failed opens");
        eq(handles, Database.openHandles(), "no handle");
    }

    private static void expectFailure(Path p) {
        try {
            Database.open(p).close();
            throw new AssertionError("opened " + p);
        } catch (DatabaseException expected) {
            // as it should
        }
    }

    @Test(3)
    void unclosedDatabasesAreClosedByTheCleaner() throws Exception {
        int handles = Database.openHandles();
        for (int i = 0; i < 200; i++) Database.open(Fixtures.sampleDb(), OpenFlag.READONLY).count();
        ok(Database.openHandles() >= handles, "opened");
        for (int i = 0; i < 100 && Database.openHandles() > handles; i++) {
            System.gc();
            Thread.sleep(50);
        }
        eq(handles, Database.openHandles(), "the cleaner closed every unreachable database");
    }
}
