"""Match options come from the library's option registry: every registry
option is a keyword argument under its name, with the library's types,
bounds and defaults; the older spellings (fields=, weights={...}) still
work."""
import array
import ctypes
import unittest

import libmatch
from libmatch import _native
from libmatch.registry import REGISTRY, weight_option
from lmsupport import Base


def in_range_value(opt):
    """A valid value of each type (the default for numbers)."""
    return {"int": opt.default, "double": opt.default, "string": "陕西省", "list": ["新能源", "半导体"]}[opt.type]


def out_of_range_value(opt):
    if opt.type == "int":
        return opt.max + 1
    if opt.type == "double":
        return opt.max * 2 if opt.max > 0 else 1.0
    return "长" * (opt.max // 3 + 1)              # over the maximum length in bytes


class TestRegistry(unittest.TestCase):
    def test_options_describe_the_registry(self):
        opts = libmatch.options()
        self.assertEqual(len(opts), _native.lib.lm_opt_count())
        self.assertEqual(list(opts), [_native.lib.lm_opt_name(_native.lib.lm_opt_key(i)).decode()
                                      for i in range(_native.lib.lm_opt_count())])
        for name, o in opts.items():
            self.assertIsInstance(o, libmatch.Option)
            self.assertEqual(o.name, name)
            key = ctypes.c_int()
            self.assertEqual(_native.lib.lm_opt_find(name.encode(), ctypes.byref(key)), 0)
            self.assertEqual(o.key, key.value)
            self.assertIn(o.type, ("int", "double", "string", "list"))
            self.assertTrue(o.help)
            self.assertLessEqual(o.min, o.max)
            if o.type in ("int", "double"):
                self.assertTrue(o.min <= o.default <= o.max, name)
            else:
                self.assertIsNone(o.default)
            self.assertEqual(o.to_dict()["name"], name)
        for name in ("k", "offset", "region", "field", "min_maturity", "evidence_mode", "fusion", "w_bm25",
                     "w_title", "bm25_k1", "w_cosine", "w_cosine_ext", "w_prf", "capacity", "per_problem",
                     "min_score"):
            self.assertIn(name, opts)
        self.assertEqual(opts["evidence_mode"].choices, ("max", "sum", "topm"))
        self.assertEqual(opts["evidence_mode"].default_choice, "max")
        self.assertEqual(opts["fusion"].choices, ("weighted", "rrf", "model"))
        self.assertEqual(opts["k"].type, "int")
        self.assertEqual(opts["w_bm25"].type, "double")
        self.assertEqual(opts["field"].type, "list")
        self.assertIsNone(opts["k"].choices)
        opts.clear()                                            # a copy: the registry is unchanged
        self.assertIn("k", libmatch.options())

    def test_no_option_numbers_copied_in_the_binding(self):
        for name in ("INT_OPTIONS", "WEIGHTS", "EVIDENCE_MODES", "LM_OPT_REGION", "LM_OPT_FIELD"):
            self.assertFalse(hasattr(_native, name), name)
        self.assertIs(REGISTRY["k"], libmatch.options()["k"])

    def test_weight_names(self):
        self.assertEqual(weight_option("bm25").name, "w_bm25")
        self.assertEqual(weight_option("title").name, "w_title")
        self.assertEqual(weight_option("prf").name, "w_prf")
        self.assertEqual(weight_option("cosine_ext").name, "w_cosine_ext")
        self.assertEqual(weight_option("w_topic").name, "w_topic")
        self.assertEqual(weight_option("bm25_k1").name, "bm25_k1")
        self.assertEqual(weight_option("bm25_b").name, "bm25_b")
        self.assertEqual(weight_option("region").name, "w_region")      # the weight, not the filter
        for bad in ("nope", "k", "offset", "field", 5):
            with self.assertRaises(ValueError) as cm:
                weight_option(bad)
            self.assertIn("cosine_ext", str(cm.exception))          # lists the known ones

    def test_parse(self):
        o = libmatch.options()
        self.assertEqual(o["k"].parse("20"), 20)
        self.assertEqual(o["evidence_mode"].parse("topm"), "topm")
        self.assertEqual(o["evidence_mode"].parse("2"), 2)
        self.assertEqual(o["w_topic"].parse(" 0.5 "), 0.5)
        self.assertEqual(o["region"].parse("陕西省西安市"), "陕西省西安市")
        self.assertEqual(o["field"].parse("新能源, 半导体"), ["新能源", "半导体"])
        for name, text in (("k", "二十"), ("k", "2.5"), ("w_bm25", "高"), ("fusion", "borda")):
            with self.assertRaises(ValueError):
                o[name].parse(text)
        with self.assertRaises(TypeError):
            o["k"].parse(20)


class TestOptionsInMatching(Base):
    def test_every_registry_option_is_reachable(self):
        for name, opt in libmatch.options().items():
            self.db.query("碳化硅", to="achievement", **{name: in_range_value(opt)})
            with self.assertRaises(libmatch.Error, msg=name) as cm:
                self.db.query("碳化硅", to="achievement", **{name: out_of_range_value(opt)})
            self.assertIsInstance(cm.exception, ValueError)
            self.assertIn(name, str(cm.exception))                 # lm_opts_errmsg names the option
        for name, opt in libmatch.options().items():                # and through allocate()
            self.db.allocate(to="expert", options={name: in_range_value(opt)})
            with self.assertRaises(ValueError, msg=name):
                self.db.allocate(to="expert", options={name: out_of_range_value(opt)})

    def test_options_mapping(self):
        # options={name: value} reaches any option, also one whose name a
        # parameter takes (allocate's candidates= is a list of ids; the
        # option "candidates" is how many text candidates a query scores)
        a = self.db.allocate(to="expert", candidates=["E1", "E2"], options={"candidates": 1, "w_evidence": 0})
        self.assertIsInstance(a, libmatch.Allocation)
        self.assertEqual(self.db.query("碳化硅 热失控", to="achievement", options={"k": 1, "fusion": "rrf"}).to_dict(),
                         self.db.query("碳化硅 热失控", to="achievement", k=1, fusion="rrf").to_dict())
        with self.assertRaises(TypeError):
            self.db.query("x", to="achievement", options={"k": 1}, k=2)           # given twice
        with self.assertRaises(TypeError):
            self.db.query("x", to="achievement", options={"colour": 1})
        with self.assertRaises(TypeError):
            self.db.query("x", to="achievement", options=[("k", 1)])

    def test_defaults_are_the_registry_defaults(self):
        plain = self.db.match(problem="P1", to="achievement").to_dict()
        explicit = {n: o.default for n, o in libmatch.options().items() if o.type in ("int", "double")}
        self.assertEqual(self.db.match(problem="P1", to="achievement", **explicit).to_dict(), plain)
        self.assertEqual(len(self.db.query("碳化硅 热失控 小麦", to="achievement")),
                         min(3, libmatch.options()["k"].default))

    def test_weights_mapping_and_registry_names_agree(self):
        a = self.db.query("碳化硅", to="achievement", weights={"maturity": 1.0, "title": 3.0, "bm25_k1": 1.2})
        b = self.db.query("碳化硅", to="achievement", w_maturity=1.0, w_title=3.0, bm25_k1=1.2)
        c = self.db.query("碳化硅", to="achievement", weights={"w_maturity": 1.0, "w_title": 3.0}, bm25_k1=1.2)
        self.assertEqual(a.to_dict(), b.to_dict())
        self.assertEqual(a.to_dict(), c.to_dict())
        self.assertEqual(self.db.query("碳化硅", to="achievement", field=["新能源"]).ids(),
                         self.db.query("碳化硅", to="achievement", fields="新能源").ids())

    def test_mode_names_and_numbers(self):
        mode = libmatch.options()["evidence_mode"]
        for i, name in enumerate(mode.choices):
            by_name = self.db.match(problem="P2", to="expert", evidence_mode=name).to_dict()
            by_number = self.db.match(problem="P2", to="expert", evidence_mode=int(mode.min) + i).to_dict()
            self.assertEqual(by_name, by_number, name)
        fusion = libmatch.options()["fusion"]
        self.assertEqual(self.db.match(problem="P1", to="achievement", fusion="rrf").to_dict(),
                         self.db.match(problem="P1", to="achievement",
                                       fusion=int(fusion.min) + fusion.choices.index("rrf")).to_dict())

    def test_fusion_rrf(self):
        weighted = self.db.match(problem="P1", to="achievement", fusion="weighted")
        rrf = self.db.match(problem="P1", to="achievement", fusion="rrf")
        self.assertEqual(rrf[0].id, "A2")
        self.assertGreater(weighted[0].score, weighted[0].components["bm25"])  # bm25 plus the rest
        # reciprocal rank fusion: each component adds weight / (60 + rank)
        total = sum(o.default for n, o in libmatch.options().items()
                    if n.startswith("w_") and n[2:] in rrf[0].components)
        self.assertLessEqual(rrf[0].score, total / 61 + 1e-9)
        self.assertEqual(rrf[0].components, weighted[0].components)  # the components do not change
        scores = [m.score for m in rrf]
        self.assertEqual(scores, sorted(scores, reverse=True))

    def test_cosine_ext_weight(self):
        # external embeddings of the query record and the candidates: the
        # cosine_ext component, weighted by w_cosine_ext
        for kind, rid, v in (("problem", "P1", [1, 0, 0]), ("achievement", "A1", [0, 1, 0]),
                             ("achievement", "A2", [0.9, 0.1, 0]), ("achievement", "A3", [0.7, 0, 0.7])):
            self.db.put_vector(kind, rid, array.array("f", v), model="demo-3")
        off = self.db.match(problem="P1", to="achievement", fusion="weighted", weights={"cosine_ext": 0})
        on = self.db.match(problem="P1", to="achievement", fusion="weighted", w_cosine_ext=1.0)
        a2_off = next(m for m in off if m.id == "A2")
        a2_on = next(m for m in on if m.id == "A2")
        self.assertGreater(a2_on.components["cosine_ext"], 0.9)
        self.assertAlmostEqual(a2_on.score - a2_off.score, a2_on.components["cosine_ext"], places=6)
        # in the model (the default fusion) the cosine raises the probability
        m_off = next(m for m in self.db.match(problem="P1", to="achievement", w_cosine_ext=0) if m.id == "A2")
        m_on = next(m for m in self.db.match(problem="P1", to="achievement") if m.id == "A2")
        self.assertGreater(m_on.probability, m_off.probability)
        self.assertIn("A3", on.ids())                              # joined through the external space


if __name__ == "__main__":
    unittest.main()
