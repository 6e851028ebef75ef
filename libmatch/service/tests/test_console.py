"""The web console in headless Chromium (WebDriver through chromium-driver):
a search, a record with its matches in each direction, a 对接会 allocation
and its CSV, against a running lmatch-serve.  Screenshots of each view go to
$B/service/screenshots/ (libmatch/service/docs/ keeps copies for the README)."""
import os
import shutil
import tempfile
import unittest

import svc
import webdriver
from svc import TOKEN, Server


def setUpModule():
    global TMP, DB, S, BR, URL, SHOTS
    TMP = tempfile.mkdtemp(prefix="lmatch-console-tests-")
    DB = svc.sample_db(TMP)
    S = Server(DB, tmp=TMP)
    URL = "http://127.0.0.1:%d/" % S.port
    SHOTS = os.path.join(svc.B, "service", "screenshots")
    os.makedirs(SHOTS, exist_ok=True)
    try:
        BR = webdriver.Browser()
    except Exception:
        S.stop()
        raise


def tearDownModule():
    try:
        BR.close()
    finally:
        rc = S.stop()
        shutil.rmtree(TMP, ignore_errors=True)
    if rc != 0:
        raise RuntimeError("lmatch-serve exited %s" % rc)


def load(fragment=""):
    BR.get(URL + "?t=%d" % id(fragment) + ("#" + fragment if fragment else ""))
    BR.wait("return document.body.dataset.ready === '1'", "the console to start")


def count(css):
    return BR.js("return document.querySelectorAll(arguments[0]).length", css)


