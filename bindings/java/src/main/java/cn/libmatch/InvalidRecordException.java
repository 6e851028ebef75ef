package cn.libmatch;

/** Well-formed JSON that is not a valid record (LM_ERECORD): a missing id or kind, an unknown key, a wrong type; the message names the record and the field (in a bulk load also the line). Malformed JSON is the subclass {@link MalformedJsonException}. */
public class InvalidRecordException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public InvalidRecordException(String message) {
        super(LM_ERECORD, message);
    }

    InvalidRecordException(int code, String message) {
        super(code, message);
    }
}
