package cn.libmatch;

import static cn.libmatch.Check.contains;
import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;
import static cn.libmatch.Check.raises;
import static cn.libmatch.Check.raisesExactly;

import cn.libmatch.TestRunner.Test;

import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/** Records: put, get, delete, count, stats, loads with reports, scan and export. */
public class RecordsTest {

    static final String P1 = "{\"id\":\"P-1\",\"kind\":\"problem\",\"title\":\"锂电池热失控预警\","
        + "\"description\":\"储能电站需要提前预警。\",\"keywords\":[\"锂电池\",\"热失控\"],\"fields\":[\"新能源\"],"
        + "\"region\":\"陕西省西安市\",\"meta\":{\"budget_wan\":50,\"tags\":[1,2.5,null]}}";

    @Test(1)
    void putGetDeleteCount() throws Exception {
        try (Database db = Database.openInMemory()) {
            eq(0L, db.count(), "empty");
            db.put(P1);
            eq(1L, db.count(), "count");
            eq(1L, db.count(Kind.PROBLEM), "count problems");
            eq(0L, db.count(Kind.EXPERT), "count experts");
            Map<String, Object> r = db.getObject(Kind.PROBLEM, "P-1");
            eq("锂电池热失控预警", r.get("title"), "title back");
            eq(Json.object(P1).get("meta"), r.get("meta"), "meta verbatim");
            eq(db.get(Kind.PROBLEM, "P-1"), db.find(Kind.PROBLEM, "P-1").orElse(null), "find = get");
            ok(db.find(Kind.ACHIEVEMENT, "P-1").isEmpty(), "kinds are separate");
            // replace
            db.put(Map.of("id", "P-1", "kind", "problem", "title", "新标题"));
            eq("新标题", db.getObject(Kind.PROBLEM, "P-1").get("title"), "put replaces");
            eq(1L, db.count(), "still one");
            db.delete(Kind.PROBLEM, "P-1");
            eq(0L, db.count(), "deleted");
            raisesExactly(NotFoundException.class, LibmatchException.LM_ENOTFOUND, () -> db.delete(Kind.PROBLEM, "P-1"));
            ok(!db.isClosed(), "open");
        }
    }