class Console(unittest.TestCase):
    def test_1_search(self):
        load()
        self.assertEqual(BR.text("#counts"), "问题 43 · 成果 45 · 专家 29")
        BR.type("#search-input", "碳化硅功率模块封装散热")
        BR.click("#search-go")
        BR.wait("return document.querySelectorAll('#search-results .hit').length > 0", "search hits")
        st, _, api = S.post("/v1/query", {"text": "碳化硅功率模块封装散热", "to": "achievement", "k": 10})
        ids = BR.js("return [...document.querySelectorAll('#search-results .hit')].map(e => e.dataset.id)")
        self.assertEqual(ids, [h["id"] for h in api["results"]])
        first = "#search-results .hit:first-child"
        self.assertEqual(BR.text(first + " .score"), "%.3f" % api["results"][0]["score"])
        self.assertEqual(BR.text(first + " .title"), api["results"][0]["label"])
        comps = BR.js("return [...document.querySelectorAll(arguments[0] + ' .scorebar .seg')]"
                      ".map(e => e.dataset.component)", first)
        self.assertIn("bm25", comps)
        st, _, reg = S.get("/v1/options")
        weighted = {o["name"][2:] for o in reg["options"] if o["name"].startswith("w_")}
        self.assertEqual(set(comps), {k for k, v in api["results"][0]["components"].items()
                                      if v > 0 and k in weighted})     # bm25_raw, coverage: no weight
        self.assertEqual(BR.text(first + " .prob"), "匹配度 %.1f%%" % (100 * api["results"][0]["probability"]))
        marks = BR.js("return [...document.querySelectorAll(arguments[0] + ' mark')].map(e => e.textContent)", first)
        self.assertTrue(marks, "matched terms are highlighted")
        self.assertTrue(all(m.lower() in [t.lower() for t in api["results"][0]["terms"]] for m in marks), marks)
        self.assertIn("成果库", BR.text("#search-info"))
        BR.screenshot(os.path.join(SHOTS, "search.png"))

    def test_2_search_experts_shows_evidence(self):
        load()
        BR.js("document.querySelector('#search-kind').value = 'expert'")
        BR.type("#search-input", "鋰離子電池熱失控預警")    # Traditional script
        BR.click("#search-go")
        BR.wait("return document.querySelectorAll('#search-results .hit').length > 0", "expert hits")
        self.assertEqual(BR.js("return document.querySelector('#search-results .hit').dataset.kind"), "expert")
        self.assertGreater(count("#search-results .evidence-item"), 0)
        # Supporting achievements are shown by title, linked to their record.
        ev = BR.js("const a = document.querySelector('#search-results .evidence-item a');"
                   "return [a.textContent, a.getAttribute('href')]")
        self.assertTrue(ev[1].startswith("#record/achievement/"))
        aid = ev[1].split("/")[-1]
        self.assertEqual(ev[0], S.get("/v1/records/achievement/" + aid)[2]["title"])

    def test_3_record_matches_each_direction(self):
        load("record/problem/P-001")
        BR.wait("return document.querySelectorAll('#matches-expert .hit').length > 0 && "
                "document.querySelectorAll('#matches-achievement .hit').length > 0", "record matches")
        self.assertEqual(BR.text("#record-card .record-title"), "碳化硅功率模块封装散热难题")
        for to in ("achievement", "expert"):
            st, _, api = S.post("/v1/match", {"from": {"kind": "problem", "id": "P-001"}, "to": to, "k": 5})
            ids = BR.js("return [...document.querySelectorAll('#matches-' + arguments[0] + ' .hit')]"
                        ".map(e => e.dataset.id)", to)
            self.assertEqual(ids, [h["id"] for h in api["results"]])
        self.assertGreater(count("#matches-expert .evidence-item"), 0)
        self.assertGreater(count("#matches-expert .scorebar .seg[data-component=evidence]"), 0)
        # Bars: a hit's segments add up to its match probability (匹配度).
        st, _, api = S.post("/v1/match", {"from": {"kind": "problem", "id": "P-001"}, "to": "expert", "k": 5})
        total = BR.js("return [...document.querySelectorAll('#matches-expert .hit:first-child .seg')]"
                      ".reduce((s, e) => s + parseFloat(e.style.width), 0)")
        self.assertAlmostEqual(total, 100.0 * api["results"][0]["probability"], delta=0.5)
        BR.screenshot(os.path.join(SHOTS, "record.png"))
        # Following a hit opens that record.
        BR.click("#matches-expert .hit:first-child a.title")
        BR.wait("return location.hash.startsWith('#record/expert/') && "
                "document.querySelectorAll('#matches-problem .hit').length > 0", "the expert's matches")

    def test_4_event_allocation_and_csv(self):
        load("event")
        BR.wait("return document.querySelectorAll('#event-problems input').length === 43", "the problem list")
        BR.type("#event-filter", "半导体")
        shown = count("#event-problems input")
        self.assertTrue(0 < shown < 43)
        BR.click("#event-all")
        BR.type("#event-filter", "")
        BR.js("const e = document.querySelector('#event-filter'); e.value = '';"
              "e.dispatchEvent(new Event('input'))")
        self.assertEqual(count("#event-problems input:checked"), shown)
        for box in BR.find_all("#event-problems input:not(:checked)")[:5]:
            BR.cmd("POST", "/element/%s/click" % box, {})
        picked = BR.js("return [...document.querySelectorAll('#event-problems input:checked')].map(e => e.value)")
        self.assertEqual(len(picked), shown + 5)
        # The settings start at the registry's defaults.
        st, _, reg = S.get("/v1/options")
        by = {o["name"]: o for o in reg["options"]}
        self.assertEqual(float(BR.js("return document.querySelector('#event-capacity').value")),
                         by["capacity"]["default"])
        BR.type("#event-per-problem", "2")
        BR.click("#event-run")
        BR.wait("return document.querySelectorAll('#alloc-table tbody tr').length > 0", "the allocation")
        st, _, api = S.post("/v1/allocate", {"to": "expert", "problems": picked, "capacity": int(by["capacity"]["default"]),
                                             "per_problem": 2, "min_score": by["min_score"]["default"]})
        rows = BR.js("return [...document.querySelectorAll('#alloc-table tbody tr')]"
                     ".map(r => [...r.cells].map(c => c.textContent))")
        self.assertEqual([(r[0], r[2]) for r in rows], [(p["problem"], p["candidate"]) for p in api["pairs"]])
        self.assertEqual(rows[0][3], api["labels"]["candidates"][api["pairs"][0]["candidate"]])
        self.assertIn("%.3f" % api["total"], BR.text("#alloc-total"))
        BR.cmd("POST", "/window/rect", {"width": 1280, "height": 1300})   # the picker and the table
        BR.screenshot(os.path.join(SHOTS, "event.png"))
        BR.cmd("POST", "/window/rect", {"width": 1280, "height": 900})
        # The CSV is made in the page: catch the Blob it downloads.
        csv = BR.js_async(
            "const done = arguments[arguments.length - 1];"
            "const orig = URL.createObjectURL;"
            "URL.createObjectURL = (b) => { b.arrayBuffer().then((a) => done(Array.from(new Uint8Array(a))));"
            "  return orig(b); };"
            "document.querySelector('#csv-download').click();")
        csv = bytes(csv).decode("utf-8")     # UTF-8 with a byte order mark, for spreadsheets
        self.assertTrue(csv.startswith("\ufeff问题编号,问题,对接对象编号,对接对象,匹配分\r\n"), csv[:80])
        lines = csv.lstrip("\ufeff").rstrip("\r\n").split("\r\n")
        self.assertEqual(len(lines), 1 + len(api["pairs"]))
        first = api["pairs"][0]
        self.assertTrue(lines[1].startswith(first["problem"] + "," + api["labels"]["problems"][first["problem"]]))

    def test_5_record_text_is_never_html(self):
        evil = {"id": "P-XSS", "kind": "problem", "title": "<img src=x onerror=\"window.__xss=1\">散热难题",
                "description": "<script>window.__xss=2</script>碳化硅"}
        self.assertEqual(S.request("PUT", "/v1/records", evil, token=TOKEN)[0], 200)
        load("record/problem/P-XSS")
        BR.wait("return document.querySelector('#record-card .record-title') !== null", "the record")
        self.assertEqual(BR.text("#record-card .record-title"), evil["title"])
        self.assertEqual(count("#record-card img, #record-card script"), 0)
        self.assertIsNone(BR.js("return window.__xss === undefined ? null : window.__xss"))

    def test_6_token_prompt_with_auth_reads(self):
        s2 = Server(DB, "--auth-reads", tmp=TMP)
        try:
            BR.get("http://127.0.0.1:%d/" % s2.port)
            BR.wait("return document.body.dataset.ready === '1'", "the console")
            self.assertFalse(BR.js("return document.querySelector('#token-panel').classList.contains('hidden')"))
            self.assertIn("需要访问令牌", BR.text("#message"))
            BR.type("#token-input", TOKEN)
            BR.js("document.querySelector('#token-form').requestSubmit()")
            BR.wait("return document.querySelector('#counts').textContent.startsWith('问题')", "counts with the token")
            BR.js("sessionStorage.clear()")
        finally:
            self.assertEqual(s2.stop(), 0)


if __name__ == "__main__":
    unittest.main()
