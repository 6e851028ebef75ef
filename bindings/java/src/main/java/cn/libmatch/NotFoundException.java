package cn.libmatch;

/** No record with that kind and id (LM_ENOTFOUND). */
public class NotFoundException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(LM_ENOTFOUND, message);
    }

    NotFoundException(int code, String message) {
        super(code, message);
    }
}
