package cn.libmatch;

/** The database (SQLite) reported an error (LM_EDB). */
public class DatabaseException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public DatabaseException(String message) {
        super(LM_EDB, message);
    }

    DatabaseException(int code, String message) {
        super(code, message);
    }
}
