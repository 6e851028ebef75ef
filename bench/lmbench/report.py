"""What a benchmark run records about itself, where it finds its data, and
progress of long runs on stderr.

- data_roots(): where the sets are looked for: $LIBMATCH_BENCH_DATA when it
  is set, else ../shared/bench-data next to this checkout, then (in a git
  worktree) next to the main checkout.  `make bench-* DATA=dir` and `--data dir` name a set
  directly.
- no_data_message(): says where it looked and how to get the data.
- run_meta(): libmatch version, git commit, host (cpu, cores, memory),
  date, tool versions -- recorded in every JSON a run writes.
- Progress: "name: 45/190 queries (24%), 0.6 queries/s, ~4 min left" on
  stderr; on a terminal one line redrawn, otherwise a line every 30 s.
"""
import ctypes
import datetime
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.dirname(HERE)
ROOT = os.path.dirname(BENCH)

# No data set: nothing was measured.  77 is the automake convention for a
# skipped test; documented in bench/README.md and `quality.py --help`.
EXIT_NO_DATA = 77


def _git(*args):
    try:
        p = subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    return p.stdout.strip() if p.returncode == 0 else None


def data_roots():
    """[(path, how it was found)] in the order they are looked in."""
    env = os.environ.get("LIBMATCH_BENCH_DATA")
    if env:                                  # set: the only place looked in
        return [(os.path.abspath(env), "$LIBMATCH_BENCH_DATA")]
    roots = []
    roots.append((os.path.normpath(os.path.join(ROOT, "..", "shared", "bench-data")), "../shared/bench-data"))
    common = _git("rev-parse", "--path-format=absolute", "--git-common-dir")
    if common and os.path.basename(common) == ".git":
        main = os.path.dirname(common)
        if os.path.normpath(main) != os.path.normpath(ROOT):
            roots.append((os.path.normpath(os.path.join(main, "..", "shared", "bench-data")),
                          "../shared/bench-data of the main checkout"))
    return roots


def find_sets(find):
    """The sets of the first root that has any: (root, [set paths])."""
    for root, _ in data_roots():
        sets = find(root)
        if sets:
            return root, sets
    return None, []


def no_data_message(tool):
    lines = ["%s: no benchmark data set found, nothing was measured (exit status %d)." % (tool, EXIT_NO_DATA),
             "Looked for folders holding corpus.jsonl, queries.jsonl and qrels.tsv in:"]
    for root, how in data_roots():
        state = "exists, no set in it" if os.path.isdir(root) else "missing"
        lines.append("  %s  (%s; %s)" % (root, how, state))
    lines += [
        "The sets are not part of the repository (some of their text is licensed for",
        "benchmarking only). Get them from the project's shared data folder and put it",
        "at ../shared/bench-data next to this checkout (or point LIBMATCH_BENCH_DATA at",
        "it), or name one set: make %s DATA=path/to/set  (or --data path/to/set)." % tool,
        "Any folder in that format works; bench/README.md describes it (\"Data\").",
    ]
    return "\n".join(lines)


def libmatch_version(build=None):
    lib = os.path.join(build or os.path.join(ROOT, "build"), "libmatch.so")
    try:
        h = ctypes.CDLL(lib)
        h.lm_version.restype = ctypes.c_char_p
        return h.lm_version().decode()
    except (OSError, AttributeError):
        return None


def _cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_mb():
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError):
        pass
    return None


def run_meta(configurations=None, extra=None):
    """A JSON-able record of the run: what was measured, where, when."""
    commit = _git("rev-parse", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    versions = {"python": platform.python_version()}
    try:
        import sqlite3
        versions["sqlite"] = sqlite3.sqlite_version
    except ImportError:
        pass
    try:
        import xapian
        versions["xapian"] = xapian.version_string()
    except ImportError:
        pass
    meta = {
        "libmatch": libmatch_version(),
        "git_commit": commit,
        "git_dirty": bool(dirty) if dirty is not None else None,
        "git_describe": _git("describe", "--always", "--dirty"),
        "date": datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat(),
        "host": {
            "name": platform.node(),
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "memory_mb": _mem_total_mb(),
            "os": "%s %s" % (platform.system(), platform.release()),
            "machine": platform.machine(),
        },
        "versions": versions,
        "command": [os.path.basename(sys.argv[0])] + sys.argv[1:],
    }
    if configurations is not None:
        meta["configurations"] = configurations
    if extra:
        meta.update(extra)
    return meta


class Progress:
    """Progress of a long loop on stderr.  Silent for the first `after`
    seconds, so quick runs print nothing."""

    def __init__(self, name, total, unit="queries", stream=None, after=5.0, every=30.0):
        self.name, self.total, self.unit = name, total, unit
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self.after = after
        self.every = 0.5 if self.tty else every
        self.last = None
        self.shown = False

    def line(self, done, now):
        el = now - self.t0
        rate = done / el if el > 0 else 0.0
        s = "%s: %d/%d %s" % (self.name, done, self.total, self.unit)
        if self.total:
            s += " (%d%%)" % (100 * done // self.total)
        s += ", %.2g %s/s" % (rate, self.unit) if rate < 10 else ", %.0f %s/s" % (rate, self.unit)
        if rate > 0 and done < self.total:
            left = (self.total - done) / rate
            s += ", ~%d min left" % round(left / 60) if left >= 90 else ", ~%d s left" % round(left)
        return s

    def __call__(self, done):
        now = time.perf_counter()
        if now - self.t0 < self.after:
            return
        if self.last is not None and now - self.last < self.every and done < self.total:
            return
        self.last = now
        text = self.line(done, now)
        if self.tty:
            self.stream.write("\r" + text + "\033[K")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self.shown = True

    def done(self):
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
