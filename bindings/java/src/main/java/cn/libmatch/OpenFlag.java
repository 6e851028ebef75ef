package cn.libmatch;

/** Flags of {@link Database#open(java.nio.file.Path, OpenFlag...)}. */
public enum OpenFlag {
    /** Open an existing database read-only. */
    READONLY(0x01),
    /**
     * If the database was built with another analyzer version, re-tokenize
     * everything instead of failing with {@link MismatchException}.
     */
    REINDEX(0x02),
    /**
     * Read the file without a memory map: for network file systems, or
     * files that other programs may truncate.
     */
    NO_MMAP(0x04);

    final int bit;

    OpenFlag(int bit) {
        this.bit = bit;
    }
}
