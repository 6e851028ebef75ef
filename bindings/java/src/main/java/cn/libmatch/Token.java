package cn.libmatch;

/**
 * One token of the analyzer.
 *
 * @param text  the token as indexed: normalized (half-width, lower case,
 *              Simplified script, stemmed)
 * @param start the index in the analyzed Java string where the token's
 *              source text starts ({@code text.substring(start, end)} is the
 *              original surface form, e.g. Traditional characters)
 * @param end   the index just past it
 * @param flags the token's flags ({@link #COLOCATED})
 */
public record Token(String text, int start, int end, int flags) {
    /** At the same position as the previous token (a sub-word or a bigram). */
    public static final int COLOCATED = 0x01;

    /** Whether {@link #COLOCATED} is set. */
    public boolean colocated() {
        return (flags & COLOCATED) != 0;
    }
}
