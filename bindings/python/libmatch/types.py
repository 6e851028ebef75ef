"""Plain Python values returned by the binding (no C memory behind them)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple


@dataclass(frozen=True)
class Token:
    """One analyzer token.  For str input, start/end are str indexes into the
    text (text[start:end] is the original surface form, e.g. traditional
    characters whose token is simplified); for bytes input, byte offsets."""
    text: str
    start: int
    end: int
    flags: int

    @property
    def colocated(self) -> bool:
        """At the same position as the previous token (a sub-word or bigram)."""
        return bool(self.flags & 0x01)

    def to_dict(self) -> Dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end, "flags": self.flags}


@dataclass(frozen=True)
class Match:
    """One ranked hit.

    score        the final score, fused from the components
    components   {name: value in [0,1]}: bm25, fields, region, maturity,
                 evidence, topic, cosine, cosine_ext, bm25_raw (see libmatch.h)
    terms        the query terms found in this record
    evidence     experts only: [(achievement id, relevance)], best first
    label        a display label: the record's title (expert: name), "" when
                 it has none
    probability  the library's calibrated probability that the hit is
                 relevant, when the results carry one; None otherwise
    """
    id: str
    kind: str
    score: float
    components: Dict[str, float] = field(default_factory=dict)
    terms: List[str] = field(default_factory=list)
    evidence: List[Tuple[str, float]] = field(default_factory=list)
    label: str = ""
    probability: Optional[float] = None

    def __hash__(self) -> int:
        return hash((self.id, self.kind, self.score))

    def to_dict(self) -> Dict[str, Any]:
        """The hit in the shape of lm_results_json()."""
        d: Dict[str, Any] = {"id": self.id, "kind": self.kind, "label": self.label, "score": self.score}
        if self.probability is not None:
            d["probability"] = self.probability
        d["components"] = dict(self.components)
        d["terms"] = list(self.terms)
        if self.kind == "expert":
            d["evidence"] = [{"id": i, "score": s} for i, s in self.evidence]
        return d


class MatchList(List[Match]):
    """The ranked hits (a list of Match) with .query_terms: the terms the
    query was run with (after analysis, selection and synonyms)."""

    def __init__(self, items: Iterable[Match] = (), query_terms: Iterable[str] = ()) -> None:
        super().__init__(items)
        self.query_terms: List[str] = list(query_terms)

    def ids(self) -> List[str]:
        return [m.id for m in self]

    def to_dict(self) -> Dict[str, Any]:
        """{"query_terms": [...], "results": [...]}, as lm_results_json()."""
        return {"query_terms": list(self.query_terms), "results": [m.to_dict() for m in self]}

    def __repr__(self) -> str:
        return "MatchList(%s, query_terms=%r)" % (list.__repr__(self), self.query_terms)


@dataclass(frozen=True)
class LoadReport:
    """What a bulk load stored and skipped.  errors: [(line, id, reason)],
    line 1-based (for add_many: the position of the record), id "" when
    unknown."""
    loaded: int
    skipped: int
    errors: List[Tuple[int, str, str]] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"loaded": self.loaded, "skipped": self.skipped,
                "errors": [{"line": ln, "id": i, "reason": r} for ln, i, r in self.errors]}


@dataclass(frozen=True)
class Allocation:
    """An optimal assignment: total score and [(problem, candidate, score)]
    ordered by problem, then score descending."""
    total: float
    pairs: List[Tuple[str, str, float]] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return {"total": self.total,
                "pairs": [{"problem": p, "candidate": c, "score": s} for p, c, s in self.pairs]}


@dataclass(frozen=True)
class LearnReport:
    """What Database.learn() did: whether the refitted match model was
    adopted, on how many judged pairs (relevant among them) and judged
    records (queries), the cross-validated nDCG@10 and log-loss of the model
    in use (before) and of the refitted one (after), why, and the refitted
    model itself (its JSON form, a dict)."""
    adopted: bool
    pairs: int
    relevant: int
    queries: int
    skipped: int
    ndcg_before: float
    ndcg_after: float
    logloss_before: float
    logloss_after: float
    reason: str
    model: Dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> Dict[str, Any]:
        return {"adopted": self.adopted, "pairs": self.pairs, "relevant": self.relevant, "queries": self.queries,
                "skipped": self.skipped, "ndcg_before": self.ndcg_before, "ndcg_after": self.ndcg_after,
                "logloss_before": self.logloss_before, "logloss_after": self.logloss_after, "reason": self.reason,
                "model": self.model}

