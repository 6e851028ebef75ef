package cn.libmatch;

/** Text that is not valid UTF-8 or holds a NUL character (LM_EINVAL_UTF8). From Java this is a string with an unpaired surrogate, a NUL character in an id, name or path, or invalid bytes given as {@code byte[]}. */
public class InvalidUtf8Exception extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public InvalidUtf8Exception(String message) {
        super(LM_EINVAL_UTF8, message);
    }

    InvalidUtf8Exception(int code, String message) {
        super(code, message);
    }
}
