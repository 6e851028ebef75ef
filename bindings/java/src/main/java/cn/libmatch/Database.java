package cn.libmatch;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An open libmatch database: one SQLite file (or an in-memory database)
 * holding the three libraries (problems, achievements, experts), with
 * matching in every direction.
 *
 * <pre>{@code
 * try (Database db = Database.open(Path.of("match.db"))) {
 *     db.load(Path.of("problems.jsonl"));
 *     for (Match m : db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, MatchOptions.defaults().set("k", 5)))
 *         System.out.printf("%s %.3f %s%n", m.id(), m.score(), m.label());
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> The C library requires one handle per thread at a time.
 * A {@code Database} serializes its own calls (a call from a second thread
 * waits until the first returns), so sharing one is safe but not parallel.
 * For parallel work open one per thread, or borrow from a
 * {@link DatabasePool}; any number of handles may use the same file (readers
 * go on while one writer writes).
 *
 * <p><b>Resources.</b> Close it (try-with-resources).  A database that
 * becomes unreachable without being closed is closed by a cleaner, but do
 * not rely on it: the file stays open until the garbage collector runs.
 *
 * <p><b>Errors.</b> Every method throws a {@link LibmatchException} subclass
 * with the library's message when the C call fails, and
 * {@link InvalidStateException} once the database is closed.
 */
public final class Database implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final AtomicInteger OPEN_HANDLES = new AtomicInteger();

    /** The native handle, closed once: by close() or by the cleaner. */
    private static final class Handle implements Runnable {
        volatile Pointer p;

        Handle(Pointer p) {
            this.p = p;
        }

        @Override
        public void run() {
            Pointer q = p;
            p = null;
            if (q != null) {
                C.lm_close(q);
                OPEN_HANDLES.decrementAndGet();
            }
        }
    }

    @FunctionalInterface
    private interface Call<T> {
        T call(Pointer h);
    }

    private final Object lock = new Object();
    private final Handle handle;
    private final Cleaner.Cleanable cleanable;
    private final String path;
    private final Set<OpenFlag> flags;
    private C.ProgressFn progressFn;               // kept reachable while the C side holds it
    private RuntimeException progressFailure;
    private boolean scanning;                      // inside lm_scan (guarded by lock)
    private Error progressError;

    private Database(Pointer h, String path, Set<OpenFlag> flags) {
        this.handle = new Handle(h);
        this.cleanable = CLEANER.register(this, handle);
        this.path = path;
        this.flags = flags;
    }

    // ---- opening and closing ------------------------------------------------------------------

    /**
     * Open (creating it if needed, unless {@link OpenFlag#READONLY}) the
     * database at `path`.
     *
     * @throws DatabaseException     the file cannot be used as a database
     *                               ({@link NotADatabaseException} when it is not one)
     * @throws FileAccessException   it cannot be opened or created
     * @throws MismatchException     built with another analyzer version (use {@link OpenFlag#REINDEX})
     * @throws DictionaryException   the word dictionary is missing
     */
    public static Database open(Path path, OpenFlag... flags) {
        Objects.requireNonNull(path, "path");
        if (path.getFileSystem() != FileSystems.getDefault())
            throw new InvalidArgumentException("libmatch opens files of the default file system only, not " + path.toUri());
        return open(path.toString(), flags);
    }

    /** Open the database at `path`, or an in-memory one for ":memory:". */
    public static Database open(String path, OpenFlag... flags) {
        Objects.requireNonNull(path, "path");
        Set<OpenFlag> set = EnumSet.noneOf(OpenFlag.class);
        int bits = 0;
        for (OpenFlag f : flags) {
            set.add(Objects.requireNonNull(f, "flag"));
            bits |= f.bit;
        }
        byte[] p = Text.cstr(path, "database path");
        PointerByReference out = new PointerByReference();
        int rc = C.lm_open(out, p, bits);
        Pointer h = out.getValue();
        if (rc != 0) {
            String msg = h != null ? Text.str(C.lm_errmsg(h))
                                   : "cannot open database '" + path + "': " + Libmatch.errorString(rc);
            C.lm_close(h);      // set even on failure when a handle could be allocated
            throw LibmatchException.of(rc, msg);
        }
        OPEN_HANDLES.incrementAndGet();
        return new Database(h, path, Collections.unmodifiableSet(set));
    }

    /** A new, empty in-memory database (gone when closed). */
    public static Database openInMemory() {
        return open(":memory:");
    }

    /** Close the database and free its handle.  Closing twice is fine. */
    @Override
    public void close() {
        synchronized (lock) {
            cleanable.clean();
            progressFn = null;
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return handle.p == null;
    }

    /** The path it was opened with. */
    public String path() {
        return path;
    }

    /** The flags it was opened with. */
    public Set<OpenFlag> flags() {
        return flags;
    }

    /** The default of {@link #setBusyTimeout(Duration)} (LM_BUSY_TIMEOUT_MS). */
    public static final Duration DEFAULT_BUSY_TIMEOUT = Duration.ofMillis(10000);
    /** The longest busy timeout (LM_MAX_BUSY_TIMEOUT_MS). */
    public static final Duration MAX_BUSY_TIMEOUT = Duration.ofHours(1);
    /** The smallest memory bound of batch matching other than 0 (LM_MIN_BATCH_MEMORY), 64 KiB. */
    public static final long MIN_BATCH_MEMORY = 65536;

    private Duration busyTimeout = DEFAULT_BUSY_TIMEOUT;
    private long batchMemory;                      // guarded by lock

    /**
     * How long a call waits for a database another connection has locked (a
     * writer committing) before it throws {@link BusyException}:
     * {@link Duration#ZERO} throws at once; {@link #DEFAULT_BUSY_TIMEOUT} by
     * default, at most {@link #MAX_BUSY_TIMEOUT}; millisecond precision
     * (lm_set_busy_timeout).  A service answering under a deadline sets it
     * below that deadline.
     *
     * @throws OutOfRangeException   negative or longer than {@link #MAX_BUSY_TIMEOUT}
     * @throws InvalidStateException closed
     */
    public void setBusyTimeout(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        int ms = timeout.isNegative() || timeout.compareTo(MAX_BUSY_TIMEOUT) > 0 ? -1 : (int) timeout.toMillis();
        with(h -> {
            check(h, C.lm_set_busy_timeout(h, ms));
            busyTimeout = Duration.ofMillis(ms);
            return null;
        });
    }

    /** The busy timeout in use ({@link #setBusyTimeout(Duration)}). */
    public Duration busyTimeout() {
        synchronized (lock) {
            return busyTimeout;
        }
    }

    /**
     * Bound the memory {@link #batchMatch(Kind, Kind, int)} holds on this
     * handle to about `bytes`: 0 (the default) for no bound, else at least
     * {@link #MIN_BATCH_MEMORY}.  Beyond the bound the vectors are read in
     * ranges rather than loaded whole: the same hits and scores, more passes
     * over the database (lm_set_batch_memory).
     *
     * @throws OutOfRangeException   neither 0 nor at least {@link #MIN_BATCH_MEMORY}
     *                               (the bound in use stays)
     * @throws InvalidStateException closed
     */
    public void setBatchMemory(long bytes) {
        with(h -> {
            check(h, C.lm_set_batch_memory(h, bytes));
            batchMemory = bytes;
            return null;
        });
    }

    /** The memory bound of batch matching in bytes, 0 for none ({@link #setBatchMemory(long)}). */
    public long batchMemory() {
        synchronized (lock) {
            return batchMemory;
        }
    }

    /** Handles opened and not closed yet in this process (for leak checks). */
    static int openHandles() {
        return OPEN_HANDLES.get();
    }

    @Override
    public String toString() {
        return "Database[" + path + (flags.isEmpty() ? "" : " " + flags) + (isClosed() ? " closed" : "") + "]";
    }

    /** {@link #with} for a call that writes: not from inside a scan of this handle. */
    private <T> T write(Call<T> c) {
        synchronized (lock) {
            if (scanning)
                throw new MisuseException("a scan's consumer must not write to the database it scans ('" + path
                    + "'); write through another handle");
            return with(c);
        }
    }

    /** Run a native call with the handle, under the lock, keeping this object alive. */
    private <T> T with(Call<T> c) {
        synchronized (lock) {
            Pointer h = handle.p;
            if (h == null) throw new InvalidStateException("the database '" + path + "' is closed");
            try {
                return c.call(h);
            } finally {
                Reference.reachabilityFence(this);
            }
        }
    }

    /** Throw the exception for a failed call (rc != 0) with the handle's message. */
    private void check(Pointer h, int rc) {
        check(rc, rc != 0 ? Text.str(C.lm_errmsg(h)) : null);
    }

    /**
     * {@link #check(Pointer, int)} with the message read already: first what
     * the progress listener threw, then the exception for rc.
     */
    private void check(int rc, String message) {
        RuntimeException pf = progressFailure;
        Error pe = progressError;
        progressFailure = null;
        progressError = null;
        if (pe != null) throw pe;
        if (pf != null) throw pf;
        if (rc != 0) throw LibmatchException.of(rc, message);
    }

    // ---- records ------------------------------------------------------------------------------

    /**
     * Insert or replace one record given as JSON.  One transaction: on error
     * nothing changes.
     *
     * @throws MalformedJsonException  not JSON
     * @throws InvalidRecordException  not a valid record (the message names the field)
     * @throws InvalidUtf8Exception    text that is not valid Unicode
     * @throws TooBigException         over a limit (id, field, list, depth)
     */
    public void put(String json) {
        put(Text.utf8(json, "record"));
    }

    /** {@link #put(String)} for JSON given as UTF-8 bytes (checked by the library). */
    public void put(byte[] json) {
        write(h -> {
            check(h, C.lm_put(h, json, new C.SizeT(json.length)));
            return null;
        });
    }

    /**
     * Insert or replace a record given as a map ({@code "id"}, {@code
     * "kind"}, {@code "title"}, lists as {@code List}s, ...), written as
     * JSON by {@link Json#write}.
     */
    public void put(Map<String, ?> record) {
        put(Json.write(record));
    }

    /**
     * The stored record as JSON (normalized key order; "meta" verbatim).
     *
     * @throws NotFoundException no record of that kind and id
     */
    public String get(Kind kind, String id) {
        byte[] i = Text.cstr(id, "id");
        return with(h -> {
            PointerByReference out = new PointerByReference();
            check(h, C.lm_get(h, kind.code, i, out));
            return C.take(out);
        });
    }

    /** The stored record as JSON, or empty when there is none. */
    public Optional<String> find(Kind kind, String id) {
        try {
            return Optional.of(get(kind, id));
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    /** The stored record parsed ({@link Json#object}). */
    public Map<String, Object> getObject(Kind kind, String id) {
        return Json.object(get(kind, id));
    }

    /**
     * Delete a record.
     *
     * @throws NotFoundException no record of that kind and id
     */
    public void delete(Kind kind, String id) {
        byte[] i = Text.cstr(id, "id");
        write(h -> {
            check(h, C.lm_delete(h, kind.code, i));
            return null;
        });
    }

    /** Number of records of all kinds. */
    public long count() {
        return countOf(0);
    }

    /** Number of records of `kind`. */
    public long count(Kind kind) {
        return countOf(kind.code);
    }

    private long countOf(int k) {
        return with(h -> {
            LongByReference n = new LongByReference();
            check(h, C.lm_count(h, k, n));
            return n.getValue();
        });
    }

    /**
     * Statistics: counts per kind, links, analyzer, user words, synonyms,
     * schema version, vectors (see {@link #statsJson()}), parsed.
     */
    public Map<String, Object> stats() {
        return Json.object(statsJson());
    }

    /** Statistics as the library's JSON object. */
    public String statsJson() {
        return with(h -> {
            PointerByReference out = new PointerByReference();
            check(h, C.lm_stats_json(h, out));
            return C.take(out);
        });
    }

    /**
     * Give every stored record of `kind` (null: all kinds, problems first,
     * then achievements, then experts) to `consumer`, in the order they were
     * first stored.  The scan reads one snapshot; the consumer must not write
     * to this database (a write throws {@link MisuseException}; use another
     * handle).  An exception thrown by the consumer stops the scan and is
     * rethrown.
     */
    public void scan(Kind kind, Consumer<? super StoredRecord> consumer) {
        Objects.requireNonNull(consumer, "consumer");
        int k = kind == null ? 0 : kind.code;
        Throwable[] failure = new Throwable[1];
        C.RecordFn fn = (ctx, kc, id, json, len) -> {
            try {
                String js = Text.decode(json.getByteArray(0, Math.toIntExact(len.longValue())));
                consumer.accept(new StoredRecord(Kind.ofCode(kc), Text.str(id), js));
                return 0;
            } catch (Throwable t) {        // never let an exception cross C
                failure[0] = t;
                return 1;
            }
        };
        with(h -> {
            int rc;
            scanning = true;
            try {
                rc = C.lm_scan(h, k, fn, null);
            } finally {
                scanning = false;
            }
            Reference.reachabilityFence(fn);
            if (failure[0] instanceof RuntimeException) throw (RuntimeException) failure[0];
            if (failure[0] instanceof Error) throw (Error) failure[0];
            check(h, rc);
            return null;
        });
    }

    /** Every stored record of `kind` (null: all kinds), as {@link #scan} gives them. */
    public List<StoredRecord> records(Kind kind) {
        List<StoredRecord> list = new ArrayList<>();
        scan(kind, list::add);
        return Collections.unmodifiableList(list);
    }

    /**
     * Write every record of `kind` (null: all) as JSON Lines, the format
     * {@link #load(Path)} reads back.  Returns the number of records.
     */
    public long export(Kind kind, Writer out) {
        long[] n = new long[1];
        scan(kind, r -> {
            try {
                out.write(r.json());
                out.write('\n');
                n[0]++;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return n[0];
    }

    /** {@link #export(Kind, Writer)} to a file (UTF-8, replaced if it exists). */
    public long export(Kind kind, Path file) {
        try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            return export(kind, w);
        } catch (IOException e) {
            throw new FileAccessException("export to '" + file + "': " + e.getMessage());
        }
    }

    // ---- bulk loading -------------------------------------------------------------------------

    /** Load a JSON Lines file atomically (see {@link #load(Path, LoadPolicy)}). */
    public LoadReport load(Path file) {
        return load(file, LoadPolicy.ATOMIC);
    }

    /**
     * Load a JSON Lines file (one record per line; blank lines ignored) in
     * one transaction.  With {@link LoadPolicy#ATOMIC} the first bad line
     * throws (the exception's {@link LibmatchException#loadReport()} names the
     * line) and nothing is stored; with {@link LoadPolicy#SKIP_BAD} bad lines
     * are skipped and listed in the report.
     *
     * @throws FileAccessException the file cannot be read
     */
    public LoadReport load(Path file, LoadPolicy policy) {
        return load(file, policy, true);
    }

    /**
     * As {@link #load(Path, LoadPolicy)}; {@code vectors} false leaves the
     * semantic space alone.  By default a load keeps the space of the latent
     * topic: built once the database holds 100 records, rebuilt as it
     * doubles (progress stage "vectors"); a space of {@link #buildVectors}
     * is left as it is.
     */
    public LoadReport load(Path file, LoadPolicy policy, boolean vectors) {
        byte[] p = Text.cstr(file.toString(), "path");
        int flags = policy.code | (vectors ? 0 : LOAD_NO_VECTORS);
        return write(h -> {
            PointerByReference rep = new PointerByReference();
            int rc = C.lm_load_jsonl(h, p, flags, rep);
            return report(h, rc, rep.getValue());
        });
    }

    /** Load JSON Lines held in memory (UTF-8 bytes); as {@link #load(Path, LoadPolicy)}. */
    public LoadReport loadBuffer(byte[] jsonl, LoadPolicy policy) {
        return loadBuffer(jsonl, policy, true);
    }

    /** Load JSON Lines held in memory (UTF-8 bytes); as {@link #load(Path, LoadPolicy, boolean)}. */
    public LoadReport loadBuffer(byte[] jsonl, LoadPolicy policy, boolean vectors) {
        int flags = policy.code | (vectors ? 0 : LOAD_NO_VECTORS);
        return write(h -> {
            PointerByReference rep = new PointerByReference();
            int rc = C.lm_load_jsonl_buffer(h, jsonl, new C.SizeT(jsonl.length), flags, rep);
            return report(h, rc, rep.getValue());
        });
    }

    /** LM_LOAD_NO_VECTORS, or-ed with a policy's code. */
    private static final int LOAD_NO_VECTORS = 0x10;

    /** Load JSON Lines given as a string; as {@link #load(Path, LoadPolicy)}. */
    public LoadReport loadJsonl(String jsonl, LoadPolicy policy) {
        return loadBuffer(Text.utf8(jsonl, "JSON Lines"), policy);
    }

    /**
     * Store records given as JSON strings in one transaction; a report's
     * line numbers are the 1-based positions of the records.
     */
    public LoadReport loadRecords(Iterable<String> records, LoadPolicy policy) {
        StringBuilder sb = new StringBuilder();
        for (String r : records) {
            if (sb.length() > 0) sb.append('\n');
            // Line breaks in JSON text can only be whitespace between tokens.
            sb.append(r.indexOf('\n') >= 0 || r.indexOf('\r') >= 0 ? r.replace('\n', ' ').replace('\r', ' ') : r);
        }
        return loadJsonl(sb.toString(), policy);
    }

    private LoadReport report(Pointer h, int rc, Pointer r) {
        LoadReport rep;
        try {
            rep = toReport(r);
        } finally {
            C.lm_report_free(r);
        }
        if (rc != 0) {
            RuntimeException pf = progressFailure;
            Error pe = progressError;
            progressFailure = null;
            progressError = null;
            if (pe != null) throw pe;
            if (pf != null) throw pf;
            throw LibmatchException.of(rc, Text.str(C.lm_errmsg(h))).withReport(rep);
        }
        check(h, 0);
        return rep;
    }

    private static LoadReport toReport(Pointer r) {
        if (r == null) return null;
        int n = C.lm_report_error_count(r);
        List<LoadReport.LineError> errors = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String id = Text.str(C.lm_report_error_id(r, i));
            String reason = Text.str(C.lm_report_error_reason(r, i));
            errors.add(new LoadReport.LineError(C.lm_report_error_line(r, i), id == null ? "" : id,
                                                reason == null ? "" : reason));
        }
        return new LoadReport(C.lm_report_loaded(r), C.lm_report_skipped(r), errors);
    }

    /**
     * Report the progress of long calls on this database (loads,
     * re-indexing, vectors, batch matching) to `listener`, on the calling thread; null turns
     * it off.  A listener returning false interrupts the call, which then
     * fails with {@link InvalidStateException} and changes nothing; an
     * exception thrown by the listener interrupts it too and is rethrown.
     */
    public void setProgressListener(ProgressListener listener) {
        C.ProgressFn fn = listener == null ? null : (ctx, stage, done, total) -> {
            try {
                return listener.progress(Text.str(stage), done, total) ? 0 : 1;
            } catch (RuntimeException e) {
                progressFailure = e;
                return 1;
            } catch (Error e) {
                progressError = e;
                return 1;
            }
        };
        with(h -> {
            check(h, C.lm_set_progress(h, fn, null));
            progressFn = fn;
            return null;
        });
    }

    // ---- matching -----------------------------------------------------------------------------

    /** {@link #match(Kind, String, Kind, MatchOptions)} with the default options. */
    public MatchList match(Kind from, String id, Kind to) {
        return match(from, id, to, MatchOptions.defaults());
    }

    /**
     * Rank records of kind `to` for the stored record (`from`, `id`), in any
     * of the six directions between the three kinds (same kind: the record
     * itself excluded).
     *
     * @throws NotFoundException no such record
     */
    public MatchList match(Kind from, String id, Kind to, MatchOptions opts) {
        byte[] i = Text.cstr(id, "id");
        return run(opts, (h, o, out) -> C.lm_match(h, from.code, i, to.code, o, out));
    }

    /** {@link #query(String, Kind, MatchOptions)} with the default options. */
    public MatchList query(String text, Kind to) {
        return query(text, to, MatchOptions.defaults());
    }

    /**
     * Rank records of kind `to` for free text (Simplified or Traditional
     * Chinese, English, mixed).  The text is never query syntax.
     */
    public MatchList query(String text, Kind to, MatchOptions opts) {
        byte[] b = Text.utf8(text, "query text");
        return run(opts, (h, o, out) -> C.lm_match_text(h, b, new C.SizeT(b.length), to.code, o, out));
    }

    /** {@link #matchRecord(String, Kind, MatchOptions)} with the default options. */
    public MatchList matchRecord(String json, Kind to) {
        return matchRecord(json, to, MatchOptions.defaults());
    }

    /**
     * Rank records of kind `to` for a record given as JSON, without storing
     * it: as {@link #match} would rank it if it were stored.
     *
     * @throws InvalidRecordException it is not a valid record
     */
    public MatchList matchRecord(String json, Kind to, MatchOptions opts) {
        byte[] b = Text.utf8(json, "record");
        return run(opts, (h, o, out) -> C.lm_match_record(h, b, new C.SizeT(b.length), to.code, o, out));
    }

    /** {@link #matchRecord(String, Kind, MatchOptions)} for a record given as a map. */
    public MatchList matchRecord(Map<String, ?> record, Kind to, MatchOptions opts) {
        return matchRecord(Json.write(record), to, opts);
    }

    @FunctionalInterface
    private interface MatchCall {
        int call(Pointer h, Pointer opts, PointerByReference out);
    }

    private MatchList run(MatchOptions opts, MatchCall c) {
        Objects.requireNonNull(opts, "opts");
        return with(h -> {
            Pointer o = opts.toNative();
            PointerByReference out = new PointerByReference();
            try {
                check(h, c.call(h, o, out));
                return toMatchList(out.getValue());
            } finally {
                C.lm_results_free(out.getValue());
                C.lm_opts_free(o);
            }
        });
    }

    static MatchList toMatchList(Pointer r) {
        int n = C.lm_results_count(r);
        PointerByReference js = new PointerByReference();
        int rc = C.lm_results_json(r, js);
        if (rc != 0) throw LibmatchException.of(rc, "lm_results_json: " + Libmatch.errorString(rc));
        double[] prob = probabilities(C.take(js), n);
        List<Match> hits = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Map<String, Double> comps = new LinkedHashMap<>();
            for (int j = 0, m = C.lm_result_component_count(r, i); j < m; j++)
                comps.put(Text.str(C.lm_result_component_name(r, i, j)), C.lm_result_component_value(r, i, j));
            int nt = C.lm_result_term_count(r, i);
            List<String> terms = new ArrayList<>(nt);
            for (int j = 0; j < nt; j++) terms.add(Text.str(C.lm_result_term(r, i, j)));
            int ne = C.lm_result_evidence_count(r, i);
            List<Evidence> ev = new ArrayList<>(ne);
            for (int j = 0; j < ne; j++)
                ev.add(new Evidence(Text.str(C.lm_result_evidence_id(r, i, j)), C.lm_result_evidence_score(r, i, j)));
            OptionalDouble p = prob != null && !Double.isNaN(prob[i]) ? OptionalDouble.of(prob[i]) : OptionalDouble.empty();
            hits.add(new Match(Text.str(C.lm_result_id(r, i)), Kind.ofCode(C.lm_result_kind(r, i)),
                               Text.str(C.lm_result_label(r, i)), C.lm_result_score(r, i), p, comps, terms, ev));
        }
        int nq = C.lm_results_query_term_count(r);
        List<String> q = new ArrayList<>(nq);
        for (int j = 0; j < nq; j++) q.add(Text.str(C.lm_results_query_term(r, j)));
        return new MatchList(hits, q);
    }

    /**
     * The "probability" of each of the n hits in a results JSON (NaN where a
     * hit has none), or null when no hit has one.  The accessors carry
     * everything else; the probability is only in the JSON.
     */
    static double[] probabilities(String json, int n) {
        if (json == null || !json.contains("\"probability\"")) return null;
        Object results = Json.object(json).get("results");
        if (!(results instanceof List) || ((List<?>) results).size() != n) return null;
        double[] p = new double[n];
        boolean any = false;
        for (int i = 0; i < n; i++) {
            Object hit = ((List<?>) results).get(i);
            Object v = hit instanceof Map ? ((Map<?, ?>) hit).get("probability") : null;
            p[i] = v instanceof Number ? ((Number) v).doubleValue() : Double.NaN;
            any |= v instanceof Number;
        }
        return any ? p : null;
    }

    // ---- semantic vectors ---------------------------------------------------------------------

    /**
     * Build the built-in semantic space (TF-IDF + truncated SVD) over every
     * stored record; `dim` 0 means 256.  Adds the "cosine" component.
     *
     * @throws InvalidStateException fewer than three records
     */
    public void buildVectors(int dim) {
        write(h -> {
            check(h, C.lm_vectors_build(h, dim));
            return null;
        });
    }

    /**
     * Store an embedding computed outside libmatch for record (kind, id)
     * under `model`; the first vector fixes the model and dimension.
     *
     * @throws MismatchException another model name or dimension than the first
     */
    public void putVector(Kind kind, String id, String model, float[] vector) {
        byte[] i = Text.cstr(id, "id"), m = Text.cstr(model, "model");
        write(h -> {
            check(h, C.lm_vector_put(h, kind.code, i, m, vector, vector.length));
            return null;
        });
    }

    /** Rank records of kind `to` by cosine with `vector` in the space of `model` (component "cosine_ext"). */
    public MatchList matchVector(String model, float[] vector, Kind to, MatchOptions opts) {
        byte[] m = Text.cstr(model, "model");
        return run(opts, (h, o, out) -> C.lm_match_vector(h, m, vector, vector.length, to.code, o, out));
    }

    /**
     * Batch matching in the built-in semantic space (needs
     * {@link #buildVectors(int)}): every record of kind `from` against every
     * record of kind `to`, the `k` best of each by cosine (same kind: the
     * record itself excluded).  Returns an unmodifiable map from each source
     * record's id, in the library's order, to its hits, best first.  The
     * progress listener ({@link #setProgressListener}) sees stage "batch".
     * The memory it holds is bounded by {@link #batchMemory()}.
     *
     * @throws InvalidStateException no semantic vectors built yet, or
     *                               interrupted by the progress listener
     * @throws OutOfRangeException   k not in 1..10000
     */
    public Map<String, List<BatchHit>> batchMatch(Kind from, Kind to, int k) {
        return batch(from, to, k, null);
    }

    /**
     * {@link #batchMatch(Kind, Kind, int)} within a memory bound of its own:
     * `memory` bytes (0: no bound, else at least {@link #MIN_BATCH_MEMORY})
     * for this call only; {@link #batchMemory()} is in force again after it.
     * The hits and scores are the same under any bound.
     *
     * @throws OutOfRangeException `memory` neither 0 nor at least {@link #MIN_BATCH_MEMORY}, or k
     *                             not in 1..10000
     */
    public Map<String, List<BatchHit>> batchMatch(Kind from, Kind to, int k, long memory) {
        return batch(from, to, k, memory);
    }

    private Map<String, List<BatchHit>> batch(Kind from, Kind to, int k, Long memory) {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Map<String, List<BatchHit>> out = new LinkedHashMap<>();
        Throwable[] failure = new Throwable[1];
        C.BatchFn fn = (ctx, fromId, n, ids, scores) -> {
            try {
                BatchHit[] hits = new BatchHit[Math.max(n, 0)];
                if (n > 0) {
                    Pointer[] is = ids.getPointerArray(0, n);
                    float[] sc = scores.getFloatArray(0, n);
                    for (int i = 0; i < n; i++) hits[i] = new BatchHit(Text.str(is[i]), sc[i]);
                }
                out.put(Text.str(fromId), List.of(hits));
                return 0;
            } catch (Throwable t) {        // never let an exception cross C
                failure[0] = t;
                return 1;
            }
        };
        return with(h -> {
            if (memory != null) check(h, C.lm_set_batch_memory(h, memory));
            int rc;
            String message = null;
            try {
                rc = C.lm_batch_match(h, from.code, to.code, k, fn, null);
                if (rc != 0) message = Text.str(C.lm_errmsg(h));   // before the next call replaces it
            } finally {
                if (memory != null) C.lm_set_batch_memory(h, batchMemory);
                Reference.reachabilityFence(fn);
            }
            if (failure[0] instanceof RuntimeException) throw (RuntimeException) failure[0];
            if (failure[0] instanceof Error) throw (Error) failure[0];
            check(rc, message);
            return Collections.unmodifiableMap(out);
        });
    }

    // ---- allocation ---------------------------------------------------------------------------

    /**
     * Assign records of kind `to` (experts or achievements) to every stored
     * problem, maximizing the total score; capacities and limits come from
     * the options "capacity", "per_problem" and "min_score".
     */
    public Allocation allocate(Kind to, MatchOptions opts) {
        return allocate(to, null, (List<String>) null, opts);
    }

    /**
     * Assign candidates to problems (null lists: every stored one), each
     * candidate taking at most the "capacity" option's number of problems.
     *
     * @throws NotFoundException an id that is not stored
     */
    public Allocation allocate(Kind to, List<String> problems, List<String> candidates, MatchOptions opts) {
        return allocate(to, problems, candidates, null, opts);
    }

    /**
     * Assign the candidates of `capacities` (id to the number of problems it
     * takes at most; iteration order kept) to problems (null: every stored one).
     */
    public Allocation allocate(Kind to, List<String> problems, Map<String, Integer> capacities, MatchOptions opts) {
        List<String> ids = new ArrayList<>(capacities.size());
        int[] caps = new int[capacities.size()];
        int i = 0;
        for (Map.Entry<String, Integer> e : capacities.entrySet()) {
            ids.add(e.getKey());
            caps[i++] = Objects.requireNonNull(e.getValue(), "capacity");
        }
        return allocate(to, problems, ids, caps, opts);
    }

    private Allocation allocate(Kind to, List<String> problems, List<String> candidates, int[] caps,
                                MatchOptions opts) {
        Objects.requireNonNull(opts, "opts");
        List<Memory> keep = new ArrayList<>();
        Memory pa = problems == null ? null : idArray(problems, "problem id", keep);
        Memory ca = candidates == null ? null : idArray(candidates, "candidate id", keep);
        int np = problems == null ? 0 : problems.size(), nc = candidates == null ? 0 : candidates.size();
        return with(h -> {
            Pointer o = opts.toNative();
            PointerByReference out = new PointerByReference();
            try {
                check(h, C.lm_allocate_v2(h, to.code, pa, np, ca, caps, nc, o, out));
                Pointer a = out.getValue();
                int n = C.lm_allocation_count(a);
                List<Allocation.Pair> pairs = new ArrayList<>(n);
                for (int j = 0; j < n; j++)
                    pairs.add(new Allocation.Pair(Text.str(C.lm_allocation_problem(a, j)),
                        Text.str(C.lm_allocation_candidate(a, j)), C.lm_allocation_score(a, j)));
                return new Allocation(C.lm_allocation_total(a), pairs);
            } finally {
                C.lm_allocation_free(out.getValue());
                C.lm_opts_free(o);
                Reference.reachabilityFence(keep);
            }
        });
    }

    /** A C array of NUL-terminated strings; the strings' memory is added to `keep`. */
    private static Memory idArray(List<String> ids, String what, List<Memory> keep) {
        Memory arr = new Memory((long) Native.POINTER_SIZE * Math.max(1, ids.size()));
        for (int i = 0; i < ids.size(); i++) {
            byte[] b = Text.cstr(Objects.requireNonNull(ids.get(i), what), what);
            Memory m = new Memory(b.length);
            m.write(0, b, 0, b.length);
            keep.add(m);
            arr.setPointer((long) i * Native.POINTER_SIZE, m);
        }
        keep.add(arr);
        return arr;
    }

    // ---- analyzer, dictionary, synonyms -------------------------------------------------------

    /** The tokens of `text` with this database's analyzer (its user words and mode). */
    public List<Token> analyze(String text) {
        return analyze(text, 0);
    }

    /** The tokens of `text` in `mode` ({@link Libmatch#ANALYZE_WORDS} ... bits; 0: the database's). */
    public List<Token> analyze(String text, int mode) {
        return with(h -> Libmatch.tokens(h, text, mode));
    }

    /** The analyzer's identity, e.g. "libmatch-zh/1 words+subwords+bigrams". */
    public String analyzerId() {
        return with(h -> Text.str(C.lm_analyzer_id(h)));
    }

    /** Choose the analyzer mode (ANALYZE_* bits) and re-tokenize everything stored. */
    public void setAnalyzerMode(int mode) {
        write(h -> {
            check(h, C.lm_set_analyzer_mode(h, mode));
            return null;
        });
    }

    /** Add a word to the user dictionary, with a frequency that makes it win segmentation. */
    public void addWord(String word) {
        addWord(word, 0);
    }

    /**
     * Add a word to the user dictionary (freq &lt;= 0: a default that makes it
     * win segmentation).  Applies to later indexing and queries; call
     * {@link #reindex()} for what is stored.
     */
    public void addWord(String word, long freq) {
        byte[] w = Text.cstr(word, "word");
        write(h -> {
            check(h, C.lm_dict_add(h, w, freq));
            return null;
        });
    }

    /** Re-tokenize every stored record with the current analyzer. */
    public void reindex() {
        write(h -> {
            check(h, C.lm_reindex(h));
            return null;
        });
    }

    /** Declare two terms synonyms (e.g. 碳化硅 and SiC); stored in the database. */
    public void addSynonym(String a, String b) {
        byte[] x = Text.cstr(a, "synonym"), y = Text.cstr(b, "synonym");
        write(h -> {
            check(h, C.lm_synonym_add(h, x, y));
            return null;
        });
    }

    /**
     * Load synonym groups from a TSV file (each line: terms separated by
     * tabs; '#' starts a comment).  Returns the number of pairs added.
     */
    public long loadSynonyms(Path tsv) {
        byte[] p = Text.cstr(tsv.toString(), "path");
        return write(h -> {
            LongByReference n = new LongByReference();
            check(h, C.lm_synonyms_load_tsv(h, p, n));
            return n.getValue();
        });
    }
}
