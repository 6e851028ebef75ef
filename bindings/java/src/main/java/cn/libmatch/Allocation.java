package cn.libmatch;

import java.util.List;

/**
 * The result of an allocation for a matchmaking event (对接会): the assigned
 * pairs, ordered by problem then score (best first), and their total score,
 * which is the largest possible under the capacities.
 *
 * @param total the sum of the pairs' scores
 * @param pairs the assigned pairs
 */
public record Allocation(double total, List<Pair> pairs) {

    public Allocation {
        pairs = List.copyOf(pairs);
    }

    /**
     * One assignment.
     *
     * @param problem   the problem's id
     * @param candidate the expert's or achievement's id
     * @param score     the match score of the pair
     */
    public record Pair(String problem, String candidate, double score) {
    }
}
