package cn.libmatch;

import static cn.libmatch.Check.contains;
import static cn.libmatch.Check.eq;
import static cn.libmatch.Check.ok;
import static cn.libmatch.Check.raises;
import static cn.libmatch.Check.raisesExactly;

import cn.libmatch.TestRunner.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Every failure becomes the right exception, with the library's message. */
public class ErrorsTest {

    @Test(1)
    void everyStatusCodeHasItsClass() {
        Object[][] table = {
            {1, LibmatchException.class}, {2, NativeMemoryException.class}, {3, InvalidArgumentException.class},
            {4, MalformedJsonException.class}, {5, InvalidRecordException.class}, {6, InvalidUtf8Exception.class},
            {7, TooBigException.class}, {8, NotFoundException.class}, {9, FileAccessException.class},
            {10, DatabaseException.class}, {11, BusyException.class}, {12, MismatchException.class},
            {13, DictionaryException.class}, {14, OutOfRangeException.class}, {15, InvalidStateException.class},
            {16, NotADatabaseException.class}, {17, MisuseException.class}, {99, LibmatchException.class},
        };
        for (Object[] row : table) {
            int code = (Integer) row[0];
            LibmatchException e = LibmatchException.of(code, "message " + code);
            eq(row[1], e.getClass(), "class for code " + code);
            eq(code, e.code(), "code kept");
            eq("message " + code, e.getMessage(), "message kept");
            ok(e instanceof RuntimeException, "unchecked");
            ok(!e.codeDescription().isEmpty(), "lm_errstr of " + code);
            eq(Libmatch.errorString(code), LibmatchException.of(code, null).getMessage(), "default message");
        }
        ok(LibmatchException.of(4, "") instanceof InvalidRecordException, "EJSON is an invalid record");
        ok(LibmatchException.of(11, "") instanceof DatabaseException, "EBUSY is a database error");
        ok(LibmatchException.of(16, "") instanceof DatabaseException, "ENOTDB is a database error");
        ok(LibmatchException.of(14, "") instanceof InvalidArgumentException, "ERANGE is an invalid argument");
        // The constructors with a message keep their class's code.
        eq(8, new NotFoundException("x").code(), "NotFoundException code");
        eq(11, new BusyException("x").code(), "BusyException code");
        eq(16, new NotADatabaseException("x").code(), "NotADatabaseException code");
        eq(4, new MalformedJsonException("x").code(), "MalformedJsonException code");
    }

    @Test(2)
    void recordErrorsNameTheField() {
        try (Database db = Database.openInMemory()) {
            MalformedJsonException m = raisesExactly(MalformedJsonException.class, LibmatchException.LM_EJSON,
                                                     () -> db.put("{\"id\":\"P-1\",\"kind\":"));
            contains(m.getMessage(), "JSON", "says malformed JSON");
            Object[][] bad = {
                {"{\"id\":\"P-1\",\"kind\":\"problem\",\"title\":5}", "title"},
                {"{\"id\":\"P-1\",\"kind\":\"problem\",\"titel\":\"散热\"}", "titel"},
                {"{\"id\":\"A-1\",\"kind\":\"achievement\",\"maturity\":12}", "maturity"},
                {"{\"id\":\"P-1\",\"kind\":\"problem\",\"keywords\":\"碳化硅\"}", "keywords"},
                {"{\"id\":\"P-1\",\"kind\":\"问题\"}", "kind"},
                {"{\"kind\":\"problem\",\"title\":\"无编号\"}", "id"},
                {"[1,2]", "object"},
            };
            for (Object[] b : bad) {
                InvalidRecordException e = raisesExactly(InvalidRecordException.class, LibmatchException.LM_ERECORD,
                                                         () -> db.put((String) b[0]));
                contains(e.getMessage(), (String) b[1], "message of " + b[0]);
            }
            eq(0L, db.count(), "nothing stored");
            InvalidRecordException r = raises(InvalidRecordException.class,
                () -> db.matchRecord("{\"id\":\"Q\",\"kind\":\"problem\",\"title\":[]}", Kind.EXPERT));
            contains(r.getMessage(), "title", "matchRecord names the field");
        }
    }

