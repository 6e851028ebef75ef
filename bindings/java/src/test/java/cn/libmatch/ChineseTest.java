package cn.libmatch;

import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;

import cn.libmatch.TestRunner.Test;

import java.util.List;
import java.util.Map;

/** Chinese text in and out: Simplified, Traditional, full-width punctuation, mixed terms, astral characters. */
public class ChineseTest {

    static final String[] TITLES = {
        "碳化硅功率模块封装散热难题",                       // Simplified
        "低熱阻碳化矽功率模組銀燒結封裝技術",               // Traditional
        "５Ｇ基站（宏站）节能：「智能关断」方案！？",         // full-width letters, digits and punctuation
        "5G基站与PEM燃料电池备用电源",                       // mixed terms
        "𠮷野家的🔋电池管理——BMS“均衡”",                   // astral characters (surrogate pairs), curly quotes
        "A\"B\\C/换行\n制表\t结束",                          // JSON escapes
    };

    @Test(1)
    void textRoundTripsExactly() {
        try (Database db = Database.openInMemory()) {
            for (int i = 0; i < TITLES.length; i++) {
                String t = TITLES[i];
                db.put(Map.of("id", "编号-" + i, "kind", "problem", "title", t, "keywords", List.of(t, "关键词"),
                              "region", "陕西省西安市", "meta", Map.of("备注", t)));
            }
            for (int i = 0; i < TITLES.length; i++) {
                Map<String, Object> r = db.getObject(Kind.PROBLEM, "编号-" + i);
                eq("编号-" + i, r.get("id"), "Chinese id");
                eq(TITLES[i], r.get("title"), "title " + i);
                eq(List.of(TITLES[i], "关键词"), r.get("keywords"), "keywords " + i);
                eq(Map.of("备注", TITLES[i]), r.get("meta"), "meta " + i);
            }
            // Labels of hits come back unchanged too (Traditional stays Traditional).
            MatchList hits = db.query("碳化矽 功率模組 封裝", Kind.PROBLEM);
            ok(!hits.isEmpty(), "Traditional query finds something");
            for (Match m : hits) {
                int i = Integer.parseInt(m.id().substring(3));
                eq(TITLES[i], m.label(), "label of " + m.id());
            }
        }
    }

    @Test(2)
    void traditionalAndSimplifiedMatchEachOther() {
        try (Database db = Database.open(Fixtures.sampleDb(), OpenFlag.READONLY)) {
            // A-001 is written in Traditional script; the Simplified problem P-001 finds it first.
            MatchList a = db.match(Kind.PROBLEM, "P-001", Kind.ACHIEVEMENT);
            eq("A-001", a.get(0).id(), "P-001 -> A-001");
            eq("低熱阻碳化矽功率模組銀燒結封裝技術", a.get(0).label(), "label in its own script");
            MatchList s = db.query("碳化硅功率器件封装散热", Kind.ACHIEVEMENT);
            MatchList t = db.query("碳化矽功率器件封裝散熱", Kind.ACHIEVEMENT);
            eq(s.ids(), t.ids(), "Simplified and Traditional queries rank alike");
            eq(s.queryTerms(), t.queryTerms(), "the same query terms");
            MatchList f = db.query("ＰＥＭ燃料電池，５Ｇ基站！", Kind.ACHIEVEMENT);
            ok(f.queryTerms().contains("5g"), "full-width letters and digits folded: " + f.queryTerms());
            eq(f.queryTerms(), db.query("PEM燃料电池,5G基站!", Kind.ACHIEVEMENT).queryTerms(), "as half-width");
        }
    }

    @Test(3)
    void analyzerOffsetsAreJavaIndexes() {
        String text = "𠮷基于５Ｇ的PEM燃料電池";
        List<Token> toks = Libmatch.analyze(text);
        ok(!toks.isEmpty(), "tokens");
        boolean sawFuel = false, saw5g = false;
        for (Token t : toks) {
            ok(0 <= t.start() && t.start() <= t.end() && t.end() <= text.length(), "offsets within the string: " + t);
            String surface = text.substring(t.start(), t.end());
            if (t.text().equals("燃料电池")) {
                eq("燃料電池", surface, "surface form of the Simplified token");
                sawFuel = true;
            }
            if (t.text().equals("5g")) {
                eq("５Ｇ", surface, "surface of the folded token");
                saw5g = true;
            }
        }
        ok(sawFuel, "燃料电池 is a token: " + toks);
        ok(saw5g, "5g is a token: " + toks);
        try (Database db = Database.openInMemory()) {
            db.addWord("秦创原");
            ok(db.analyze("秦创原平台").stream().anyMatch(t -> t.text().equals("秦创原")), "user word applies");
            ok(db.analyze("基站", Libmatch.ANALYZE_BIGRAMS).size() >= 1, "mode");
        }
        // Single characters (a new database's default): 茶多糖 meets 绿茶.
        try (Database db = Database.openInMemory()) {
            ok(db.analyze("綠茶多糖", Libmatch.ANALYZE_ALL | Libmatch.ANALYZE_UNIGRAMS).stream()
                 .anyMatch(t -> t.text().equals("茶")), "unigram of a Traditional word");
            ok(db.analyzerId().contains("unigrams"), "the default: " + db.analyzerId());
            db.setAnalyzerMode(Libmatch.ANALYZE_ALL);
            db.put("{\"id\":\"A-1\",\"kind\":\"achievement\",\"title\":\"绿茶加工工艺\"}");
            ok(db.query("茶多糖提取", Kind.ACHIEVEMENT).isEmpty(), "no soft match without them");
            db.setAnalyzerMode(Libmatch.ANALYZE_ALL | Libmatch.ANALYZE_UNIGRAMS);
            ok(db.analyzerId().contains("unigrams"), db.analyzerId());
            ok(db.query("茶多糖提取", Kind.ACHIEVEMENT).get(0).id().equals("A-1"), "soft match with unigrams");
        }
        // The loader keeps a semantic space from 100 records on, unless told not to.
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 120; i++)
            many.append("{\"id\":\"A").append(i).append("\",\"kind\":\"achievement\",\"title\":\"")
                .append(i % 2 == 0 ? "小麦抗旱育种" : "锂电池热失控预警").append(i).append("\"}\n");
        try (Database db = Database.openInMemory()) {
            db.loadBuffer(many.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8), LoadPolicy.ATOMIC, false);
            ok(db.statsJson().contains("\"vectors\":{\"dim\":0"), "no space: " + db.statsJson());
        }
        try (Database db = Database.openInMemory()) {
            db.loadJsonl(many.toString(), LoadPolicy.ATOMIC);
            ok(db.statsJson().contains("\"built_records\":120"), "the loader's space: " + db.statsJson());
        }
    }
}
