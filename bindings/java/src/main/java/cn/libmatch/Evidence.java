package cn.libmatch;

/**
 * An achievement supporting an expert hit: the expert made it, and it
 * matches the query.
 *
 * @param id    the achievement's id
 * @param score its relevance to the query, in [0, 1]
 */
public record Evidence(String id, double score) {
}
