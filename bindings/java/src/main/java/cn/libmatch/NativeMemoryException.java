package cn.libmatch;

/** The C library ran out of memory (LM_ENOMEM). */
public class NativeMemoryException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public NativeMemoryException(String message) {
        super(LM_ENOMEM, message);
    }

    NativeMemoryException(int code, String message) {
        super(code, message);
    }
}
