package cn.libmatch;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * The ranked hits of a match, best first (an unmodifiable list), with the
 * query terms the match was computed with.
 */
public final class MatchList extends AbstractList<Match> implements RandomAccess {
    private final List<Match> hits;
    private final List<String> queryTerms;

    MatchList(List<Match> hits, List<String> queryTerms) {
        this.hits = List.copyOf(hits);
        this.queryTerms = List.copyOf(queryTerms);
    }

    @Override
    public Match get(int index) {
        return hits.get(index);
    }

    @Override
    public int size() {
        return hits.size();
    }

    /** The query terms, after analysis, selection and synonyms. */
    public List<String> queryTerms() {
        return queryTerms;
    }

    /** The ids of the hits, best first. */
    public List<String> ids() {
        return hits.stream().map(Match::id).toList();
    }

    @Override
    public String toString() {
        return "MatchList" + hits + " query_terms=" + queryTerms;
    }
}
