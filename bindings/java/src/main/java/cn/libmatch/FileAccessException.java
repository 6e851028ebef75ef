package cn.libmatch;

/** A file could not be read or written (LM_EIO). */
public class FileAccessException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public FileAccessException(String message) {
        super(LM_EIO, message);
    }

    FileAccessException(int code, String message) {
        super(code, message);
    }
}
