package cn.libmatch;

/**
 * One hit of {@link Database#batchMatch(Kind, Kind, int)}: a record of the
 * target kind and its cosine with the source record in the built-in
 * semantic space.
 *
 * @param id    the hit's id
 * @param score the cosine, in [-1, 1] (the library's float, widened exactly)
 */
public record BatchHit(String id, double score) {
}
