package cn.libmatch;

/**
 * No option of that name in the option registry (the library's
 * LM_ENOTFOUND from {@code lm_opts_set}); {@link Options#describe()} lists
 * the names.
 */
public class UnknownOptionException extends NotFoundException {
    private static final long serialVersionUID = 1L;

    public UnknownOptionException(String message) {
        super(message);
    }
}
