package cn.libmatch;

import java.util.List;

/**
 * One option of the library's option registry: what
 * {@link MatchOptions#set(String, long)} and friends accept under
 * {@link #name()}.  Everything comes from the library at run time
 * ({@code lm_opt_name}, {@code lm_opt_type}, {@code lm_opt_help},
 * {@code lm_opt_bounds}, {@code lm_opt_choices}).
 *
 * @param name         the option's name, e.g. "k", "w_topic", "region"
 * @param key          the library's key for it (an ABI number, for reference only)
 * @param type         its type
 * @param help         a one-line description
 * @param defaultValue the default of a number option (0 for strings)
 * @param min          the smallest value of a number option (0 for strings)
 * @param max          the largest value of a number option; for a string,
 *                     its maximum length in bytes
 * @param choices      for an integer option that selects a mode, the names
 *                     of its values min..max (e.g. [max, sum, topm]); empty
 *                     otherwise
 */
public record OptionInfo(String name, int key, OptionType type, String help, double defaultValue,
                         double min, double max, List<String> choices) {

    public OptionInfo {
        choices = List.copyOf(choices);
    }

    /** The default in the option's own terms: a Long, a Double, a choice name, or null for strings. */
    public Object defaultObject() {
        switch (type) {
            case INT:
                long v = (long) defaultValue;
                if (!choices.isEmpty() && v >= min && v - (long) min < choices.size())
                    return choices.get((int) (v - (long) min));
                return v;
            case DOUBLE:
                return defaultValue;
            default:
                return null;
        }
    }

    /** The type, default and range as the registry describes them, e.g. "int, default 10, 1..10000". */
    public String range() {
        switch (type) {
            case INT:
                return "int, default " + defaultObject() + ", "
                    + (choices.isEmpty() ? (long) min + ".." + (long) max : String.join("|", choices));
            case DOUBLE:
                return "number, default " + Options.number(defaultValue) + ", " + Options.number(min) + ".."
                    + Options.number(max);
            case STRING:
                return "string, at most " + (long) max + " bytes";
            case LIST:
                return "list of strings, each at most " + (long) max + " bytes";
            default:
                return "other";
        }
    }

    /** E.g. {@code k (int, default 10, 1..10000): results to return}. */
    @Override
    public String toString() {
        return name + " (" + range() + "): " + help;
    }
}
