package cn.libmatch;

import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;
import static cn.libmatch.Check.raises;

import cn.libmatch.TestRunner.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** DatabasePool: bounds, reuse, close; 8 threads matching while another loads. */
public class PoolTest {

    static Path copyOfSample(String name) throws Exception {
        Path p = Fixtures.file(name);
        Files.copy(Fixtures.sampleDb(), p, StandardCopyOption.REPLACE_EXISTING);
        return p;
    }

    @Test(1)
    void boundedReusedAndClosed() throws Exception {
        int handles = Database.openHandles();
        Path file = copyOfSample("pool1.db");
        DatabasePool pool = new DatabasePool(file.toString(), 2, Duration.ofSeconds(5));
        DatabasePool.Lease a = pool.borrow(), b = pool.borrow();
        ok(a.database() != b.database(), "two handles");
        eq(2, pool.openCount(), "opened lazily, two");
        BusyException busy = raises(BusyException.class, () -> pool.borrow(Duration.ofMillis(50)));
        ok(busy.getMessage().contains("pool"), "says the pool is exhausted: " + busy.getMessage());
        Database first = a.database();
        a.close();
        a.close();                                   // twice is fine
        raises(InvalidStateException.class, a::database);
        try (DatabasePool.Lease c = pool.borrow()) {
            ok(c.database() == first, "the idle handle is reused");
            eq(117L, c.database().count(), "works");
        }
        eq(1, pool.idleCount(), "one idle");
        // A borrower that closes its handle: dropped, replaced on demand.
        try (DatabasePool.Lease c = pool.borrow()) {
            c.database().close();
        }
        eq(1, pool.openCount(), "closed handle dropped");
        eq(117L, (long) pool.withDatabase(Database::count), "withDatabase");
        pool.close();
        eq(1, pool.openCount(), "the lent handle stays open until returned");
        raises(InvalidStateException.class, pool::borrow);
        b.close();
        eq(0, pool.openCount(), "all closed");
        pool.close();
        eq(handles, Database.openHandles(), "no handle left open");
    }

    @Test(2)
    void eightMatchersWhileOneLoads() throws Exception {
        int handles = Database.openHandles();
        Path file = copyOfSample("pool8.db");
        final int matchers = 8, rounds = 25, batches = 15, perBatch = 20;
        final MatchOptions opts = MatchOptions.defaults().set("k", 5);     // one immutable value shared by all
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        AtomicInteger matches = new AtomicInteger();
        AtomicBoolean loading = new AtomicBoolean(true);
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        try (DatabasePool pool = new DatabasePool(file, matchers + 1)) {
            for (int t = 0; t < matchers; t++) {
                final int id = t;
                threads.add(new Thread(() -> {
                    try {
                        start.await();
                        long lastCount = 0;
                        for (int r = 0; r < rounds; r++) {
                            try (DatabasePool.Lease l = pool.borrow()) {
                                Database db = l.database();
                                String p = String.format("P-%03d", 1 + (id * rounds + r) % 10);
                                MatchList a = db.match(Kind.PROBLEM, p, Kind.ACHIEVEMENT, opts);
                                MatchList e = db.match(Kind.PROBLEM, p, Kind.EXPERT, opts);
                                if (a.isEmpty() || e.isEmpty() || a.size() > 5) throw new AssertionError(p + ": " + a + e);
                                if (p.equals("P-001") && !a.get(0).id().equals("A-001"))
                                    throw new AssertionError("P-001 -> " + a.ids());
                                long n = db.count(Kind.PROBLEM);
                                if (n < lastCount) throw new AssertionError("count went back: " + n + " < " + lastCount);
                                lastCount = n;
                                matches.addAndGet(2);
                            }
                        }
                    } catch (Throwable x) {
                        failures.add(x);
                    }
                }, "matcher-" + t));
            }
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int b = 0; b < batches; b++) {
                        List<String> recs = new ArrayList<>();
                        for (int i = 0; i < perBatch; i++)
                            recs.add(Json.write(java.util.Map.of("id", "P-新" + b + "-" + i, "kind", "problem",
                                "title", "第" + b + "批第" + i + "号：5G基站储能与PEM燃料电池备用电源",
                                "fields", List.of("新能源"), "region", "陕西省宝鸡市")));
                        try (DatabasePool.Lease l = pool.borrow()) {
                            eq((long) perBatch, l.database().loadRecords(recs, LoadPolicy.ATOMIC).loaded(), "batch");
                        }
                    }
                } catch (Throwable x) {
                    failures.add(x);
                } finally {
                    loading.set(false);
                }
            }, "loader"));
            for (Thread t : threads) t.start();
            start.countDown();
            for (Thread t : threads) t.join(120_000);
            for (Thread t : threads) ok(!t.isAlive(), t.getName() + " finished");
            if (!failures.isEmpty()) {
                AssertionError a = new AssertionError(failures.size() + " thread(s) failed: " + failures.peek());
                a.initCause(failures.peek());
                throw a;
            }
            eq(matchers * rounds * 2, matches.get(), "every match ran");
            eq(117L + batches * perBatch, (long) pool.withDatabase(Database::count), "every record loaded");
            ok(pool.openCount() <= matchers + 1, "bounded: " + pool.openCount());
        }
        eq(handles, Database.openHandles(), "the pool closed every handle");
    }

    @Test(3)
    void oneDatabaseSharedByThreadsIsSerialized() throws Exception {
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        try (Database db = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY)) {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                threads.add(new Thread(() -> {
                    try {
                        for (int i = 0; i < 10; i++)
                            if (!db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT).get(0).id().equals("A-001"))
                                throw new AssertionError("wrong top hit");
                    } catch (Throwable x) {
                        failures.add(x);
                    }
                }));
            }
            for (Thread t : threads) t.start();
            for (Thread t : threads) t.join();
        }
        ok(failures.isEmpty(), "no failure: " + failures);
    }
}
