"""Whether scores mean the same from one query to the next.

The retrieval metrics (metrics.py) look at the order of the hits inside one
query.  These look across queries: a platform shows a 匹配度, cuts at a
threshold, ranks experts for a paper, or fills a 对接会 by a sum of scores,
and each of those needs a score that means the same thing everywhere.

- pairwise_loss(): the loss of the reviewer-assignment gold standard
  (Stelmakh, Wieting, Xi, Neubig, Shah, "A Gold Standard Dataset for the
  Reviewer Assignment Problem", TMLR 2025).  For each candidate (in the
  paper: each reviewer), every pair of queries (papers) that judged it with
  different grades is a pair; the pair weighs the difference of the two
  grades, counts 1 when the system scores them the other way round and 1/2
  when it scores them equally.  The loss is the weighted share of wrong
  pairs, pooled over all candidates: 0 is perfect, 0.5 a constant predictor.
  A candidate absent from a query's run scores below every returned one.
- ece(): expected calibration error of predicted probabilities against
  relevance (grade >= 1, unjudged = not relevant) over the top-k hits of
  every judged query, with equal-width bins; reliability() gives the bins
  for a reliability diagram.
- auc(): area under the ROC curve (Mann-Whitney; ties count 1/2).
- top_hit(): per query, the top hit's score or probability and whether it
  is relevant; for "is the top hit relevant" and "has this need any match".
- leave_out_folds(): the no-match set derived from a topical set whose
  records carry one discipline each (csl-topic): the disciplines are split
  into folds; each fold's corpus leaves that fold's disciplines out, so the
  needs of those disciplines have no relevant record in it.
"""
import math


# ---- pairwise loss ------------------------------------------------------------------

def pairwise_loss(qrels, scores):
    """qrels: qid -> {docid: grade}; scores: qid -> {docid: score}.  Returns
    (loss, weight, pairs): loss None when no pair is defined."""
    by_doc = {}
    for qid, rel in qrels.items():
        for d, g in rel.items():
            by_doc.setdefault(d, []).append((qid, g))
    wrong = total = 0.0
    pairs = 0
    for d, judged in by_doc.items():
        for i in range(len(judged)):
            qa, ga = judged[i]
            sa = scores.get(qa, {}).get(d, -math.inf)
            for j in range(i + 1, len(judged)):
                qb, gb = judged[j]
                if ga == gb:
                    continue
                w = abs(ga - gb)
                sb = scores.get(qb, {}).get(d, -math.inf)
                total += w
                pairs += 1
                if sa == sb:
                    wrong += 0.5 * w
                elif (sa > sb) != (ga > gb):
                    wrong += w
    return (wrong / total if total else None), total, pairs


def run_scores(run):
    """qid -> {docid: best score} of a run qid -> [(docid, score)]."""
    out = {}
    for qid, hits in run.items():
        m = out.setdefault(qid, {})
        for d, s in hits:
            if d not in m or s > m[d]:
                m[d] = s
    return out


# ---- calibration ----------------------------------------------------------------------

def labelled(qrels, run, k=10):
    """(probability, relevant) of the top-k hits of every judged query; run
    is qid -> [(docid, probability)] in rank order."""
    out = []
    for qid, rel in qrels.items():
        for d, p in run.get(qid, [])[:k]:
            out.append((p, 1 if rel.get(d, 0) >= 1 else 0))
    return out


def reliability(pairs, bins=10):
    """Equal-width bins over [0, 1]: [(lo, hi, n, mean probability, share
    relevant)] (empty bins have n 0 and None for the means)."""
    acc = [[0, 0.0, 0] for _ in range(bins)]
    for p, y in pairs:
        b = min(bins - 1, max(0, int(p * bins)))
        acc[b][0] += 1
        acc[b][1] += p
        acc[b][2] += y
    out = []
    for b, (n, sp, sy) in enumerate(acc):
        out.append((b / bins, (b + 1) / bins, n, sp / n if n else None, sy / n if n else None))
    return out


def ece(pairs, bins=10):
    """Expected calibration error: sum over bins of n_b/N |share relevant -
    mean probability|.  None without pairs."""
    n = len(pairs)
    if not n:
        return None
    return sum(b[2] / n * abs(b[4] - b[3]) for b in reliability(pairs, bins) if b[2])


def log_loss(pairs, eps=1e-6):
    if not pairs:
        return None
    s = 0.0
    for p, y in pairs:
        p = min(1 - eps, max(eps, p))
        s -= math.log(p) if y else math.log(1 - p)
    return s / len(pairs)


# ---- ranking of needs -------------------------------------------------------------------

def auc(scores, labels):
    """Area under the ROC curve of scores for binary labels; ties count 1/2.
    None when one class is empty."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    # Rank-sum with average ranks for ties.
    allv = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg], key=lambda x: x[0])
    rank_sum = 0.0
    i = 0
    while i < len(allv):
        j = i
        while j < len(allv) and allv[j][0] == allv[i][0]:
            j += 1
        avg = (i + 1 + j) / 2.0            # ranks i+1..j
        rank_sum += avg * sum(1 for x in allv[i:j] if x[1])
        i = j
    npos, nneg = len(pos), len(neg)
    return (rank_sum - npos * (npos + 1) / 2.0) / (npos * nneg)


def top_hit(qrels, run, queries=None):
    """[(qid, top score, top hit relevant, any relevant record)] for every
    query of `queries` (default: of qrels).  A query without results has
    score 0 and a top hit that is not relevant."""
    out = []
    for qid in (queries if queries is not None else qrels):
        rel = qrels.get(qid, {})
        hits = run.get(qid, [])
        has = any(g >= 1 for g in rel.values())
        if hits:
            d, s = max(hits, key=lambda x: x[1])
            out.append((qid, s, rel.get(d, 0) >= 1, has))
        else:
            out.append((qid, 0.0, False, has))
    return out


def top_hit_aucs(rows):
    """AUC of the top hit's score for "is the top hit relevant" (queries
    with a result) and for "has this need any relevant record"."""
    a_top = auc([r[1] for r in rows], [r[2] for r in rows])
    a_any = auc([r[1] for r in rows], [r[3] for r in rows])
    return a_top, a_any


# ---- the derived no-match set -------------------------------------------------------------

def discipline_of(record):
    f = record.get("fields") or []
    return f[0] if f else None


def leave_out_folds(corpus, qrels, folds=5):
    """Split the corpus's disciplines (first domain tag) into `folds` groups
    (sorted by name, dealt round-robin).  Yields (fold, left-out disciplines,
    kept records, qrels restricted to the kept records).  Records without a
    discipline are always kept."""
    disc = sorted({d for d in (discipline_of(r) for r in corpus) if d})
    for f in range(folds):
        out = set(disc[f::folds])
        kept = [r for r in corpus if discipline_of(r) not in out]
        ids = {r["id"] for r in kept}
        q2 = {qid: {d: g for d, g in rel.items() if d in ids} for qid, rel in qrels.items()}
        yield f, sorted(out), kept, q2
