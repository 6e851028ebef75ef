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

    /** E.g. {@code k  int  default 10, 1..10000  results to return}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(name).append("  ").append(type.name().toLowerCase());
        switch (type) {
            case INT:
                sb.append("  default ").append(defaultObject()).append(", ");
                if (!choices.isEmpty()) sb.append(String.join("|", choices));
                else sb.append((long) min).append("..").append((long) max);
                break;
            case DOUBLE:
                sb.append("  default ").append(Options.number(defaultValue)).append(", ")
                  .append(Options.number(min)).append("..").append(Options.number(max));
                break;
            case STRING:
            case LIST:
                sb.append("  at most ").append((long) max).append(" bytes");
                break;
            default:
                break;
        }
        return sb.append("  ").append(help).toString();
    }
}
