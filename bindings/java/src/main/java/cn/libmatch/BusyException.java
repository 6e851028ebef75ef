package cn.libmatch;

/** The database stayed locked longer than the busy timeout (LM_EBUSY), or no pooled handle became free in time ({@link DatabasePool#borrow}). */
public class BusyException extends DatabaseException {
    private static final long serialVersionUID = 1L;

    public BusyException(String message) {
        super(LM_EBUSY, message);
    }

    BusyException(int code, String message) {
        super(code, message);
    }
}
