package cn.libmatch;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A bounded, thread-safe pool of {@link Database} handles on one file, for
 * services that serve requests on many threads (servlets, Spring).  The C
 * library requires one handle per thread at a time; the pool hands each
 * handle to one thread at a time and reuses it afterwards, so a request
 * costs no {@code open}.
 *
 * <pre>{@code
 * DatabasePool pool = new DatabasePool(Path.of("match.db"), 8);   // a singleton bean
 * MatchList hits = pool.withDatabase(db -> db.match(Kind.PROBLEM, id, Kind.EXPERT));
 * ...
 * pool.close();                                                     // at shutdown
 * }</pre>
 *
 * <p>Handles are opened lazily, up to {@code maxSize}.  {@link #borrow()}
 * waits (up to the borrow timeout) when all are in use, then fails with
 * {@link BusyException}.  A borrowed handle is returned by closing its
 * {@link Lease}; a handle that was closed by its borrower is dropped and
 * replaced on demand.  Writes through pooled handles are fine: SQLite's WAL
 * mode lets readers go on while one writer writes, and writers wait for
 * each other up to the library's busy timeout.
 *
 * <p>Unlike a {@code ThreadLocal} handle per thread, the pool does not leak
 * handles when a container replaces its worker threads, and {@link #close()}
 * closes every handle.
 */
public final class DatabasePool implements AutoCloseable {
    private final String path;
    private final OpenFlag[] flags;
    private final int maxSize;
    private final Duration borrowTimeout;
    private final Semaphore permits;
    private final Deque<Database> idle = new ArrayDeque<>();
    private final Object lock = new Object();
    private int open;           // handles opened and not closed, idle or lent
    private boolean closed;

    /** A pool of at most `maxSize` handles on `path`; borrowing waits up to 30 seconds. */
    public DatabasePool(Path path, int maxSize, OpenFlag... flags) {
        this(path.toString(), maxSize, Duration.ofSeconds(30), flags);
    }

    /**
     * A pool of at most `maxSize` handles on `path` (a file; ":memory:"
     * would give every handle its own empty database), opened with `flags`;
     * {@link #borrow()} waits up to `borrowTimeout` for a free handle.
     */
    public DatabasePool(String path, int maxSize, Duration borrowTimeout, OpenFlag... flags) {
        if (maxSize < 1) throw new InvalidArgumentException("pool size " + maxSize + " is not at least 1");
        this.path = Objects.requireNonNull(path, "path");
        this.flags = flags.clone();
        this.maxSize = maxSize;
        this.borrowTimeout = Objects.requireNonNull(borrowTimeout, "borrowTimeout");
        this.permits = new Semaphore(maxSize, true);
    }

    /**
     * A handle for the calling thread until the lease is closed:
     * {@code try (DatabasePool.Lease l = pool.borrow()) { l.database()... }}.
     *
     * @throws BusyException         no handle became free within the borrow timeout
     * @throws InvalidStateException the pool is closed
     */
    public Lease borrow() {
        return borrow(borrowTimeout);
    }

    /** {@link #borrow()} waiting at most `timeout`. */
    public Lease borrow(Duration timeout) {
        ensureOpen();
        try {
            if (!permits.tryAcquire(timeout.toNanos(), TimeUnit.NANOSECONDS))
                throw new BusyException("no database handle of the pool on '" + path + "' became free within "
                    + timeout.toMillis() + " ms (" + maxSize + " in use)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InvalidStateException("interrupted while waiting for a database handle of '" + path + "'");
        }
        try {
            Database db;
            synchronized (lock) {
                if (closed) throw new InvalidStateException("the pool on '" + path + "' is closed");
                db = idle.pollFirst();
                if (db == null) open++;       // reserve: opened below, outside the lock
            }
            if (db == null) {
                try {
                    db = Database.open(path, flags);
                } catch (RuntimeException | Error e) {
                    synchronized (lock) {
                        open--;
                    }
                    throw e;
                }
            }
            return new Lease(db);
        } catch (RuntimeException | Error e) {
            permits.release();
            throw e;
        }
    }

    /** Run `fn` with a borrowed handle and return its result; the handle goes back afterwards. */
    public <T> T withDatabase(Function<? super Database, ? extends T> fn) {
        try (Lease l = borrow()) {
            return fn.apply(l.database());
        }
    }

    /** Run `action` with a borrowed handle. */
    public void useDatabase(Consumer<? super Database> action) {
        try (Lease l = borrow()) {
            action.accept(l.database());
        }
    }

    private void giveBack(Database db) {
        boolean close;
        synchronized (lock) {
            close = closed || db.isClosed();
            if (close) open--;
            else idle.addFirst(db);        // most recently used first: its pages are warm
        }
        if (close) db.close();
        permits.release();
    }

    private void ensureOpen() {
        synchronized (lock) {
            if (closed) throw new InvalidStateException("the pool on '" + path + "' is closed");
        }
    }

    /** The most handles the pool opens. */
    public int maxSize() {
        return maxSize;
    }

    /** Handles open now (idle or lent). */
    public int openCount() {
        synchronized (lock) {
            return open;
        }
    }

    /** Handles open and not lent. */
    public int idleCount() {
        synchronized (lock) {
            return idle.size();
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    /**
     * Close the pool: idle handles now, lent ones when their leases are
     * closed.  Borrowing afterwards fails with {@link InvalidStateException}.
     * Closing twice is fine.
     */
    @Override
    public void close() {
        Deque<Database> toClose;
        synchronized (lock) {
            closed = true;
            toClose = new ArrayDeque<>(idle);
            open -= idle.size();
            idle.clear();
        }
        for (Database db : toClose) db.close();
    }

    @Override
    public String toString() {
        synchronized (lock) {
            return "DatabasePool[" + path + ", " + open + " open, " + idle.size() + " idle, max " + maxSize
                + (closed ? ", closed" : "") + "]";
        }
    }

    /** A handle lent to one thread; close the lease to give it back (closing twice is fine). */
    public final class Lease implements AutoCloseable {
        private final Database db;
        private final AtomicBoolean returned = new AtomicBoolean();

        private Lease(Database db) {
            this.db = db;
        }

        /**
         * The lent handle.  Use it on the borrowing thread only, and not after
         * the lease is closed; do not close it (close the lease).
         *
         * @throws InvalidStateException the lease is closed
         */
        public Database database() {
            if (returned.get()) throw new InvalidStateException("this lease of a database of '" + path + "' is closed");
            return db;
        }

        /** Give the handle back to the pool. */
        @Override
        public void close() {
            if (returned.compareAndSet(false, true)) giveBack(db);
        }
    }
}
