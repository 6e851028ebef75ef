package cn.libmatch;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Process-wide functions of libmatch: its version, the analyzer without a
 * database, the word dictionary.
 */
public final class Libmatch {
    private Libmatch() {}

    /** Analyzer modes: which tokens Chinese text gives (bits, see {@link #analyze(String, int)}). */
    public static final int ANALYZE_WORDS = 0x01, ANALYZE_SUBWORDS = 0x02, ANALYZE_BIGRAMS = 0x04,
        ANALYZE_ALL = 0x07,
        /** Opt-in, with {@link #ANALYZE_ALL}: also the single characters of words. */
        ANALYZE_UNIGRAMS = 0x08;

    /** The version of the loaded C library, e.g. "1.0.0". */
    public static String version() {
        return Text.str(C.lm_version());
    }

    /** The same as a number: MAJOR*10000 + MINOR*100 + PATCH. */
    public static int versionNumber() {
        return C.lm_version_number();
    }

    /** Where the C library was loaded from. */
    public static String libraryPath() {
        return C.LIBRARY_PATH;
    }

    /** The library's English description of a status code ({@code lm_errstr}). */
    public static String errorString(int code) {
        return Text.str(C.lm_errstr(code));
    }

    /**
     * Use the word dictionary at `path` (jieba's dict.txt format) for the
     * Chinese segmenter.  Only before the first open or analyze in this
     * process, else {@link InvalidStateException}.
     */
    public static void setDictionary(Path path) {
        String p = path.toString();
        int rc = C.lm_set_dictionary(Text.cstr(p, "dictionary path"));
        if (rc != 0)
            throw LibmatchException.of(rc, "setDictionary('" + p + "'): " + errorString(rc));
    }

    /** The tokens of `text` as libmatch indexes it, with the built-in analyzer in its default mode. */
    public static List<Token> analyze(String text) {
        return analyze(text, 0);
    }

    /**
     * The tokens of `text` with the built-in analyzer (no user dictionary);
     * `mode`: ANALYZE_* bits, 0 for the default.
     */
    public static List<Token> analyze(String text, int mode) {
        return tokens(null, text, mode);
    }

    /** Analyze with handle db (null: the built-in analyzer); the caller holds db's lock. */
    static List<Token> tokens(Pointer db, String text, int mode) {
        byte[] b = Text.utf8(text, "text");
        PointerByReference out = new PointerByReference();
        int rc = C.lm_analyze(db, b, new C.SizeT(b.length), mode, out);
        Pointer t = out.getValue();
        try {
            if (rc != 0)
                throw LibmatchException.of(rc, db != null ? Text.str(C.lm_errmsg(db))
                                                          : "analyze: " + errorString(rc));
            int[] at = Text.charIndexOfByte(text, b.length);
            int n = C.lm_tokens_count(t);
            List<Token> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int s = clamp(C.lm_token_start(t, i), b.length), e = clamp(C.lm_token_end(t, i), b.length);
                list.add(new Token(Text.str(C.lm_token_text(t, i)), at[s], at[e], C.lm_token_flags(t, i)));
            }
            return List.copyOf(list);
        } finally {
            C.lm_tokens_free(t);
        }
    }

    private static int clamp(int v, int n) {
        return v < 0 ? 0 : Math.min(v, n);
    }

    /** Print the library's version, its path and the option registry. */
    public static void main(String[] args) {
        System.out.println("libmatch " + version() + " (" + libraryPath() + ")");
        System.out.print(Options.describeText());
    }
}