    @Test(2)
    void statsMatchCounts() {
        try (Database db = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY)) {
            Map<String, Object> s = db.stats();
            Map<?, ?> rec = (Map<?, ?>) s.get("records");
            eq(db.count(Kind.PROBLEM), rec.get("problem"), "problems");
            eq(db.count(Kind.ACHIEVEMENT), rec.get("achievement"), "achievements");
            eq(db.count(Kind.EXPERT), rec.get("expert"), "experts");
            eq(117L, db.count(), "the sample has 117 records");
            eq(db.analyzerId(), s.get("analyzer"), "analyzer id");
            ok(((Number) s.get("synonyms")).longValue() > 0, "synonyms stored");
            ok(((Number) s.get("user_words")).longValue() > 0, "user words stored");
            eq(EnumSet.of(OpenFlag.READONLY), db.flags(), "flags");
        }
    }

    @Test(3)
    void loadReportsBadLines() {
        String good2 = "{\"id\":\"A-1\",\"kind\":\"achievement\",\"title\":\"固态电池\",\"maturity\":6}";
        String jsonl = P1 + "\n\n" + "{\"id\":\"P-2\",\"kind\":\"problem\",\"title\":7}\n" + good2 + "\n{oops\n";
        try (Database db = Database.openInMemory()) {
            InvalidRecordException e = raises(InvalidRecordException.class, () -> db.loadJsonl(jsonl, LoadPolicy.ATOMIC));
            eq(LibmatchException.LM_ERECORD, e.code(), "code of the first bad line");
            contains(e.getMessage(), "title", "names the field");
            LoadReport r = e.loadReport().orElseThrow(() -> new AssertionError("no report on the exception"));
            eq(3L, r.errors().get(0).line(), "the bad line's number");
            eq("P-2", r.errors().get(0).id(), "the bad line's id");
            eq(0L, db.count(), "atomic: nothing stored");

            LoadReport s = db.loadJsonl(jsonl, LoadPolicy.SKIP_BAD);
            eq(2L, s.loaded(), "good lines stored");
            eq(2L, s.skipped(), "bad lines skipped");
            eq(2, s.errors().size(), "errors reported");
            eq(3L, s.errors().get(0).line(), "line of the bad record");
            contains(s.errors().get(0).reason(), "title", "reason names the field");
            eq(5L, s.errors().get(1).line(), "line of the malformed JSON");
            eq("", s.errors().get(1).id(), "no id for malformed JSON");
            eq(2L, db.count(), "stored");
        }
        try (Database db = Database.openInMemory()) {
            LoadReport r = db.loadRecords(List.of(P1, "{\"id\":\"E-1\",\n\"kind\":\"expert\",\"name\":\"王\"}"),
                                          LoadPolicy.ATOMIC);
            eq(2L, r.loaded(), "records with line breaks in their JSON");
            LoadReport r2 = db.loadBuffer(good2.getBytes(StandardCharsets.UTF_8), LoadPolicy.ATOMIC);
            eq(1L, r2.loaded(), "buffer");
            eq(3L, db.count(), "all stored");
        }
    }

    @Test(4)
    void loadFileAndMissingFile() throws Exception {
        Path f = Fixtures.file("two.jsonl");
        Files.writeString(f, P1 + "\n{\"id\":\"E-1\",\"kind\":\"expert\",\"name\":\"王\"}", StandardCharsets.UTF_8);
        try (Database db = Database.openInMemory()) {
            eq(2L, db.load(f).loaded(), "no final newline is fine");
            FileAccessException e = raisesExactly(FileAccessException.class, LibmatchException.LM_EIO,
                                                  () -> db.load(Fixtures.file("missing.jsonl")));
            contains(e.getMessage(), "missing.jsonl", "names the file");
        }
    }

    @Test(5)
    void scanAndExportRoundTrip() throws Exception {
        Path out = Fixtures.file("export.jsonl");
        try (Database db = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY)) {
            List<StoredRecord> all = db.records(null);
            eq(117, all.size(), "every record");
            eq(Kind.PROBLEM, all.get(0).kind(), "problems first");
            eq("P-001", all.get(0).id(), "in storage order");
            eq(Kind.EXPERT, all.get(all.size() - 1).kind(), "experts last");
            for (StoredRecord r : all.subList(0, 5)) eq(db.get(r.kind(), r.id()), r.json(), "scan gives get's JSON");
            eq(45, db.records(Kind.ACHIEVEMENT).size(), "one kind");
            eq(117L, db.export(null, out), "export count");
            StringWriter w = new StringWriter();
            db.export(Kind.EXPERT, w);
            eq(29L, w.toString().lines().count(), "export to a writer");
            // A consumer's exception stops the scan and comes back unchanged.
            List<String> seen = new ArrayList<>();
            IllegalStateException stop = raises(IllegalStateException.class, () -> db.scan(null, r -> {
                seen.add(r.id());
                if (seen.size() == 3) throw new IllegalStateException("enough");
            }));
            eq("enough", stop.getMessage(), "the consumer's exception");
            eq(3, seen.size(), "stopped at the third record");
            try (Database copy = Database.openInMemory()) {
                copy.load(out);
                // Writing to the scanned handle from its consumer is refused; reading is fine.
                MisuseException mis = raisesExactly(MisuseException.class, LibmatchException.LM_EMISUSE,
                    () -> copy.scan(Kind.PROBLEM, r -> copy.delete(r.kind(), r.id())));
                contains(mis.getMessage(), "another handle", "says what to do");
                copy.scan(Kind.EXPERT, r -> copy.get(r.kind(), r.id()));
                eq(117L, copy.count(), "export loads back");
                for (StoredRecord r : all) eq(r.json(), copy.get(r.kind(), r.id()), "same record " + r.id());
            }
        }
    }

    @Test(6)
    void openFlags() {
        try (Database plain = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY);
             Database nommap = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY, OpenFlag.NO_MMAP);
             Database reindex = Database.open(Fixtures.sampleDb().toString(), OpenFlag.REINDEX)) {
            MatchList a = plain.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT);
            eq(a, nommap.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT), "NO_MMAP: the same results");
            eq(a, reindex.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT), "REINDEX of a current database: the same");
            eq(EnumSet.of(OpenFlag.READONLY, OpenFlag.NO_MMAP), nommap.flags(), "flags");
            InvalidStateException ro = raisesExactly(InvalidStateException.class, LibmatchException.LM_ESTATE,
                () -> plain.put("{\"id\":\"P-ro\",\"kind\":\"problem\"}"));
            contains(ro.getMessage(), "read-only", "READONLY refuses writes");
        }
    }

    @Test(7)
    void closedDatabase() {
        Database db = Database.openInMemory();
        db.close();
        db.close();
        ok(db.isClosed(), "closed");
        InvalidStateException e = raisesExactly(InvalidStateException.class, LibmatchException.LM_ESTATE, db::count);
        contains(e.getMessage(), "closed", "says it is closed");
        raises(InvalidStateException.class, () -> db.match(Kind.PROBLEM, "P-1", Kind.EXPERT));
        contains(db.toString(), "closed", "toString");
    }

    @Test(8)
    void progressListenerReportsAndInterrupts() {
        StringBuilder jsonl = new StringBuilder();
        for (int i = 0; i < 3000; i++)
            jsonl.append("{\"id\":\"P-").append(i).append("\",\"kind\":\"problem\",\"title\":\"第").append(i)
                 .append("号难题：5G基站散热\"}\n");
        try (Database db = Database.openInMemory()) {
            List<String> stages = new ArrayList<>();
            db.setProgressListener((stage, done, total) -> {
                stages.add(stage);
                return true;
            });
            eq(3000L, db.loadJsonl(jsonl.toString(), LoadPolicy.ATOMIC).loaded(), "loaded with a listener");
            // The load, then the semantic space the loader keeps (3,000 records).
            ok(!stages.isEmpty() && stages.get(0).equals("load")
               && stages.stream().allMatch(s -> s.equals("load") || s.equals("vectors"))
               && stages.indexOf("vectors") < 0 == (stages.lastIndexOf("load") == stages.size() - 1),
               "progress of stage load, then vectors: " + stages);
            db.setProgressListener((stage, done, total) -> false);
            raisesExactly(InvalidStateException.class, LibmatchException.LM_ESTATE,
                          () -> db.loadJsonl(jsonl.toString().replace("P-", "Q-"), LoadPolicy.ATOMIC));
            eq(3000L, db.count(), "an interrupted load changes nothing");
            db.setProgressListener((stage, done, total) -> {
                throw new UnsupportedOperationException("listener failed");
            });
            UnsupportedOperationException u = raises(UnsupportedOperationException.class,
                () -> db.loadJsonl(jsonl.toString().replace("P-", "R-"), LoadPolicy.ATOMIC));
            eq("listener failed", u.getMessage(), "the listener's exception comes back");
            eq(3000L, db.count(), "still nothing changed");
            db.setProgressListener(null);
            eq(3000L, db.loadJsonl(jsonl.toString().replace("P-", "S-"), LoadPolicy.ATOMIC).loaded(), "listener off");
        }
    }

    @Test(9)
    void busyTimeoutWaitsForAnotherConnectionsLock() throws Exception {
        Path dir = Files.createTempDirectory("libmatch-busy");
        Path file = dir.resolve("busy.db");
        try (Database w = Database.open(file)) {
            w.put(Map.of("id", "P-1", "kind", "problem", "title", "5G基站散热"));
            eq(Database.DEFAULT_BUSY_TIMEOUT, w.busyTimeout(), "default");
            raises(OutOfRangeException.class, () -> w.setBusyTimeout(java.time.Duration.ofMillis(-1)));
            raises(OutOfRangeException.class, () -> w.setBusyTimeout(Database.MAX_BUSY_TIMEOUT.plusMillis(1)));
            raises(NullPointerException.class, () -> w.setBusyTimeout(null));
            eq(Database.DEFAULT_BUSY_TIMEOUT, w.busyTimeout(), "unchanged by the refusals");
        }
        // Another process holds the write lock for 2 s.
        String py = System.getenv().getOrDefault("PY", "/usr/bin/python3");
        Process holder = new ProcessBuilder(py, "-c",
            "import sqlite3, sys, time\n"
            + "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            + "c.execute('BEGIN IMMEDIATE')\n"
            + "print('locked', flush=True)\n"
            + "time.sleep(2)\n"
            + "c.execute('ROLLBACK')\n", file.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (Database db = Database.open(file)) {
            eq("locked", new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream(),
                StandardCharsets.UTF_8)).readLine(), "the other process holds the lock");
            db.setBusyTimeout(java.time.Duration.ZERO);
            eq(java.time.Duration.ZERO, db.busyTimeout(), "zero");
            // Zero fails at once (a call that waited would succeed after 2 s) and loses nothing.
            raises(BusyException.class, () -> db.put(Map.of("id", "P-2", "kind", "problem", "title", "PEM燃料电池")));
            db.setBusyTimeout(java.time.Duration.ofMinutes(1));
            db.put(Map.of("id", "P-2", "kind", "problem", "title", "PEM燃料电池"));   // waits for the lock to go
            eq(2L, db.count(Kind.PROBLEM), "both stored");
            eq("5G基站散热", db.getObject(Kind.PROBLEM, "P-1").get("title"), "the first one kept");
        } finally {
            holder.waitFor();
        }
    }
}
