package cn.libmatch;

/** An argument the library refused (LM_EINVAL): a bad kind, flag or option value, or an id list with a duplicate. */
public class InvalidArgumentException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public InvalidArgumentException(String message) {
        super(LM_EINVAL, message);
    }

    InvalidArgumentException(int code, String message) {
        super(code, message);
    }
}
