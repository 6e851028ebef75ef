package cn.libmatch;

/**
 * A stored record, as a scan gives it.
 *
 * @param kind its kind
 * @param id   its id
 * @param json its JSON, exactly what {@link Database#get} returns
 */
public record StoredRecord(Kind kind, String id, String json) {
}
