package cn.libmatch;

/** What a bulk load does with a bad line. */
public enum LoadPolicy {
    /** The first bad line fails the load and nothing of it is stored (the default). */
    ATOMIC(0),
    /** Bad lines are skipped and reported; good ones are stored. */
    SKIP_BAD(1);

    final int code;

    LoadPolicy(int code) {
        this.code = code;
    }
}
