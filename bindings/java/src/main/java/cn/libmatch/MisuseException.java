package cn.libmatch;

/** The API was used against its rules (LM_EMISUSE), e.g. one handle from two threads at once. */
public class MisuseException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public MisuseException(String message) {
        super(LM_EMISUSE, message);
    }

    MisuseException(int code, String message) {
        super(code, message);
    }
}
