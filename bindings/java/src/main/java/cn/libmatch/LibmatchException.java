package cn.libmatch;

import java.util.Optional;

/**
 * A libmatch call failed.  Every failure of the C library arrives as one of
 * this exception's subclasses, chosen by the C status code ({@link #code()},
 * the {@code LM_E*} value), with the library's own message
 * ({@code lm_errmsg}: it names the record, the field, the line or the
 * option).  Catch {@code LibmatchException} for all of them, or a subclass
 * for one kind of failure:
 *
 * <table>
 * <caption>status codes and exceptions</caption>
 * <tr><th>code</th><th>C name</th><th>exception</th></tr>
 * <tr><td>1</td><td>LM_ERROR</td><td>{@code LibmatchException}</td></tr>
 * <tr><td>2</td><td>LM_ENOMEM</td><td>{@link NativeMemoryException}</td></tr>
 * <tr><td>3</td><td>LM_EINVAL</td><td>{@link InvalidArgumentException}</td></tr>
 * <tr><td>4</td><td>LM_EJSON</td><td>{@link MalformedJsonException} (an {@link InvalidRecordException})</td></tr>
 * <tr><td>5</td><td>LM_ERECORD</td><td>{@link InvalidRecordException}</td></tr>
 * <tr><td>6</td><td>LM_EINVAL_UTF8</td><td>{@link InvalidUtf8Exception}</td></tr>
 * <tr><td>7</td><td>LM_ETOOBIG</td><td>{@link TooBigException}</td></tr>
 * <tr><td>8</td><td>LM_ENOTFOUND</td><td>{@link NotFoundException} ({@link UnknownOptionException} for an option name)</td></tr>
 * <tr><td>9</td><td>LM_EIO</td><td>{@link FileAccessException}</td></tr>
 * <tr><td>10</td><td>LM_EDB</td><td>{@link DatabaseException}</td></tr>
 * <tr><td>11</td><td>LM_EBUSY</td><td>{@link BusyException} (a {@link DatabaseException})</td></tr>
 * <tr><td>12</td><td>LM_EMISMATCH</td><td>{@link MismatchException}</td></tr>
 * <tr><td>13</td><td>LM_EDICT</td><td>{@link DictionaryException}</td></tr>
 * <tr><td>14</td><td>LM_ERANGE</td><td>{@link OutOfRangeException} (an {@link InvalidArgumentException})</td></tr>
 * <tr><td>15</td><td>LM_ESTATE</td><td>{@link InvalidStateException}</td></tr>
 * <tr><td>16</td><td>LM_ENOTDB</td><td>{@link NotADatabaseException} (a {@link DatabaseException})</td></tr>
 * <tr><td>17</td><td>LM_EMISUSE</td><td>{@link MisuseException}</td></tr>
 * </table>
 *
 * <p>A status code this binding does not know (from a newer library) gives
 * a plain {@code LibmatchException} with that code.
 *
 * <p>The exceptions are unchecked.  Most of them report either a
 * programming error (a bad option, a closed database, misuse) or bad input
 * data that a service handles once, at its boundary (an HTTP 400 for
 * {@link InvalidRecordException}, 404 for {@link NotFoundException}); a
 * checked exception on every call would only be wrapped or rethrown, and
 * would not fit lambdas ({@link DatabasePool#withDatabase}, scans).  This is
 * the choice of Spring's {@code DataAccessException} and of most recent
 * database libraries.  Every method documents what it throws.
 */
public class LibmatchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int LM_ERROR = 1, LM_ENOMEM = 2, LM_EINVAL = 3, LM_EJSON = 4, LM_ERECORD = 5,
        LM_EINVAL_UTF8 = 6, LM_ETOOBIG = 7, LM_ENOTFOUND = 8, LM_EIO = 9, LM_EDB = 10, LM_EBUSY = 11,
        LM_EMISMATCH = 12, LM_EDICT = 13, LM_ERANGE = 14, LM_ESTATE = 15, LM_ENOTDB = 16, LM_EMISUSE = 17;

    private final int code;
    private transient LoadReport report;

    /** An exception with status `code` and `message`. */
    public LibmatchException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** The C status code (LM_E*). */
    public int code() {
        return code;
    }

    /** The C library's name for the status code ({@code lm_errstr}), e.g. "record not found". */
    public String codeDescription() {
        return Libmatch.errorString(code);
    }

    /**
     * For a failed bulk load ({@link Database#load}): the report of what was
     * read, with the line and reason of the bad line.
     */
    public Optional<LoadReport> loadReport() {
        return Optional.ofNullable(report);
    }

    LibmatchException withReport(LoadReport r) {
        this.report = r;
        return this;
    }

    /** The exception for a status code and message (the message of lm_errstr when null). */
    public static LibmatchException of(int code, String message) {
        if (message == null) message = Libmatch.errorString(code);
        switch (code) {
            case LM_ENOMEM: return new NativeMemoryException(message);
            case LM_EINVAL: return new InvalidArgumentException(message);
            case LM_EJSON: return new MalformedJsonException(message);
            case LM_ERECORD: return new InvalidRecordException(message);
            case LM_EINVAL_UTF8: return new InvalidUtf8Exception(message);
            case LM_ETOOBIG: return new TooBigException(message);
            case LM_ENOTFOUND: return new NotFoundException(message);
            case LM_EIO: return new FileAccessException(message);
            case LM_EDB: return new DatabaseException(message);
            case LM_EBUSY: return new BusyException(message);
            case LM_EMISMATCH: return new MismatchException(message);
            case LM_EDICT: return new DictionaryException(message);
            case LM_ERANGE: return new OutOfRangeException(message);
            case LM_ESTATE: return new InvalidStateException(message);
            case LM_ENOTDB: return new NotADatabaseException(message);
            case LM_EMISUSE: return new MisuseException(message);
            default: return new LibmatchException(code, message);
        }
    }

    @Override
    public String toString() {
        return getClass().getName() + " (" + code + "): " + getMessage();
    }
}
