package cn.libmatch;

import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.near;
import static cn.libmatch.Check.ok;
import static cn.libmatch.Check.raises;
import static cn.libmatch.Check.raisesExactly;

import cn.libmatch.TestRunner.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Matching in every direction, options by name, allocation, batch matching. */
public class MatchTest {

    static Database sample() {
        return Database.open(Fixtures.sampleDb(), OpenFlag.READONLY);
    }

    /** The score as the weighted sum of the components, with the weights of the options "w_" + name. */
    static double weightedSum(Match m, MatchOptions o) {
        double s = 0;
        for (Map.Entry<String, Double> c : m.components().entrySet()) {
            if (Options.find("w_" + c.getKey()).isEmpty()) continue;       // informational (bm25_raw)
            s += ((Number) o.get("w_" + c.getKey())).doubleValue() * c.getValue();
        }
        return s;
    }

    @Test(1)
    void everyDirection() {
        try (Database db = sample()) {
            String[][] from = {{"PROBLEM", "P-001"}, {"ACHIEVEMENT", "A-001"}, {"EXPERT", "E-001"}};
            for (String[] f : from) {
                for (Kind to : Kind.values()) {
                    Kind fk = Kind.valueOf(f[0]);
                    MatchList hits = db.match(fk, f[1], to);
                    MatchOptions weighted = MatchOptions.defaults().set("fusion", "weighted");
                    MatchList sums = db.match(fk, f[1], to, weighted);
                    for (Match m : sums)
                        near(m.score(), weightedSum(m, weighted), 1e-9, "fusion weighted: score = weighted sum");
                    ok(!hits.isEmpty(), f[1] + " -> " + to);
                    ok(hits.size() <= 10, "default k");
                    ok(!hits.queryTerms().isEmpty(), "query terms");
                    for (int i = 0; i < hits.size(); i++) {
                        Match m = hits.get(i);
                        eq(to, m.kind(), "kind of hit");
                        ok(!(fk == to && m.id().equals(f[1])), "the record itself is excluded");
                        ok(i == 0 || hits.get(i - 1).score() >= m.score(), "best first");
                        ok(m.probability().isPresent(), "every hit has a match probability");
                        double p = m.probability().getAsDouble();
                        ok(p > 0 && p < 1, "probability in (0,1): " + p);
                        near(m.score(), p, 1e-12, "the default fusion (model) ranks by the probability");
                        ok(!m.label().isEmpty(), "label");
                        if (to != Kind.EXPERT) eq(List.of(), m.evidence(), "evidence only for experts");
                    }
                }
            }
        }
    }

    @Test(2)
    void expertsComeWithEvidence() {
        try (Database db = sample()) {
            MatchList hits = db.match(Kind.PROBLEM, "P-001", Kind.EXPERT, MatchOptions.defaults().set("k", 3));
            eq(3, hits.size(), "k=3");
            Match top = hits.get(0);
            ok(!top.evidence().isEmpty(), "evidence of the top expert");
            for (Evidence e : top.evidence()) {
                ok(e.id().startsWith("A-"), "evidence is an achievement: " + e);
                ok(e.score() >= 0 && e.score() <= 1, "relevance in [0,1]");
                db.get(Kind.ACHIEVEMENT, e.id());
            }
            eq(top.component("evidence"), top.components().get("evidence"), "component()");
            eq(0.0, top.component("no_such_component"), "absent component");
            raises(UnsupportedOperationException.class, () -> top.components().put("x", 1.0));
            raises(UnsupportedOperationException.class, () -> top.terms().add("x"));
            raises(UnsupportedOperationException.class, () -> hits.add(top));
        }
    }

