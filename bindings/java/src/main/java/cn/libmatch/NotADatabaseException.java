package cn.libmatch;

/** The file is not a libmatch database (LM_ENOTDB): a foreign or damaged SQLite file, or not SQLite at all; it is left untouched. */
public class NotADatabaseException extends DatabaseException {
    private static final long serialVersionUID = 1L;

    public NotADatabaseException(String message) {
        super(LM_ENOTDB, message);
    }

    NotADatabaseException(int code, String message) {
        super(code, message);
    }
}
