"""Helpers of the lmatch-serve tests: start the service on a free loopback
port against a temporary database, make requests, stop it.  Standard
library only."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
B = os.path.join(ROOT, os.environ.get("B", "build"))
SERVE = os.path.join(B, "lmatch-serve")
LIBMATCH = os.path.join(B, "libmatch.so")
DATA = os.path.join(ROOT, "examples", "data")
TOKEN = "t0ken-for-tests-4f1c9a77d2"


class Server:
    """One lmatch-serve process.  args are extra command-line arguments."""

    def __init__(self, db, *args, token=True, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix="lmatch-serve-test-")
        self.db = db
        self.log_path = os.path.join(self.tmp, "access-%d.log" % time.monotonic_ns())
        cmd = [SERVE, db, "--listen", "127.0.0.1:0", "--access-log", self.log_path]
        if token:
            self.token_path = os.path.join(self.tmp, "token")
            with open(self.token_path, "w") as f:
                f.write(TOKEN + "\n")
            os.chmod(self.token_path, 0o600)
            cmd += ["--token-file", self.token_path]
        cmd += list(args)
        self.err_path = os.path.join(self.tmp, "stderr-%d" % time.monotonic_ns())
        self.err = open(self.err_path, "w+")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.err)
        self.port = None
        for _ in range(600):   # up to 30 s for the handles and the socket
            with open(self.err_path) as f:
                text = f.read()
            for line in text.splitlines():
                if "serving" in line and "http://" in line:
                    self.port = int(line.split("http://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])
            if self.port or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("lmatch-serve did not start: " + open(self.err_path).read())

    def stderr(self):
        with open(self.err_path) as f:
            return f.read()

    def conn(self, timeout=60):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=None, raw=False, conn=None):
        """(status, headers, parsed JSON or bytes).  body: dict/list (JSON),
        str or bytes (sent as is)."""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        c = conn or self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
            hdrs = {k.lower(): v for k, v in r.getheaders()}
        finally:
            if conn is None:
                c.close()
        if raw:
            return r.status, hdrs, data
        try:
            return r.status, hdrs, json.loads(data) if data else None
        except ValueError:
            return r.status, hdrs, data

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def stop(self, sig=signal.SIGTERM, timeout=60):
        """Send sig; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None
        finally:
            self.err.close()

    def access_log(self):
        with open(self.log_path, encoding="utf-8") as f:
            return f.read().splitlines()


def sample_db(tmp):
    """A database in tmp loaded with the sample libraries through the
    service itself (PUT JSON Lines).  Returns its path."""
    db = os.path.join(tmp, "sample.db")
    s = Server(db, tmp=tmp)
    try:
        for name in ("problems", "achievements", "experts"):
            with open(os.path.join(DATA, name + ".jsonl"), "rb") as f:
                st, _, rep = s.request("PUT", "/v1/records", f.read(), token=TOKEN,
                                       headers={"Content-Type": "application/x-ndjson"})
            if st != 200:
                raise RuntimeError("loading %s: %s %s" % (name, st, rep))
    finally:
        rc = s.stop()
    if rc != 0:
        raise RuntimeError("lmatch-serve exited %s: %s" % (rc, s.stderr()))
    return db


def copy_db(src, dst):
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(src + ext):
            shutil.copyfile(src + ext, dst + ext)
    return dst
