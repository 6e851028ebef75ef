package cn.libmatch;

/** The type of an option of the registry ({@code lm_opt_type}). */
public enum OptionType {
    /** A whole number, or one of the option's {@link OptionInfo#choices() choices}. */
    INT,
    /** A number (weights are finite and at least 0). */
    DOUBLE,
    /** A string; an empty one clears it. */
    STRING,
    /** A repeatable string: a list of values. */
    LIST,
    /** A type this binding does not know (a newer library): set from text. */
    OTHER;

    static OptionType of(int t) {
        switch (t) {
            case 1: return INT;
            case 2: return DOUBLE;
            case 3: return STRING;
            case 4: return LIST;
            default: return OTHER;
        }
    }
}
