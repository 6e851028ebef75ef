package cn.libmatch;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Options of a match or an allocation, set by the names of the library's
 * option registry ({@link Options#describe()}):
 *
 * <pre>{@code
 * MatchOptions opts = MatchOptions.defaults()
 *     .set("k", 5)
 *     .set("w_topic", 0.5)
 *     .set("region", "陕西省")
 *     .add("field", "半导体")
 *     .set("evidence_mode", "topm");
 * }</pre>
 *
 * <p>A {@code MatchOptions} is an immutable value: every {@code set} returns
 * a new one, so one instance can be kept in a constant and shared by
 * threads.  Each setting is checked by the library when it is made (the
 * name, the type, the registry's bounds, the choice names), so a bad value
 * fails right there with the library's message: {@link UnknownOptionException}
 * for an unknown name, {@link OutOfRangeException} for a value outside the
 * bounds, {@link InvalidArgumentException} for a value of the wrong form,
 * {@link TooBigException} and {@link InvalidUtf8Exception} for strings.
 *
 * <p>Numbers reach the library through its typed setters
 * ({@code lm_opts_set_int}, {@code lm_opts_set_double}), never as text, so
 * the process's locale cannot change their meaning.
 */
public final class MatchOptions {
    private static final MatchOptions DEFAULTS = new MatchOptions(Map.of());
    private static final Pattern DECIMAL =
        Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

    /** name -> Long, Double, String (numbers or choice names given as text, strings), or List<String>. */
    private final Map<String, Object> settings;

    private MatchOptions(Map<String, Object> settings) {
        this.settings = settings;
    }

    /** No settings: every option has the registry's default. */
    public static MatchOptions defaults() {
        return DEFAULTS;
    }

    /** Set an integer or number option, e.g. {@code set("k", 20)}, {@code set("w_bm25", 1)}. */
    public MatchOptions set(String name, long value) {
        return with(name, value);
    }

    /** Set a number option, e.g. {@code set("w_topic", 0.5)}. */
    public MatchOptions set(String name, double value) {
        return with(name, value);
    }

    /**
     * Set an option from text: a string option ({@code set("region",
     * "陕西省西安市")}; "" clears it), a list option to this one value
     * ({@code set("field", "新材料")}), a mode by its choice name
     * ({@code set("fusion", "rrf")}), or a number written out ("20", "0.5").
     */
    public MatchOptions set(String name, String value) {
        Objects.requireNonNull(value, "value");
        OptionInfo info = Options.find(name).orElse(null);
        if (info != null && info.type() == OptionType.LIST) return with(name, List.of(value));
        return with(name, value);
    }

    /** Set a list option ({@code "field"}) to these values. */
    public MatchOptions set(String name, Collection<String> values) {
        OptionInfo info = requireList(name);
        List<String> list = List.copyOf(values);
        for (String v : list) check(info.name(), List.of(v));
        return put(name, list);
    }

    /** Add one value to a list option: {@code add("field", "新材料").add("field", "半导体")}. */
    public MatchOptions add(String name, String value) {
        Objects.requireNonNull(value, "value");
        requireList(name);
        check(name, List.of(value));
        List<String> list = new ArrayList<>();
        Object old = settings.get(name);
        if (old instanceof List) for (Object o : (List<?>) old) list.add((String) o);
        list.add(value);
        return put(name, Collections.unmodifiableList(list));
    }

    /** Back to the registry's default for `name`. */
    public MatchOptions reset(String name) {
        if (!settings.containsKey(name)) return this;
        Map<String, Object> m = new LinkedHashMap<>(settings);
        m.remove(name);
        return new MatchOptions(Collections.unmodifiableMap(m));
    }

    /**
     * The settings made, in order: name to a Long, Double or String
     * (as given), or an unmodifiable list of strings for a list option.
     */
    public Map<String, Object> settings() {
        return settings;
    }

    /**
     * The value `name` will have: the setting, else the registry's default
     * (a Long, a Double or a choice name; null for an unset string;
     * an empty list for an unset list).
     */
    public Object get(String name) {
        if (settings.containsKey(name)) return settings.get(name);
        OptionInfo info = Options.find(name).orElseThrow(() ->
            new UnknownOptionException("unknown option " + Text.quote(name)));
        return info.type() == OptionType.LIST ? List.of() : info.defaultObject();
    }

    private OptionInfo requireList(String name) {
        OptionInfo info = Options.find(name).orElseThrow(() ->
            new UnknownOptionException("unknown option " + Text.quote(name)));
        if (info.type() != OptionType.LIST)
            throw new InvalidArgumentException("option '" + name + "' takes one value, not a list; use set()");
        return info;
    }

    private MatchOptions with(String name, Object value) {
        Objects.requireNonNull(name, "name");
        check(name, value);
        return put(name, value);
    }

    private MatchOptions put(String name, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(settings);
        m.put(name, value);
        return new MatchOptions(Collections.unmodifiableMap(m));
    }

    /** Let the library check one setting on a scratch handle. */
    private static void check(String name, Object value) {
        Pointer o = newHandle();
        try {
            apply(o, name, value);
        } finally {
            C.lm_opts_free(o);
        }
    }

    private static Pointer newHandle() {
        PointerByReference out = new PointerByReference();
        int rc = C.lm_opts_new(out);
        if (rc != 0) throw LibmatchException.of(rc, "lm_opts_new: " + Libmatch.errorString(rc));
        return out.getValue();
    }

    /**
     * A new lm_opts handle holding these settings, or null for the defaults
     * (the library takes NULL as "defaults").  Free with lm_opts_free.
     */
    Pointer toNative() {
        if (settings.isEmpty()) return null;
        Pointer o = newHandle();
        try {
            for (Map.Entry<String, Object> e : settings.entrySet()) apply(o, e.getKey(), e.getValue());
        } catch (RuntimeException | Error e) {
            C.lm_opts_free(o);
            throw e;
        }
        return o;
    }

    private static void apply(Pointer o, String name, Object v) {
        OptionInfo info = Options.find(name).orElse(null);
        int rc;
        if (info == null || info.type() == OptionType.OTHER) {
            rc = C.lm_opts_set(o, Text.cstr(name, "option name"), Text.cstr(text(v), "option " + name));
        } else {
            int key = info.key();
            switch (info.type()) {
                case INT:
                    if (v instanceof Long) {
                        rc = C.lm_opts_set_int(o, key, (Long) v);
                    } else if (v instanceof Double && isWhole((Double) v)) {
                        rc = C.lm_opts_set_int(o, key, (long) (double) (Double) v);
                    } else {      // a choice name or a number as text: the library parses it
                        rc = C.lm_opts_set(o, Text.cstr(name, "option name"), Text.cstr(text(v), "option " + name));
                    }
                    break;
                case DOUBLE:
                    if (v instanceof Number) {
                        rc = C.lm_opts_set_double(o, key, ((Number) v).doubleValue());
                    } else if (DECIMAL.matcher((String) v).matches()) {
                        rc = C.lm_opts_set_double(o, key, Double.parseDouble((String) v));
                    } else {      // let the library say what is wrong with it
                        rc = C.lm_opts_set(o, Text.cstr(name, "option name"), Text.cstr(text(v), "option " + name));
                    }
                    break;
                case LIST:
                    rc = 0;
                    if (v instanceof List) {
                        for (Object item : (List<?>) v) {
                            rc = C.lm_opts_set_str(o, key, Text.cstr((String) item, "option " + name));
                            if (rc != 0) break;
                        }
                    } else {
                        rc = C.lm_opts_set_str(o, key, Text.cstr(text(v), "option " + name));
                    }
                    break;
                default:          // STRING
                    rc = C.lm_opts_set_str(o, key, Text.cstr(text(v), "option " + name));
                    break;
            }
        }
        if (rc != 0) {
            String msg = Options.errmsg(o);
            throw rc == LibmatchException.LM_ENOTFOUND ? new UnknownOptionException(msg)
                                                        : LibmatchException.of(rc, msg);
        }
    }

    private static boolean isWhole(double d) {
        return d == Math.rint(d) && Math.abs(d) <= 9.007199254740992E15;
    }

    private static String text(Object v) {
        if (v instanceof Double) {
            double d = (Double) v;
            return isWhole(d) ? Long.toString((long) d) : Double.toString(d);
        }
        return String.valueOf(v);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MatchOptions && ((MatchOptions) o).settings.equals(settings);
    }

    @Override
    public int hashCode() {
        return settings.hashCode();
    }

    /** E.g. {@code MatchOptions{k=5, w_topic=0.5, region=陕西省}}. */
    @Override
    public String toString() {
        return "MatchOptions" + settings;
    }
}
