package cn.libmatch;

import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;
import static cn.libmatch.Check.raises;

import cn.libmatch.TestRunner.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The minimal JSON reader and writer. */
public class JsonTest {

    @Test(1)
    void parsesValues() {
        Map<String, Object> m = Json.object(
            " {\"a\":1, \"b\":-2.5e3, \"c\":[true,false,null], \"d\":{\"e\":\"x\"}, \"big\":12345678901234567890,"
            + " \"z\":0, \"f\":0.1}");
        eq(List.of("a", "b", "c", "d", "big", "z", "f"), List.copyOf(m.keySet()), "keys in document order");
        eq(1L, m.get("a"), "integer as Long");
        eq(-2500.0, m.get("b"), "number as Double");
        eq(Arrays.asList(true, false, null), m.get("c"), "array");
        eq(Map.of("e", "x"), m.get("d"), "nested object");
        eq(1.2345678901234567e19, m.get("big"), "integer beyond long as Double");
        eq(0.1, m.get("f"), "0.1 exactly as Double.parseDouble reads it");
        raises(UnsupportedOperationException.class, () -> m.put("x", 1));
    }

    @Test(2)
    void parsesStringsAndEscapes() {
        eq("a\"b\\c/\b\f\n\r\t", Json.parse("\"a\\\"b\\\\c\\/\\b\\f\\n\\r\\t\""), "escapes");
        eq("碳化硅", Json.parse("\"\\u78b3\\u5316\\u7845\""), "\\u escapes of Han characters");
        eq("🔋电池", Json.parse("\"\\ud83d\\udd0b电池\""), "surrogate pair escape");
        eq("低熱阻碳化矽，５Ｇ基站！", Json.parse("\"低熱阻碳化矽，５Ｇ基站！\""), "raw full-width text");
    }

    @Test(3)
    void rejectsMalformedJson() {
        for (String bad : new String[] {"", "{", "{\"a\":}", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"abc",
                                          "\"a\nb\"", "\"\\x\"", "tru", "{} x", "{'a':1}", "[1 2]", "\"\\u12\""}) {
            MalformedJsonException e = raises(MalformedJsonException.class, () -> Json.parse(bad));
            ok(e instanceof InvalidRecordException, "MalformedJsonException is an InvalidRecordException");
            eq(LibmatchException.LM_EJSON, e.code(), "code of " + e.getMessage());
        }
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 600; i++) deep.append('[');
        raises(MalformedJsonException.class, () -> Json.parse(deep.toString()));
    }

    @Test(4)
    void writesAndReadsBack() {
        Map<String, Object> rec = new LinkedHashMap<>();
        rec.put("id", "P-900");
        rec.put("kind", "problem");
        rec.put("title", "「5G基站」节能：PEM燃料电池\"备用\"电源\n第二行\t\u0001");
        rec.put("keywords", List.of("5G基站", "燃料電池"));
        rec.put("maturity", 7.0);
        rec.put("meta", Map.of("budget_wan", 80, "ok", true));
        rec.put("none", null);
        String js = Json.write(rec);
        ok(js.startsWith("{\"id\":\"P-900\",\"kind\":\"problem\""), "key order kept: " + js);
        ok(js.contains("\"maturity\":7,"), "integral double written as an integer: " + js);
        ok(js.contains("\\u0001") && js.contains("\\n") && js.contains("\\\"备用\\\""), "escaped: " + js);
        eq(rec, Json.parse(js) instanceof Map ? fixNumbers(Json.object(js)) : null, "round trip");
        raises(InvalidArgumentException.class, () -> Json.write(Double.NaN));
        raises(InvalidArgumentException.class, () -> Json.write(new Object()));
    }

    private static Map<String, Object> fixNumbers(Map<String, Object> m) {
        Map<String, Object> r = new LinkedHashMap<>(m);
        r.put("maturity", ((Number) m.get("maturity")).doubleValue());
        Map<String, Object> meta = new LinkedHashMap<>();
        ((Map<?, ?>) m.get("meta")).forEach((k, v) -> meta.put((String) k, v instanceof Long ? ((Long) v).intValue() : v));
        r.put("meta", meta);
        return r;
    }
}
