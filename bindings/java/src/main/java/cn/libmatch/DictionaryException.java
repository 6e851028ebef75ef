package cn.libmatch;

/** The word dictionary is missing or unreadable (LM_EDICT); the message names the paths tried. */
public class DictionaryException extends LibmatchException {
    private static final long serialVersionUID = 1L;

    public DictionaryException(String message) {
        super(LM_EDICT, message);
    }

    DictionaryException(int code, String message) {
        super(code, message);
    }
}
