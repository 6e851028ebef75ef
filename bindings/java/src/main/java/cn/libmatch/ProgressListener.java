package cn.libmatch;

/**
 * Progress of long calls (bulk loads, re-indexing, building vectors, batch
 * matching), called on the calling thread now and then (about every 1,000
 * records or block).
 */
@FunctionalInterface
public interface ProgressListener {
    /**
     * @param stage "load", "reindex", "vectors" or "batch"
     * @param done  the work done (for a load: bytes of input read)
     * @param total the total, -1 when unknown
     * @return true to go on, false to interrupt the call: it then fails with
     *         {@link InvalidStateException} and changes nothing
     */
    boolean progress(String stage, long done, long total);
}
