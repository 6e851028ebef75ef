package cn.libmatch;

import java.util.Objects;

/** Assertions of the tests. */
final class Check {
    private Check() {}

    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    static void ok(boolean cond, String what) {
        if (!cond) throw new AssertionError(what);
    }

    static void eq(Object expected, Object actual, String what) {
        if (!Objects.equals(expected, actual))
            throw new AssertionError(what + ": expected <" + expected + "> but got <" + actual + ">");
    }

    static void near(double expected, double actual, double tol, String what) {
        if (!(Math.abs(expected - actual) <= tol))
            throw new AssertionError(what + ": expected " + expected + " but got " + actual);
    }

    static void contains(String haystack, String needle, String what) {
        if (haystack == null || !haystack.contains(needle))
            throw new AssertionError(what + ": <" + haystack + "> does not contain <" + needle + ">");
    }

    /** Run body, which must throw exactly a `type` (or a subclass); return it. */
    static <T extends Throwable> T raises(Class<T> type, Body body) {
        try {
            body.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) return type.cast(t);
            AssertionError a = new AssertionError("expected " + type.getSimpleName() + " but got " + t);
            a.initCause(t);
            throw a;
        }
        throw new AssertionError("expected " + type.getSimpleName() + " but nothing was thrown");
    }

    /** raises() that also checks the exact class and the status code. */
    static <T extends LibmatchException> T raisesExactly(Class<T> type, int code, Body body) {
        T e = raises(type, body);
        eq(type, e.getClass(), "exception class");
        eq(code, e.code(), "status code of " + e);
        return e;
    }
}
