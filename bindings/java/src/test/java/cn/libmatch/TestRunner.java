package cn.libmatch;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A plain test runner (no JUnit): runs every method annotated {@link Test}
 * of the test classes below, in source-line order (methods sorted by their
 * {@code order}), prints TAP-like lines and ends with
 * {@code # java: passed=N failed=M}; exits 1 when a test failed.
 *
 * <p>System properties (set by {@code make test-java}): libmatch.library,
 * libmatch.cli, libmatch.data, libmatch.jar, libmatch.jna,
 * libmatch.example.  {@code -Dtest=Name} runs the tests whose name contains Name.
 */
public final class TestRunner {

    @Retention(RetentionPolicy.RUNTIME)
    @Target(ElementType.METHOD)
    public @interface Test {
        /** Position within its class (lower runs first). */
        int value() default 0;
    }

    static final Class<?>[] CLASSES = {
        JsonTest.class, OptionsTest.class, RecordsTest.class, ChineseTest.class, ErrorsTest.class,
        MatchTest.class, CliParityTest.class, PoolTest.class, LeakTest.class, ExampleTest.class,
    };

    public static void main(String[] args) {
        String filter = System.getProperty("test", "");
        int n = 0, failed = 0;
        long t0 = System.nanoTime();
        try {
            for (Class<?> c : CLASSES) {
                List<Method> methods = new ArrayList<>();
                for (Method m : c.getDeclaredMethods())
                    if (m.isAnnotationPresent(Test.class)) methods.add(m);
                methods.sort(Comparator.comparingInt((Method m) -> m.getAnnotation(Test.class).value())
                                       .thenComparing(Method::getName));
                for (Method m : methods) {
                    String name = c.getSimpleName() + "." + m.getName();
                    if (!name.contains(filter)) continue;
                    n++;
                    long t = System.nanoTime();
                    try {
                        m.setAccessible(true);
                        m.invoke(c.getDeclaredConstructor().newInstance());
                        System.out.printf("ok %d - %s (%d ms)%n", n, name, (System.nanoTime() - t) / 1_000_000);
                    } catch (InvocationTargetException e) {
                        failed++;
                        report(n, name, e.getCause());
                    } catch (ReflectiveOperationException e) {
                        failed++;
                        report(n, name, e);
                    }
                    System.out.flush();
                }
            }
        } finally {
            Fixtures.cleanup();
        }
        System.out.printf("# %d tests in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
        System.out.printf("# java: passed=%d failed=%d%n", n - failed, failed);
        System.out.flush();
        System.exit(failed == 0 && n > 0 ? 0 : 1);
    }

    private static void report(int n, String name, Throwable e) {
        System.out.printf("not ok %d - %s%n", n, name);
        System.out.println("#   " + e);
        StackTraceElement[] st = e.getStackTrace();
        for (StackTraceElement s : Arrays.copyOf(st, Math.min(st.length, 8)))
            System.out.println("#     at " + s);
        if (e.getCause() != null) System.out.println("#   caused by " + e.getCause());
    }
}
