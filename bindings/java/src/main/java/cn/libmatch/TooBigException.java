package cn.libmatch;

/** A documented limit was exceeded (LM_ETOOBIG): id length, field size, list length, nesting depth, option length. */
public class TooBigException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public TooBigException(String message) {
        super(LM_ETOOBIG, message);
    }

    TooBigException(int code, String message) {
        super(code, message);
    }
}
