package cn.libmatch;

/** A call that is not valid in the current state (LM_ESTATE): a closed database, a load interrupted by its {@link ProgressListener}, a scan stopped by its consumer, too few records to build vectors. */
public class InvalidStateException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public InvalidStateException(String message) {
        super(LM_ESTATE, message);
    }

    InvalidStateException(int code, String message) {
        super(code, message);
    }
}
