package cn.libmatch;

import java.util.List;

/**
 * What a bulk load stored and skipped.
 *
 * @param loaded  records stored
 * @param skipped bad lines skipped ({@link LoadPolicy#SKIP_BAD})
 * @param errors  the bad lines with their reasons
 */
public record LoadReport(long loaded, long skipped, List<LineError> errors) {

    public LoadReport {
        errors = List.copyOf(errors);
    }

    /**
     * A bad line of a load.
     *
     * @param line   its number, from 1 (for {@link Database#loadRecords(Iterable, LoadPolicy)}
     *               the position of the record)
     * @param id     the record's id, "" when unknown
     * @param reason why it was refused, naming the field
     */
    public record LineError(long line, String id, String reason) {
        @Override
        public String toString() {
            return "line " + line + (id.isEmpty() ? "" : " (" + id + ")") + ": " + reason;
        }
    }
}