    @Test(3)
    void invalidUtf8() {
        try (Database db = Database.openInMemory()) {
            // Invalid bytes given as bytes: the library refuses them.
            byte[] ff = "{\"id\":\"P-1\",\"kind\":\"problem\",\"title\":\"散热?\"}".getBytes(StandardCharsets.UTF_8);
            ff[ff.length - 3] = (byte) 0xFF;
            raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8, () -> db.put(ff));
            byte[] cesu = "{\"id\":\"P-1\",\"kind\":\"problem\",\"title\":\"???\"}".getBytes(StandardCharsets.UTF_8);
            cesu[cesu.length - 5] = (byte) 0xED;            // an encoded surrogate, U+D800
            cesu[cesu.length - 4] = (byte) 0xA0;
            cesu[cesu.length - 3] = (byte) 0x80;
            raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8, () -> db.put(cesu));
            raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8,
                          () -> db.put("{\"id\":\"P-1\",\"kind\":\"problem\",\"title\":\"a\\u0000b\"}"));
            // Java strings that have no UTF-8 form, or a NUL that C would cut at: refused before C.
            InvalidUtf8Exception s = raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8,
                () -> db.put("{\"id\":\"P-1\",\"kind\":\"problem\",\"title\":\"散热\ud800\"}"));
            contains(s.getMessage(), "U+D800", "names the surrogate");
            InvalidUtf8Exception n = raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8,
                                                   () -> db.get(Kind.PROBLEM, "P-1\u0000x"));
            contains(n.getMessage(), "NUL", "says NUL");
            raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8,
                          () -> db.query("散热\udc00", Kind.ACHIEVEMENT));
            raisesExactly(InvalidUtf8Exception.class, LibmatchException.LM_EINVAL_UTF8,
                          () -> Libmatch.analyze("\ud83d"));
            eq(0L, db.count(), "nothing stored");
        }
    }

    @Test(4)
    void limitsNotFoundAndState() {
        try (Database db = Database.openInMemory()) {
            TooBigException t = raisesExactly(TooBigException.class, LibmatchException.LM_ETOOBIG,
                () -> db.put(Map.of("id", "长".repeat(200), "kind", "problem")));   // 600 bytes > 512
            contains(t.getMessage(), "id", "names the field");
            NotFoundException nf = raisesExactly(NotFoundException.class, LibmatchException.LM_ENOTFOUND,
                                                 () -> db.get(Kind.EXPERT, "E-不存在"));
            contains(nf.getMessage(), "E-不存在", "names the id");
            raisesExactly(NotFoundException.class, LibmatchException.LM_ENOTFOUND,
                          () -> db.match(Kind.PROBLEM, "P-404", Kind.ACHIEVEMENT));
            raisesExactly(NotFoundException.class, LibmatchException.LM_ENOTFOUND,
                          () -> db.delete(Kind.ACHIEVEMENT, "A-404"));
            raisesExactly(InvalidStateException.class, LibmatchException.LM_ESTATE, () -> db.buildVectors(0));
            raisesExactly(InvalidArgumentException.class, LibmatchException.LM_EINVAL, () -> Kind.of("问题"));
            // Vectors: bad dimension, zero vector, another model.
            db.put(Map.of("id", "P-1", "kind", "problem", "title", "散热"));
            raisesExactly(OutOfRangeException.class, LibmatchException.LM_ERANGE,
                          () -> db.putVector(Kind.PROBLEM, "P-1", "bge", new float[0]));
            raisesExactly(InvalidArgumentException.class, LibmatchException.LM_EINVAL,
                          () -> db.putVector(Kind.PROBLEM, "P-1", "bge", new float[4]));
            db.putVector(Kind.PROBLEM, "P-1", "bge", new float[] {1, 0, 0, 0});
            MismatchException mm = raisesExactly(MismatchException.class, LibmatchException.LM_EMISMATCH,
                () -> db.putVector(Kind.PROBLEM, "P-1", "m3e", new float[] {1, 0, 0, 0}));
            contains(mm.getMessage(), "bge", "names the model in use");
            raisesExactly(NotFoundException.class, LibmatchException.LM_ENOTFOUND,
                          () -> db.putVector(Kind.PROBLEM, "P-2", "bge", new float[] {1, 0, 0, 0}));
            raisesExactly(NotFoundException.class, LibmatchException.LM_ENOTFOUND,
                          () -> db.allocate(Kind.EXPERT, List.of("P-404"), (List<String>) null, MatchOptions.defaults()));
            raisesExactly(InvalidArgumentException.class, LibmatchException.LM_EINVAL,
                          () -> db.allocate(Kind.EXPERT, List.of("P-1", "P-1"), (List<String>) null, MatchOptions.defaults()));
        }
        // The dictionary is loaded by now: setting it is a state error.
        raisesExactly(InvalidStateException.class, LibmatchException.LM_ESTATE,
                      () -> Libmatch.setDictionary(Path.of("/nonexistent/dict.txt")));
    }

    @Test(5)
    void openErrors() throws Exception {
        int handles = Database.openHandles();
        Path text = Fixtures.file("not-a-database.txt");
        Files.writeString(text, "这不是数据库。 not SQLite at all\n".repeat(100));
        byte[] before = Files.readAllBytes(text);
        NotADatabaseException d = raises(NotADatabaseException.class, () -> Database.open(text).close());
        ok(d.code() == LibmatchException.LM_ENOTDB, "code " + d.code());
        contains(d.getMessage(), "not-a-database.txt' is not a libmatch database", "names the file and says why");
        ok(java.util.Arrays.equals(before, Files.readAllBytes(text)), "the file is left untouched");
        LibmatchException r = raises(LibmatchException.class,
            () -> Database.open(Fixtures.file("no-such.db"), OpenFlag.READONLY).close());
        contains(r.getMessage(), "no-such.db", "names the file");
        ok(!Files.exists(Fixtures.file("no-such.db")), "READONLY creates nothing");
        raises(LibmatchException.class, () -> Database.open(Fixtures.file("no/such/dir/x.db")).close());
        eq(handles, Database.openHandles(), "no handle left open by failed opens");
    }
}