    @Test(3)
    void optionsChangeTheResults() {
        try (Database db = sample()) {
            MatchOptions base = MatchOptions.defaults().set("k", 8);
            MatchList all = db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, base);
            eq(8, all.size(), "k=8");
            MatchList page = db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, base.set("k", 3).set("offset", 2));
            eq(all.ids().subList(2, 5), page.ids(), "offset");
            // Weights by name, in the weighted sum: without the topic weight
            // each score loses 0.5 x topic (the latent topic, which stands in
            // for the tag vote when that counts nothing, is off in both).
            MatchOptions sum = base.set("fusion", "weighted").set("w_latent_topic", 0.0);
            MatchOptions noTopic = sum.set("w_topic", 0.0);
            Map<String, Match> before = new HashMap<>();
            for (Match m : db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, sum)) before.put(m.id(), m);
            for (Match m : db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, noTopic)) {
                near(weightedSum(m, noTopic), m.score(), 1e-9, "score with w_topic=0");
                Match b = before.get(m.id());
                if (b != null)
                    near(b.score() - ((Number) sum.get("w_topic")).doubleValue() * b.component("topic"),
                         m.score(), 1e-9, "topic weight removed for " + m.id());
            }
            // Filters.
            for (Match m : db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, base.set("region", "陕西省西安")))
                ok(((String) db.getObject(Kind.ACHIEVEMENT, m.id()).get("region")).startsWith("陕西省西安"), "region");
            for (Match m : db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, base.set("min_maturity", 7)))
                ok(((Number) db.getObject(Kind.ACHIEVEMENT, m.id()).get("maturity")).intValue() >= 7, "maturity");
            MatchList sem = db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, base.add("field", "半导体"));
            ok(!sem.isEmpty(), "field filter leaves hits");
            for (Match m : sem)
                ok(((List<?>) db.getObject(Kind.ACHIEVEMENT, m.id()).get("fields")).contains("半导体"), "field");
            MatchList rrf = db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT, base.set("fusion", "rrf"));
            ok(rrf.get(0).score() < 0.1, "rrf scores are reciprocal ranks: " + rrf.get(0).score());
        }
    }

    @Test(4)
    void matchRecordAndQuery() {
        try (Database db = sample()) {
            String p1 = db.get(Kind.PROBLEM, "P-001");
            MatchList stored = db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT);
            MatchList given = db.matchRecord(p1, Kind.ACHIEVEMENT);
            eq(stored.ids(), given.ids(), "an unstored copy ranks like the stored record");
            for (int i = 0; i < stored.size(); i++) near(stored.get(i).score(), given.get(i).score(), 1e-9, "score");
            Map<String, Object> rec = new LinkedHashMap<>();
            rec.put("id", "P-新");
            rec.put("kind", "problem");
            rec.put("title", "锂离子电池热失控预警");
            rec.put("keywords", List.of("热失控", "储能"));
            MatchList m = db.matchRecord(rec, Kind.ACHIEVEMENT, MatchOptions.defaults().set("k", 3));
            eq(3, m.size(), "k");
            ok(db.find(Kind.PROBLEM, "P-新").isEmpty(), "matchRecord stores nothing");
            MatchList q = db.query("鋰離子電池熱失控預警", Kind.ACHIEVEMENT, MatchOptions.defaults().set("k", 3));
            eq("A-011", q.get(0).id(), "Traditional free text (see EXPECTED.tsv)");
            eq(0, db.query("", Kind.EXPERT).size(), "empty text: no hits");
        }
    }

    @Test(5)
    void allocation() {
        try (Database db = sample()) {
            List<String> problems = List.of("P-001", "P-002", "P-003", "P-004", "P-005");
            Allocation a = db.allocate(Kind.EXPERT, problems, (List<String>) null, MatchOptions.defaults());
            ok(!a.pairs().isEmpty(), "pairs");
            Set<String> experts = new HashSet<>(), seen = new HashSet<>();
            double total = 0;
            for (Allocation.Pair p : a.pairs()) {
                ok(problems.contains(p.problem()), "a requested problem");
                ok(experts.add(p.candidate()), "capacity 1: each expert once");
                ok(seen.add(p.problem()), "per_problem 1: each problem once");
                total += p.score();
            }
            near(total, a.total(), 1e-9, "total = sum of the pairs");
            Allocation two = db.allocate(Kind.EXPERT, problems, (List<String>) null,
                                         MatchOptions.defaults().set("per_problem", 2).set("capacity", 2));
            ok(two.pairs().size() > a.pairs().size(), "more pairs with more capacity");
            ok(two.total() >= a.total(), "a larger total");
            Map<String, Integer> caps = new LinkedHashMap<>();
            caps.put("E-001", 3);
            caps.put("E-022", 0);
            Allocation c = db.allocate(Kind.EXPERT, problems, caps, MatchOptions.defaults().set("per_problem", 1));
            for (Allocation.Pair p : c.pairs()) eq("E-001", p.candidate(), "only E-001 has capacity");
            ok(c.pairs().size() <= 3, "E-001 takes at most 3");
            Allocation none = db.allocate(Kind.EXPERT, problems, (List<String>) null,
                                          MatchOptions.defaults().set("min_score", 1e6));
            eq(0, none.pairs().size(), "min_score above every score");
            ok(!db.allocate(Kind.ACHIEVEMENT, MatchOptions.defaults()).pairs().isEmpty(), "every problem");
        }
    }

    @Test(6)
    void probabilityIsReadFromTheJsonWhenPresent() {
        String without = "{\"query_terms\":[],\"results\":[{\"id\":\"A\",\"kind\":\"achievement\",\"score\":1}]}";
        eq(null, Database.probabilities(without, 1), "no key: no probabilities");
        String with = "{\"query_terms\":[\"x\"],\"results\":[{\"id\":\"A\",\"score\":1,\"probability\":0.75,\"new\":{}},"
            + "{\"id\":\"B\",\"score\":0.5}]}";
        double[] p = Database.probabilities(with, 2);
        ok(p != null, "read");
        eq(0.75, p[0], "probability of hit 0");
        ok(Double.isNaN(p[1]), "hit 1 has none");
        String labelOnly = "{\"query_terms\":[],\"results\":[{\"id\":\"A\",\"label\":\"\\\"probability\\\"\",\"score\":1}]}";
        eq(null, Database.probabilities(labelOnly, 1), "the word inside a label is not a key");
    }

    /** The ids of the stored records of `kind`, in storage order. */
    static List<String> ids(Database db, Kind kind) {
        List<String> ids = new ArrayList<>();
        for (StoredRecord r : db.records(kind)) ids.add(r.id());
        return ids;
    }

    /** Every source has `k` hits (fewer only when there are fewer targets), best first, with cosines. */
    static void checkBatch(Map<String, List<BatchHit>> batch, int k, String what) {
        for (Map.Entry<String, List<BatchHit>> e : batch.entrySet()) {
            List<BatchHit> hits = e.getValue();
            eq(k, hits.size(), what + ": hits of " + e.getKey());
            for (int i = 0; i < hits.size(); i++) {
                BatchHit h = hits.get(i);
                ok(h.score() == (float) h.score(), "a float score: " + h);
                ok(h.score() >= -1.0001 && h.score() <= 1.0001, "a cosine: " + h);
                ok(i == 0 || hits.get(i - 1).score() >= h.score(), what + ": best first");
            }
        }
    }

    @Test(7)
    void batchMatchInTheBuiltInSpace() {
        try (Database db = Database.openInMemory()) {
            Fixtures.loadSample(db, false);                                 // without the loader's space
            InvalidStateException e = raisesExactly(InvalidStateException.class, LibmatchException.LM_ESTATE,
                () -> db.batchMatch(Kind.PROBLEM, Kind.ACHIEVEMENT, 2));      // no vectors built yet
            Check.contains(e.getMessage(), "no semantic vectors", "the library's message");
            db.buildVectors(4);
            Map<String, List<BatchHit>> batch = db.batchMatch(Kind.PROBLEM, Kind.ACHIEVEMENT, 2);
            eq(ids(db, Kind.PROBLEM), new ArrayList<>(batch.keySet()), "every problem, in the library's order");
            checkBatch(batch, 2, "problem -> achievement k=2");
            Set<String> achievements = new HashSet<>(ids(db, Kind.ACHIEVEMENT));
            for (List<BatchHit> hits : batch.values())
                for (BatchHit h : hits) ok(achievements.contains(h.id()), "an achievement: " + h);
            eq(batch, db.batchMatch(Kind.PROBLEM, Kind.ACHIEVEMENT, 2), "the same again");
            raises(UnsupportedOperationException.class, () -> batch.put("x", List.of()));
            raises(UnsupportedOperationException.class, () -> batch.values().iterator().next().clear());
            raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                          () -> db.batchMatch(Kind.PROBLEM, Kind.ACHIEVEMENT, 0));
            raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                          () -> db.batchMatch(Kind.PROBLEM, Kind.ACHIEVEMENT, 10001));
            raises(NullPointerException.class, () -> db.batchMatch(null, Kind.ACHIEVEMENT, 2));
            db.buildVectors(2);
            Map<String, List<BatchHit>> b = db.batchMatch(Kind.EXPERT, Kind.ACHIEVEMENT, 1);
            eq(ids(db, Kind.EXPERT), new ArrayList<>(b.keySet()), "every expert");
            checkBatch(b, 1, "expert -> achievement k=1");
            Map<String, List<BatchHit>> self = db.batchMatch(Kind.ACHIEVEMENT, Kind.ACHIEVEMENT, 3);
            for (Map.Entry<String, List<BatchHit>> en : self.entrySet())
                for (BatchHit h : en.getValue()) ok(!h.id().equals(en.getKey()), "same kind: the record itself excluded");
        }
        Database closed = Database.openInMemory();
        closed.close();
        raises(InvalidStateException.class, () -> closed.batchMatch(Kind.PROBLEM, Kind.EXPERT, 1));
    }

    @Test(8)
    void batchMatchWithinMemory() {
        String[] words = {"锂电池", "储能", "热失控", "猕猴桃", "溃疡病", "小麦", "抗旱", "育种", "5G基站", "PEM燃料电池",
                          "碳化硅", "功率器件", "光伏", "氢能", "果园", "病害", "電站", "新品種", "隧道", "掘进"};
        try (Database db = Database.openInMemory()) {
            long x = 7;
            List<String> recs = new ArrayList<>();
            for (int i = 0; i < 1100; i++) {
                StringBuilder title = new StringBuilder();
                for (int j = 0; j < 4; j++) {
                    x = (x * 1103515245L + 12345) % (1L << 31);
                    title.append(words[(int) ((x >> 8) % words.length)]);
                }
                recs.add(Json.write(Map.of("id", String.format("A%04d", i), "kind", "achievement",
                                           "title", title.toString())));
            }
            eq(1100L, db.loadRecords(recs, LoadPolicy.ATOMIC).loaded(), "loaded");
            db.buildVectors(12);
            eq(0L, db.batchMemory(), "no bound by default");
            Map<String, List<BatchHit>> whole = db.batchMatch(Kind.ACHIEVEMENT, Kind.ACHIEVEMENT, 5);
            eq(1100, whole.size(), "every achievement");
            checkBatch(whole, 5, "whole");
            List<Long> seen = new ArrayList<>();
            db.setProgressListener((stage, done, total) -> {
                eq("batch", stage, "stage");
                seen.add(done);
                return true;
            });
            Map<String, List<BatchHit>> part = db.batchMatch(Kind.ACHIEVEMENT, Kind.ACHIEVEMENT, 5,
                                                             Database.MIN_BATCH_MEMORY);
            db.setProgressListener(null);
            eq(whole, part, "the same ids and scores within 64 KiB");
            eq(new ArrayList<>(whole.keySet()), new ArrayList<>(part.keySet()), "in the same order");
            ok(seen.size() > 2, "blocks and ranges report progress: " + seen);
            eq(0L, db.batchMemory(), "the memory of one call is for that call");
            db.setBatchMemory(65536);
            eq(65536L, db.batchMemory(), "set");
            eq(whole, db.batchMatch(Kind.ACHIEVEMENT, Kind.ACHIEVEMENT, 5), "the handle's bound");
            OutOfRangeException e = raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                                                  () -> db.setBatchMemory(1000));
            Check.contains(e.getMessage(), "batch memory 1000 bytes", "the library's message");
            raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                          () -> db.batchMatch(Kind.ACHIEVEMENT, Kind.ACHIEVEMENT, 5, 1000));
            raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                          () -> db.setBatchMemory(-1));
            eq(65536L, db.batchMemory(), "unchanged by the refusals");
            // A failing call under a memory bound of its own: the library's
            // message, not the one of restoring the handle's bound.
            OutOfRangeException badK = raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                () -> db.batchMatch(Kind.ACHIEVEMENT, Kind.ACHIEVEMENT, 0, 1L << 20));
            Check.contains(badK.getMessage(), "k 0", "the batch's message");
            eq(65536L, db.batchMemory(), "restored after a failure");
            db.setBatchMemory(1L << 40);
            eq(1L << 40, db.batchMemory(), "2^40");
            db.setBatchMemory(0);
            eq(0L, db.batchMemory(), "0: no bound again");
        }
    }

    @Test(9)
    void batchMatchProgressInterruptsAndRethrows() {
        try (Database db = Database.openInMemory()) {
            Fixtures.loadSample(db);
            db.buildVectors(4);
            db.setProgressListener((stage, done, total) -> false);
            raisesExactly(InvalidStateException.class, LibmatchException.LM_ESTATE,
                          () -> db.batchMatch(Kind.PROBLEM, Kind.ACHIEVEMENT, 2));
            db.setProgressListener((stage, done, total) -> {
                throw new UnsupportedOperationException("listener failed in " + stage);
            });
            UnsupportedOperationException u = raises(UnsupportedOperationException.class,
                () -> db.batchMatch(Kind.PROBLEM, Kind.ACHIEVEMENT, 2, Database.MIN_BATCH_MEMORY));
            eq("listener failed in batch", u.getMessage(), "the listener's exception comes back");
            eq(0L, db.batchMemory(), "restored");
            db.setProgressListener(null);
            eq(ids(db, Kind.PROBLEM).size(), db.batchMatch(Kind.PROBLEM, Kind.ACHIEVEMENT, 2).size(), "usable afterwards");
        }
    }
}
