package cn.libmatch;

import static cn.libmatch.Check.contains;
import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;

import cn.libmatch.TestRunner.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/** examples/java/MatchReport.java runs as documented and prints the demo's matches. */
public class ExampleTest {

    @Test(1)
    void matchReportPrintsTheDemoMatches() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = List.of(java.toString(),
            "-cp", Fixtures.prop("libmatch.jna") + ":" + Fixtures.prop("libmatch.jar"),
            "-Dlibmatch.library=" + Fixtures.prop("libmatch.library"),
            "-Dlibmatch.data=" + Fixtures.prop("libmatch.data"),
            "-Dstdout.encoding=UTF-8",
            Fixtures.prop("libmatch.example"), "--problem", "P-001", "-k", "3");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        eq(0, p.waitFor(), "exit status; output:\n" + out);
        contains(out, "问题 P-001：碳化硅功率模块封装散热难题", "the problem");
        contains(out, " 1. A-001 低熱阻碳化矽功率模組銀燒結封裝技術", "the best achievement first");
        contains(out, "推荐专家（前 3）", "the experts");
        contains(out, "支撑成果：A-001", "an expert's evidence");
        contains(out, "匹配度 ", "the match probability of each hit");
        ok(out.lines().filter(l -> l.matches("\\s*\\d\\. [AE]-\\d+ .*")).count() == 6, "3 + 3 hits:\n" + out);
    }
}
