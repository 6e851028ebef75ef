package cn.libmatch;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * One ranked hit.
 *
 * @param id          the record's id
 * @param kind        the record's kind
 * @param label       a display label: the title, or an expert's name ("" when it has none)
 * @param score       the final score, the weighted sum of the components
 * @param probability a calibrated probability of a good match, when the
 *                    library provides one (the "probability" key of its
 *                    results JSON); empty otherwise
 * @param components  the score components in the library's order, each in
 *                    [0, 1] (bm25, fields, region, maturity, evidence, topic,
 *                    cosine, cosine_ext; bm25_raw unnormalized)
 * @param terms       the query terms that matched in this record
 * @param evidence    experts: the linked achievements supporting the hit,
 *                    best first; empty for other kinds
 */
public record Match(String id, Kind kind, String label, double score, OptionalDouble probability,
                    Map<String, Double> components, List<String> terms, List<Evidence> evidence) {

    public Match {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        label = label == null ? "" : label;
        probability = probability == null ? OptionalDouble.empty() : probability;
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
        terms = List.copyOf(terms);
        evidence = List.copyOf(evidence);
    }

    /** The value of component `name`, 0 when the hit does not have it. */
    public double component(String name) {
        Double v = components.get(name);
        return v == null ? 0.0 : v;
    }
}
