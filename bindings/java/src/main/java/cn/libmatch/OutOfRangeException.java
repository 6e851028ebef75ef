package cn.libmatch;

/** A number out of its range (LM_ERANGE), e.g. an option value outside the bounds of the option registry; the message gives the bounds. */
public class OutOfRangeException extends InvalidArgumentException {
    private static final long serialVersionUID = 1L;

    public OutOfRangeException(String message) {
        super(LM_ERANGE, message);
    }

    OutOfRangeException(int code, String message) {
        super(code, message);
    }
}
