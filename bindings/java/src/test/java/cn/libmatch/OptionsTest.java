package cn.libmatch;

import static cn.libmatch.Check.contains;
import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;
import static cn.libmatch.Check.raises;
import static cn.libmatch.Check.raisesExactly;

import cn.libmatch.TestRunner.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The option registry and MatchOptions by name. */
public class OptionsTest {

    static OptionInfo opt(String name) {
        return Options.find(name).orElseThrow(() -> new AssertionError("no option " + name + " in the registry"));
    }

    @Test(1)
    void registryIsComplete() {
        List<OptionInfo> all = Options.describe();
        ok(all.size() >= 20, "the registry lists the options: " + all.size());
        Set<String> names = new HashSet<>();
        for (OptionInfo o : all) {
            ok(names.add(o.name()), "unique name " + o.name());
            eq(o, Options.find(o.name()).orElse(null), "find(" + o.name() + ")");
            ok(o.type() != OptionType.OTHER, o.name() + " has a known type");
            ok(!o.help().isEmpty(), o.name() + " has a description");
            if (o.type() == OptionType.INT || o.type() == OptionType.DOUBLE)
                ok(o.min() <= o.defaultValue() && o.defaultValue() <= o.max(), o.name() + ": default within bounds");
        }
        for (String n : new String[] {"k", "offset", "region", "field", "min_maturity", "w_bm25", "w_topic",
                                      "evidence_mode", "fusion", "capacity", "per_problem", "min_score"})
            ok(names.contains(n), "the registry has " + n);
        eq(OptionType.INT, opt("k").type(), "type of k");
        eq(OptionType.DOUBLE, opt("w_topic").type(), "type of w_topic");
        eq(OptionType.STRING, opt("region").type(), "type of region");
        eq(OptionType.LIST, opt("field").type(), "type of field");
        eq(List.of("max", "sum", "topm"), opt("evidence_mode").choices(), "choices of evidence_mode");
        String text = Options.describeText();
        for (OptionInfo o : all) contains(text, o.name(), "describeText lists " + o.name());
    }

    @Test(2)
    void settingsAreImmutableValues() {
        MatchOptions d = MatchOptions.defaults();
        MatchOptions o = d.set("k", 5).set("w_topic", 0.5).set("region", "陕西省").add("field", "半导体")
                          .add("field", "新能源").set("evidence_mode", "topm");
        ok(d.settings().isEmpty(), "defaults() untouched");
        eq(5L, o.get("k"), "k");
        eq(0.5, o.get("w_topic"), "w_topic");
        eq("陕西省", o.get("region"), "region");
        eq(List.of("半导体", "新能源"), o.get("field"), "field list in order");
        eq("topm", o.get("evidence_mode"), "evidence_mode by name");
        eq((long) opt("offset").defaultValue(), o.get("offset"), "unset int: the registry's default");
        eq(opt("w_bm25").defaultValue(), o.get("w_bm25"), "unset double: the registry's default");
        eq("max", d.get("evidence_mode"), "unset mode: the default's choice name");
        eq(List.of(), d.get("field"), "unset list: empty");
        eq(o, d.set("k", 5).set("w_topic", 0.5).set("region", "陕西省").add("field", "半导体")
              .add("field", "新能源").set("evidence_mode", "topm"), "equal settings, equal options");
        eq(d, o.reset("k").reset("w_topic").reset("region").reset("field").reset("evidence_mode"), "reset");
        eq(List.of("新材料"), d.set("field", "新材料").get("field"), "set() on a list: one value");
        eq(List.of("a", "b"), d.set("field", List.of("a", "b")).get("field"), "set() with a collection");
        raises(UnsupportedOperationException.class, () -> o.settings().put("k", 1L));
    }

    @Test(3)
    void badValuesGiveTheRegistrysMessage() {
        MatchOptions d = MatchOptions.defaults();
        OptionInfo k = opt("k");
        // Out of the registry's bounds: OutOfRange, the message giving those bounds.
        for (long bad : new long[] {(long) k.min() - 1, (long) k.max() + 1}) {
            OutOfRangeException e = raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                                                  () -> d.set("k", bad));
            contains(e.getMessage(), "'k'", "names the option");
            contains(e.getMessage(), (long) k.min() + ".." + (long) k.max(), "gives the registry's bounds");
            ok(e instanceof InvalidArgumentException, "OutOfRange is an InvalidArgument");
        }
        OptionInfo b = opt("bm25_b");
        OutOfRangeException e = raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                                              () -> d.set("bm25_b", b.max() + 0.5));
        contains(e.getMessage(), "bm25_b", "names the option");
        raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE, () -> d.set("w_topic", -1.0));
        raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE, () -> d.set("w_topic", Double.NaN));
        raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE, () -> d.set("k", "0"));
        // Of the wrong form: InvalidArgument with the library's explanation.
        InvalidArgumentException f = raisesExactly(InvalidArgumentException.class, LibmatchException.LM_EINVAL,
                                                   () -> d.set("fusion", "linear"));
        contains(f.getMessage(), String.join("|", opt("fusion").choices()), "lists the registry's choices");
        InvalidArgumentException w = raisesExactly(InvalidArgumentException.class, LibmatchException.LM_EINVAL,
                                                   () -> d.set("k", 2.5));
        contains(w.getMessage(), "whole number", "says what is wrong");
        raisesExactly(InvalidArgumentException.class, LibmatchException.LM_EINVAL, () -> d.set("w_topic", "abc"));
        raisesExactly(InvalidArgumentException.class, LibmatchException.LM_EINVAL, () -> d.set("k", "5 "));
        raisesExactly(InvalidArgumentException.class, LibmatchException.LM_EINVAL, () -> d.add("region", "x"));
        // An unknown name: NotFound (the library's code), as UnknownOptionException.
        UnknownOptionException u = raisesExactly(UnknownOptionException.class, LibmatchException.LM_ENOTFOUND,
                                                 () -> d.set("kk", 5));
        contains(u.getMessage(), "'kk'", "names the unknown option");
        ok(u instanceof NotFoundException, "UnknownOption is a NotFound");
        raises(UnknownOptionException.class, () -> d.set("w_nothing", 1.0));
        raises(UnknownOptionException.class, () -> d.add("nothing", "x"));
        // Strings: too long for the registry, or not Unicode.
        String tooLong = "陕".repeat((int) opt("region").max() / 3 + 1);
        TooBigException t = raisesExactly(TooBigException.class, LibmatchException.LM_ETOOBIG,
                                          () -> d.set("region", tooLong));
        contains(t.getMessage(), String.valueOf((long) opt("region").max()), "gives the registry's limit");
        raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8, () -> d.set("region", "陕\ud800"));
        raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8, () -> d.add("field", "a\u0000b"));
        // Valid text forms.
        eq("20", d.set("k", "20").get("k"), "k from text, kept as given");
        d.set("w_topic", "0.25").set("w_topic", "1e-3").set("k", 3.0).set("w_bm25", 2).set("fusion", "rrf")
         .set("evidence_mode", 3).set("region", "").set("min_score", -0.5);
    }
}
