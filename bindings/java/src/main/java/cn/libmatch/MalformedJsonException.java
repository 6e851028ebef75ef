package cn.libmatch;

/** Text that is not JSON (LM_EJSON); the message gives the byte offset. */
public class MalformedJsonException extends InvalidRecordException {
    private static final long serialVersionUID = 1L;

    public MalformedJsonException(String message) {
        super(LM_EJSON, message);
    }

    MalformedJsonException(int code, String message) {
        super(code, message);
    }
}
