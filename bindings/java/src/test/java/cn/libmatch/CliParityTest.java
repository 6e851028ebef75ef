package cn.libmatch;

import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;

import cn.libmatch.TestRunner.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** The binding gives what the C command-line tool gives for the same database and options. */
public class CliParityTest {

    /** Run $(B)/lmatch with args; its stdout (exit status 0 required). */
    static String cli(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Fixtures.prop("libmatch.cli"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int rc = p.waitFor();
        if (rc != 0) throw new AssertionError("lmatch " + String.join(" ", args) + " exited with " + rc);
        return out;
    }

    static void same(double cli, double java, String what) {
        // The CLI prints doubles with 17 significant digits: they read back exactly.
        if (Double.compare(cli, java) != 0 && Math.abs(cli - java) > 1e-12 * Math.max(1, Math.abs(cli)))
            throw new AssertionError(what + ": CLI " + cli + ", Java " + java);
    }

    /** Compare the CLI's results JSON with the binding's MatchList, field by field. */
    static void compare(String cliJson, MatchList java, String what) {
        Map<String, Object> c = Json.object(cliJson);
        eq(c.get("query_terms"), java.queryTerms(), what + ": query terms");
        List<?> results = (List<?>) c.get("results");
        eq(results.size(), java.size(), what + ": number of hits");
        ok(!results.isEmpty(), what + ": some hits");
        for (int i = 0; i < results.size(); i++) {
            Map<?, ?> r = (Map<?, ?>) results.get(i);
            Match m = java.get(i);
            String at = what + " #" + (i + 1) + " " + m.id();
            eq(r.get("id"), m.id(), at + ": id");
            eq(r.get("kind"), m.kind().jsonName(), at + ": kind");
            eq(r.get("label"), m.label(), at + ": label");
            same(((Number) r.get("score")).doubleValue(), m.score(), at + ": score");
            Map<?, ?> comps = (Map<?, ?>) r.get("components");
            eq(new ArrayList<>(comps.keySet()), new ArrayList<>(m.components().keySet()), at + ": component names in order");
            Iterator<Double> jv = m.components().values().iterator();
            for (Map.Entry<?, ?> e : comps.entrySet())
                same(((Number) e.getValue()).doubleValue(), jv.next(), at + ": component " + e.getKey());
            eq(r.get("terms"), m.terms(), at + ": matched terms");
            List<?> ev = r.containsKey("evidence") ? (List<?>) r.get("evidence") : List.of();
            eq(ev.size(), m.evidence().size(), at + ": evidence count");
            for (int j = 0; j < ev.size(); j++) {
                Map<?, ?> e = (Map<?, ?>) ev.get(j);
                eq(e.get("id"), m.evidence().get(j).id(), at + ": evidence id " + j);
                same(((Number) e.get("score")).doubleValue(), m.evidence().get(j).score(), at + ": evidence score " + j);
            }
            Object p = r.get("probability");
            if (p != null) same(((Number) p).doubleValue(), m.probability().orElse(Double.NaN), at + ": probability");
            else ok(m.probability().isEmpty(), at + ": no probability");
        }
    }

    @Test(1)
    void problemToAchievements() throws Exception {
        String db = Fixtures.sampleDb().toString();
        try (Database d = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY)) {
            compare(cli("match", db, "--problem", "P-001", "--to", "achievement", "--json"),
                    d.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT), "P-001 -> achievements");
        }
    }

    @Test(2)
    void problemToExpertsWithEvidence() throws Exception {
        String db = Fixtures.sampleDb().toString();
        try (Database d = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY)) {
            MatchList j = d.match(Kind.PROBLEM, "P-001", Kind.EXPERT, MatchOptions.defaults().set("k", 5));
            ok(j.stream().anyMatch(m -> !m.evidence().isEmpty()), "some expert has evidence");
            compare(cli("match", db, "--problem", "P-001", "--to", "expert", "-k", "5", "--json"), j, "P-001 -> experts");
        }
    }

    @Test(3)
    void otherDirectionsFiltersAndText() throws Exception {
        String db = Fixtures.sampleDb().toString();
        try (Database d = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY)) {
            compare(cli("match", db, "--achievement", "A-011", "--to", "problem", "--json"),
                    d.match(Kind.ACHIEVEMENT, "A-011", Kind.PROBLEM), "A-011 -> problems");
            compare(cli("match", db, "--expert", "E-008", "--to", "achievement", "-k", "4", "--region", "陕西省", "--json"),
                    d.match(Kind.EXPERT, "E-008", Kind.ACHIEVEMENT, MatchOptions.defaults().set("k", 4).set("region", "陕西省")),
                    "E-008 -> achievements in 陕西省");
            compare(cli("query", db, "碳化矽功率器件封裝散熱", "--to", "expert", "--json"),
                    d.query("碳化矽功率器件封裝散熱", Kind.EXPERT), "Traditional text -> experts");
            eq(cli("get", db, "problem", "P-001").trim(), d.get(Kind.PROBLEM, "P-001"), "get");
        }
    }
}
