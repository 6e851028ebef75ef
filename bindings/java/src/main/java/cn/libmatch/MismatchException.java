package cn.libmatch;

/** The database was built with another analyzer or schema version (reopen with {@link OpenFlag#REINDEX}), or a vector space mismatch (LM_EMISMATCH). */
public class MismatchException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public MismatchException(String message) {
        super(LM_EMISMATCH, message);
    }

    MismatchException(int code, String message) {
        super(code, message);
    }
}
