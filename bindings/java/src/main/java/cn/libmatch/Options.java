package cn.libmatch;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.DoubleByReference;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The library's option registry: every match and allocation option with
 * its name, type, default, bounds and description, read from the library
 * once ({@code lm_opt_count}, {@code lm_opt_key}, ...).  {@link MatchOptions}
 * sets options by these names.
 *
 * <pre>{@code
 * for (OptionInfo o : Options.describe()) System.out.println(o);
 * }</pre>
 *
 * <p>{@code java -cp jna.jar:libmatch.jar cn.libmatch.Options} prints the same.
 */
public final class Options {
    private Options() {}

    private static final class Registry {
        static final List<OptionInfo> ALL;
        static final Map<String, OptionInfo> BY_NAME;

        static {
            C.load();
            int n = C.lm_opt_count();
            List<OptionInfo> all = new ArrayList<>(n);
            Map<String, OptionInfo> byName = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int key = C.lm_opt_key(i);
                String name = Text.str(C.lm_opt_name(key));
                if (key == 0 || name == null) continue;
                DoubleByReference def = new DoubleByReference(), min = new DoubleByReference(),
                    max = new DoubleByReference();
                C.lm_opt_bounds(key, def, min, max);
                String choices = Text.str(C.lm_opt_choices(key));
                String help = Text.str(C.lm_opt_help(key));
                OptionInfo info = new OptionInfo(name, key, OptionType.of(C.lm_opt_type(key)),
                    help == null ? "" : help, def.getValue(), min.getValue(), max.getValue(),
                    choices == null || choices.isEmpty() ? List.of() : Arrays.asList(choices.split("\\|")));
                all.add(info);
                byName.put(name, info);
            }
            ALL = Collections.unmodifiableList(all);
            BY_NAME = Collections.unmodifiableMap(byName);
        }
    }

    /** Every option, in the registry's order. */
    public static List<OptionInfo> describe() {
        return Registry.ALL;
    }

    /** The option named `name`, if there is one. */
    public static Optional<OptionInfo> find(String name) {
        return Optional.ofNullable(Registry.BY_NAME.get(name));
    }

    /** The registry as a text table, one option per line (what {@link #main} prints). */
    public static String describeText() {
        int wn = 4, wr = 5;
        for (OptionInfo o : describe()) {
            wn = Math.max(wn, o.name().length());
            wr = Math.max(wr, o.range().length());
        }
        StringBuilder sb = new StringBuilder();
        String fmt = "%-" + wn + "s  %-" + wr + "s  %s%n";
        sb.append(String.format(fmt, "name", "value", "meaning"));
        for (OptionInfo o : describe()) sb.append(String.format(fmt, o.name(), o.range(), o.help()));
        return sb.toString();
    }

    /** Print the option registry. */
    public static void main(String[] args) {
        System.out.print(describeText());
    }

    /** A number as the registry shows it: 10, 0.5, 1e+06. */
    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e6) return Long.toString((long) v);
        if (Math.abs(v) >= 1e6) return String.format("%g", v).replaceAll("\\.?0+e", "e");
        return Double.toString(v);
    }

    /** A borrowed lm_opts_errmsg as a string. */
    static String errmsg(Pointer o) {
        return Text.str(C.lm_opts_errmsg(o));
    }
}
