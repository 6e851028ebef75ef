package cn.libmatch;

import com.sun.jna.Callback;
import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.DoubleByReference;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

import java.util.Map;

/**
 * The C ABI of libmatch ({@code libmatch.h}), direct-mapped with JNA.
 *
 * <p>Strings going in are passed as {@code byte[]} that the binding encodes
 * itself (UTF-8, NUL-terminated where the C side expects it, see {@link Text}),
 * so nothing depends on JNA's or the platform's default encoding; strings
 * coming out are {@link Pointer}s decoded as UTF-8 by {@link Text#str}.  The
 * library's string encoding option is still set to UTF-8 for anything JNA
 * converts itself.
 *
 * <p>The shared library is found, in order, through the system property
 * {@code libmatch.library} (a path), the environment variable
 * {@code LIBMATCH_LIBRARY} (a path, as for the Python binding), else by the
 * name {@code match} on JNA's search path ({@code jna.library.path}, then
 * the system's: {@code libmatch.so} after {@code make install}).
 */
final class C {
    private C() {}

    /** The major version of the C ABI this binding is written against. */
    static final int ABI_MAJOR = 1;

    /** size_t, whatever its width on this platform. */
    public static final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;
        public SizeT() { this(0); }
        public SizeT(long value) { super(Native.SIZE_T_SIZE, value, true); }
    }

    static final String LIBRARY_PATH;

    static {
        String path = System.getProperty("libmatch.library");
        if (path == null || path.isEmpty()) path = System.getenv("LIBMATCH_LIBRARY");
        if (path == null || path.isEmpty()) path = "match";
        NativeLibrary lib;
        try {
            lib = NativeLibrary.getInstance(path, Map.of(Library.OPTION_STRING_ENCODING, "UTF-8"));
        } catch (UnsatisfiedLinkError e) {
            UnsatisfiedLinkError u = new UnsatisfiedLinkError(
                "cannot load libmatch ('" + path + "'): " + e.getMessage()
                + "; install it (make install) or point -Dlibmatch.library or LIBMATCH_LIBRARY at libmatch.so");
            u.initCause(e);
            throw u;
        }
        Native.register(C.class, lib);
        LIBRARY_PATH = lib.getFile() != null ? lib.getFile().getPath() : path;
        int v = lm_version_number();
        if (v / 10000 != ABI_MAJOR)
            throw new UnsatisfiedLinkError("libmatch at " + LIBRARY_PATH + " is version "
                + Text.str(lm_version()) + "; this binding needs " + ABI_MAJOR + ".x");
    }

    /** Make sure the library is loaded (class initialization does it). */
    static void load() {}

    // ---- callbacks ----

    public interface RecordFn extends Callback {
        int invoke(Pointer ctx, int kind, Pointer id, Pointer json, SizeT len);
    }

    public interface ProgressFn extends Callback {
        int invoke(Pointer ctx, Pointer stage, long done, long total);
    }

    /** lm_batch_fn: one source record's hits (ids and cosines, best first; borrowed for the call). */
    public interface BatchFn extends Callback {
        int invoke(Pointer ctx, Pointer fromId, int n, Pointer ids, Pointer scores);
    }

    // ---- version, errors, kinds, configuration ----
    static native Pointer lm_version();
    static native int lm_version_number();
    static native Pointer lm_errstr(int code);
    static native Pointer lm_kind_name(int kind);
    static native int lm_set_dictionary(byte[] path);

    // ---- database ----
    static native int lm_open(PointerByReference out, byte[] path, int flags);
    static native int lm_close(Pointer db);
    static native Pointer lm_errmsg(Pointer db);
    static native int lm_errcode(Pointer db);
    static native int lm_set_progress(Pointer db, ProgressFn fn, Pointer ctx);
    static native int lm_set_busy_timeout(Pointer db, int ms);
    static native void lm_free(Pointer p);

    // ---- records ----
    static native int lm_put(Pointer db, byte[] json, SizeT len);
    static native int lm_delete(Pointer db, int kind, byte[] id);
    static native int lm_get(Pointer db, int kind, byte[] id, PointerByReference out);
    static native int lm_scan(Pointer db, int kind, RecordFn cb, Pointer ctx);
    static native int lm_count(Pointer db, int kind, LongByReference out);
    static native int lm_stats_json(Pointer db, PointerByReference out);

    // ---- bulk loading ----
    static native int lm_load_jsonl(Pointer db, byte[] path, int policy, PointerByReference report);
    static native int lm_load_jsonl_buffer(Pointer db, byte[] data, SizeT len, int policy,
                                           PointerByReference report);
    static native long lm_report_loaded(Pointer r);
    static native long lm_report_skipped(Pointer r);
    static native int lm_report_error_count(Pointer r);
    static native long lm_report_error_line(Pointer r, int i);
    static native Pointer lm_report_error_id(Pointer r, int i);
    static native Pointer lm_report_error_reason(Pointer r, int i);
    static native void lm_report_free(Pointer r);

    // ---- options and their registry ----
    static native int lm_opts_new(PointerByReference out);
    static native void lm_opts_free(Pointer o);
    static native int lm_opts_set_int(Pointer o, int key, long value);
    static native int lm_opts_set_double(Pointer o, int key, double value);
    static native int lm_opts_set_str(Pointer o, int key, byte[] value);
    static native int lm_opts_set(Pointer o, byte[] name, byte[] value);
    static native Pointer lm_opts_errmsg(Pointer o);
    static native int lm_opt_count();
    static native int lm_opt_key(int i);
    static native int lm_opt_find(byte[] name, IntByReference key);
    static native Pointer lm_opt_name(int key);
    static native int lm_opt_type(int key);
    static native Pointer lm_opt_help(int key);
    static native int lm_opt_bounds(int key, DoubleByReference def, DoubleByReference min, DoubleByReference max);
    static native Pointer lm_opt_choices(int key);

    // ---- matching ----
    static native int lm_match(Pointer db, int from, byte[] id, int to, Pointer opts, PointerByReference out);
    static native int lm_match_text(Pointer db, byte[] text, SizeT len, int to, Pointer opts,
                                    PointerByReference out);
    static native int lm_match_record(Pointer db, byte[] json, SizeT len, int to, Pointer opts,
                                      PointerByReference out);
    static native int lm_results_count(Pointer r);
    static native Pointer lm_result_id(Pointer r, int i);
    static native int lm_result_kind(Pointer r, int i);
    static native double lm_result_score(Pointer r, int i);
    static native Pointer lm_result_label(Pointer r, int i);
    static native int lm_result_component_count(Pointer r, int i);
    static native Pointer lm_result_component_name(Pointer r, int i, int j);
    static native double lm_result_component_value(Pointer r, int i, int j);
    static native int lm_result_term_count(Pointer r, int i);
    static native Pointer lm_result_term(Pointer r, int i, int j);
    static native int lm_result_evidence_count(Pointer r, int i);
    static native Pointer lm_result_evidence_id(Pointer r, int i, int j);
    static native double lm_result_evidence_score(Pointer r, int i, int j);
    static native int lm_results_query_term_count(Pointer r);
    static native Pointer lm_results_query_term(Pointer r, int j);
    static native int lm_results_json(Pointer r, PointerByReference out);
    static native void lm_results_free(Pointer r);

    // ---- semantic vectors ----
    static native int lm_vectors_build(Pointer db, int dim);
    static native int lm_vector_put(Pointer db, int kind, byte[] id, byte[] model, float[] v, int dim);
    static native int lm_match_vector(Pointer db, byte[] model, float[] q, int dim, int to, Pointer opts,
                                      PointerByReference out);
    static native int lm_batch_match(Pointer db, int from, int to, int k, BatchFn cb, Pointer ctx);
    static native int lm_set_batch_memory(Pointer db, long bytes);

    // ---- allocation ----
    static native int lm_allocate_v2(Pointer db, int to, Pointer problems, int nproblems,
                                     Pointer candidates, int[] capacities, int ncandidates,
                                     Pointer opts, PointerByReference out);
    static native int lm_allocation_count(Pointer a);
    static native Pointer lm_allocation_problem(Pointer a, int i);
    static native Pointer lm_allocation_candidate(Pointer a, int i);
    static native double lm_allocation_score(Pointer a, int i);
    static native double lm_allocation_total(Pointer a);
    static native void lm_allocation_free(Pointer a);

    // ---- analyzer ----
    static native int lm_analyze(Pointer db, byte[] text, SizeT len, int mode, PointerByReference out);
    static native int lm_tokens_count(Pointer t);
    static native Pointer lm_token_text(Pointer t, int i);
    static native int lm_token_start(Pointer t, int i);
    static native int lm_token_end(Pointer t, int i);
    static native int lm_token_flags(Pointer t, int i);
    static native void lm_tokens_free(Pointer t);
    static native Pointer lm_analyzer_id(Pointer db);
    static native int lm_set_analyzer_mode(Pointer db, int mode);
    static native int lm_dict_add(Pointer db, byte[] word, long freq);
    static native int lm_reindex(Pointer db);
    static native int lm_synonym_add(Pointer db, byte[] a, byte[] b);
    static native int lm_synonyms_load_tsv(Pointer db, byte[] path, LongByReference count);

    /** A string the library returned through {@code char **out}: decoded, then freed with lm_free. */
    static String take(PointerByReference out) {
        Pointer p = out.getValue();
        if (p == null) return null;
        try {
            return Text.str(p);
        } finally {
            lm_free(p);
        }
    }
}
