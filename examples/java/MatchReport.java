import cn.libmatch.Database;
import cn.libmatch.Evidence;
import cn.libmatch.Kind;
import cn.libmatch.Match;
import cn.libmatch.MatchList;
import cn.libmatch.MatchOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Match report: load the sample libraries (examples/data) and print, for one
 * problem, the best achievements and experts with their scores, score
 * components, matched terms and, for experts, the achievements that support
 * them.
 *
 * <pre>
 * make                                  # builds build/libmatch.so and build/java/libmatch.jar
 * java -cp /usr/share/java/jna.jar:build/java/libmatch.jar -Dlibmatch.library=build/libmatch.so \
 *      examples/java/MatchReport.java [--problem P-001] [-k 5] [--data examples/data] [DB]
 * </pre>
 *
 * Without DB the libraries are loaded into an in-memory database.
 */
public class MatchReport {
    static final Map<String, String> COMPONENTS = Map.of(
        "bm25", "文本", "fields", "领域", "region", "地域", "maturity", "成熟度",
        "evidence", "成果佐证", "topic", "主题", "cosine", "语义", "cosine_ext", "向量");
    static final List<String> ORDER = List.of("bm25", "fields", "region", "maturity", "evidence", "topic",
                                              "cosine", "cosine_ext");

    public static void main(String[] args) throws IOException {
        String problem = "P-001", db = ":memory:";
        Path data = Path.of(System.getProperty("libmatch.data", "examples/data"));
        int k = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--problem": problem = args[++i]; break;
                case "-k": k = Integer.parseInt(args[++i]); break;
                case "--data": data = Path.of(args[++i]); break;
                case "-h": case "--help":
                    System.out.println("usage: MatchReport [--problem ID] [-k N] [--data DIR] [DB]");
                    return;
                default: db = args[i];
            }
        }
        try (Database d = Database.open(db)) {
            if (d.count() == 0) load(d, data);
            report(d, problem, k);
        }
    }

    /** User words, synonyms, then the three libraries (each file in one transaction). */
    static void load(Database db, Path data) throws IOException {
        Path userdict = data.resolve("userdict.txt");
        if (Files.exists(userdict)) {
            for (String line : Files.readAllLines(userdict, StandardCharsets.UTF_8)) {
                String[] p = line.replaceAll("#.*", "").trim().split("\\s+");
                if (!p[0].isEmpty()) db.addWord(p[0], p.length > 1 ? Long.parseLong(p[1]) : 0);
            }
        }
        Path synonyms = data.resolve("synonyms.tsv");
        if (Files.exists(synonyms)) db.loadSynonyms(synonyms);
        for (String name : List.of("problems", "achievements", "experts"))
            db.load(data.resolve(name + ".jsonl"));
    }

    /** The non-zero components in Chinese: 文本 1.00 · 领域 1.00 · ... */
    static String why(Match m) {
        return ORDER.stream().filter(c -> m.component(c) != 0)
                    .map(c -> String.format("%s %.2f", COMPONENTS.get(c), m.component(c)))
                    .collect(Collectors.joining(" · "));
    }

    static String str(Map<String, Object> r, String key) {
        Object v = r.get(key);
        return v == null ? "—" : v.toString();
    }

    static void report(Database db, String problemId, int k) {
        Map<String, Object> p = db.getObject(Kind.PROBLEM, problemId);
        System.out.printf("问题 %s：%s%n", problemId, str(p, "title"));
        System.out.printf("  %s · %s · 领域：%s%n", str(p, "org"), str(p, "region"),
                          p.get("fields") instanceof List ? String.join("、", castList(p.get("fields"))) : "—");
        MatchOptions opts = MatchOptions.defaults().set("k", k);

        MatchList achievements = db.match(Kind.PROBLEM, problemId, Kind.ACHIEVEMENT, opts);
        System.out.printf("  查询词：%s%n", String.join(" ", achievements.queryTerms()));
        System.out.printf("%n推荐成果（前 %d）：%n", k);
        int rank = 0;
        for (Match m : achievements) {
            Map<String, Object> a = db.getObject(Kind.ACHIEVEMENT, m.id());
            System.out.printf("%2d. %s %s  [成熟度 TRL %s，%s]%n", ++rank, m.id(), m.label(), str(a, "maturity"),
                              str(a, "region"));
            System.out.printf("    得分 %.3f · 匹配度 %.1f%%（%s）%n", m.score(), 100 * m.probability().orElse(Double.NaN), why(m));
            m.probability().ifPresent(pr -> System.out.printf("    匹配概率 %.0f%%%n", pr * 100));
            System.out.printf("    命中词：%s%n", m.terms().isEmpty() ? "—" : String.join(" ", m.terms()));
        }

        System.out.printf("%n推荐专家（前 %d）：%n", k);
        rank = 0;
        for (Match m : db.match(Kind.PROBLEM, problemId, Kind.EXPERT, opts)) {
            Map<String, Object> e = db.getObject(Kind.EXPERT, m.id());
            System.out.printf("%2d. %s %s（%s）  研究方向：%s%n", ++rank, m.id(), m.label(), str(e, "org"),
                              str(e, "research"));
            System.out.printf("    得分 %.3f · 匹配度 %.1f%%（%s）%n", m.score(), 100 * m.probability().orElse(Double.NaN), why(m));
            System.out.printf("    命中词：%s%n", m.terms().isEmpty() ? "—" : String.join(" ", m.terms()));
            if (!m.evidence().isEmpty()) {
                StringBuilder sb = new StringBuilder();
                for (Evidence ev : m.evidence()) {
                    if (sb.length() > 0) sb.append("；");
                    sb.append(String.format("%s %s (%.2f)", ev.id(),
                        str(db.getObject(Kind.ACHIEVEMENT, ev.id()), "title"), ev.score()));
                }
                System.out.printf("    支撑成果：%s%n", sb);
            }
        }
    }

    @SuppressWarnings("unchecked")
    static List<String> castList(Object o) {
        return (List<String>) o;
    }
}
