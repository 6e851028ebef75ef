package cn.libmatch;

import java.util.Locale;

/** The three kinds of records. */
public enum Kind {
    /** 问题库: an enterprise's technical problem (技术需求/难题). */
    PROBLEM(1, "problem"),
    /** 成果库: a research achievement, patent or paper (科技成果). */
    ACHIEVEMENT(2, "achievement"),
    /** 人才库: an expert (专家/人才). */
    EXPERT(3, "expert");

    final int code;
    private final String jsonName;

    Kind(int code, String jsonName) {
        this.code = code;
        this.jsonName = jsonName;
    }

    /** The name used in records and results: "problem", "achievement", "expert". */
    public String jsonName() {
        return jsonName;
    }

    /** The C code (LM_PROBLEM, LM_ACHIEVEMENT, LM_EXPERT). */
    public int code() {
        return code;
    }

    /** The kind named "problem", "achievement" or "expert" (case-insensitive). */
    public static Kind of(String name) {
        if (name != null)
            for (Kind k : values())
                if (k.jsonName.equals(name.toLowerCase(Locale.ROOT))) return k;
        throw new InvalidArgumentException("unknown kind " + (name == null ? "null" : Text.quote(name))
            + " (expected one of: problem, achievement, expert)");
    }

    static Kind ofCode(int code) {
        for (Kind k : values())
            if (k.code == code) return k;
        throw new LibmatchException(LibmatchException.LM_ERROR, "the library returned an unknown kind " + code);
    }

    @Override
    public String toString() {
        return jsonName;
    }
}
