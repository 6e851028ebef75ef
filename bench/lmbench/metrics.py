"""nDCG@10, MRR@10 and Recall@100 as FORMAT.md (and trec_eval) define them.

- A run is qid -> [(docid, score)]; it is ranked by score descending, ties by
  docid descending (trec_eval's order: form_res_rels.c sorts with
  comp_sim_docno, strcmp(docno2, docno1)), whatever the file order or rank
  column.  A docid listed twice for a query keeps its best score (trec_eval
  would refuse the run).
- nDCG@10: gain = grade, discount log2(rank + 1) (rank 1-based), ideal from
  all judged grades >= 1 of the query (trec_eval 9.x ndcg_cut.10; trec_eval
  8.x divided by log2(rank) from rank 2 on, which gives higher values).
- MRR@10: 1/rank of the first hit with grade >= 1 in the top 10, else 0.
- Recall@100: share of the query's grade >= 1 documents in the top 100.
- Averages are over the queries with at least one grade >= 1 document; such a
  query missing from the run scores 0.
"""
import math


def ranked(results):
    """Docids by score descending, then docid descending; duplicates dropped."""
    seen = set()
    out = []
    for d, _ in sorted(results, key=lambda x: (-x[1], _desc(x[0]))):
        if d not in seen:
            seen.add(d)
            out.append(d)
    return out


class _desc(str):
    """Sort key that orders strings descending."""
    def __lt__(self, other):
        return str.__gt__(self, other)


def ndcg_at(rel, docs, k=10):
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(docs[:k]) if rel.get(d, 0) > 0)
    ideal = sorted((g for g in rel.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def rr_at(rel, docs, k=10):
    for i, d in enumerate(docs[:k]):
        if rel.get(d, 0) >= 1:
            return 1.0 / (i + 1)
    return 0.0


def recall_at(rel, docs, k=100):
    relevant = {d for d, g in rel.items() if g >= 1}
    if not relevant:
        return 0.0
    return len(relevant & set(docs[:k])) / len(relevant)


def evaluate(qrels, run):
    """Mean nDCG@10, MRR@10, R@100 and the number of queries averaged."""
    n = s_ndcg = s_rr = s_rec = 0
    for qid, rel in qrels.items():
        if not any(g >= 1 for g in rel.values()):
            continue
        docs = ranked(run.get(qid, []))
        n += 1
        s_ndcg += ndcg_at(rel, docs)
        s_rr += rr_at(rel, docs)
        s_rec += recall_at(rel, docs)
    if n == 0:
        return {"ndcg@10": 0.0, "mrr@10": 0.0, "r@100": 0.0, "queries": 0}
    return {"ndcg@10": s_ndcg / n, "mrr@10": s_rr / n, "r@100": s_rec / n, "queries": n}
