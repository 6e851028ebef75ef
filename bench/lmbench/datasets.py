"""Reading benchmark sets in the format of shared/bench-data/FORMAT.md."""
import json
import os


class FormatError(ValueError):
    """A malformed line; the message names the file and the line."""


def read_jsonl(path, check=None):
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise FormatError("%s line %d: bad JSON (%s)" % (path, n, e.msg)) from None
            if not isinstance(obj, dict):
                raise FormatError("%s line %d: expected a JSON object" % (path, n))
            if check:
                err = check(obj)
                if err:
                    raise FormatError("%s line %d: %s" % (path, n, err))
            out.append(obj)
    return out


def _check_query(q):
    if not isinstance(q.get("qid"), str) or not q["qid"]:
        return "missing qid"
    if q.get("to") not in ("problem", "achievement", "expert"):
        return "'to' must be problem, achievement or expert"
    if ("record" in q) == ("text" in q):
        return "a query has exactly one of 'record' and 'text'"
    if "record" in q and not isinstance(q["record"], dict):
        return "'record' must be an object"
    if "text" in q and not isinstance(q["text"], str):
        return "'text' must be a string"
    return None


def _check_record(r):
    if not isinstance(r.get("id"), str) or r.get("kind") not in ("problem", "achievement", "expert"):
        return "a record needs a string id and a kind"
    return None


def read_queries(path):
    return read_jsonl(path, _check_query)


def read_corpus(path):
    return read_jsonl(path, _check_record)


def read_qrels(path):
    """qid -> {docid: grade}."""
    qrels = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            cols = line.split()
            if len(cols) != 4:
                raise FormatError("%s line %d: expected 4 columns (qid 0 docid grade), got %d" % (path, n, len(cols)))
            try:
                grade = int(cols[3])
            except ValueError:
                raise FormatError("%s line %d: grade %r is not an integer" % (path, n, cols[3])) from None
            qrels.setdefault(cols[0], {})[cols[2]] = grade
    return qrels


def read_run(path, probabilities=False):
    """qid -> [(docid, score)] in file order.  With probabilities=True also
    the fifth column, when the run has one (lm_run writes each hit's
    probability there): (run, qid -> [(docid, probability)] or None)."""
    run, prob = {}, {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 4:
                raise FormatError("%s line %d: expected qid, docid, rank, score" % (path, n))
            run.setdefault(cols[0], []).append((cols[1], float(cols[3])))
            if len(cols) >= 5 and prob is not None:
                prob.setdefault(cols[0], []).append((cols[1], float(cols[4])))
            else:
                prob = None
    if probabilities:
        return run, (prob if prob else None)
    return run


class DataSet:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(os.path.normpath(path))
        self.corpus_path = os.path.join(path, "corpus.jsonl")
        self.queries_path = os.path.join(path, "queries.jsonl")
        self.qrels_path = os.path.join(path, "qrels.tsv")
        self.corpus = read_corpus(self.corpus_path)
        self.queries = read_queries(self.queries_path)
        self.qrels = read_qrels(self.qrels_path)


def find_sets(root):
    if not os.path.isdir(root):
        return []
    return sorted(os.path.join(root, d) for d in os.listdir(root)
                  if os.path.exists(os.path.join(root, d, "corpus.jsonl")))
