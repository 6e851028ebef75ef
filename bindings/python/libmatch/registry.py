"""Match options, derived from the library's option registry.

The C library names, types, bounds and documents every option
(lm_opt_count/key/name/type/bounds/help/choices).  This module reads that
registry once at import time: nothing here copies an option number, a
default or a bound.  Every registry option is a keyword argument of the
matching calls under its registry name (``k=20``, ``w_topic=0``,
``fusion="rrf"``, ``bm25_k1=1.2``); for compatibility ``fields=`` is the
repeatable ``field`` option and ``weights={"bm25": 1.0, "title": 3.0}`` sets
number options by their name with or without the ``w_`` prefix.

Values are set by name through lm_opts_set(); number options (doubles) go
through lm_opts_set_double() with the key the registry gives for the name,
because lm_opts_set() parses decimal text with strtod(), which follows the
process's LC_NUMERIC locale (a program that called
``locale.setlocale(locale.LC_ALL, "")`` under a locale with a decimal comma
would have "0.5" refused).
"""
from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from . import _native as N
from ._native import c_double, c_void_p, lib
from .errors import error_for, errstr, id_bytes

TYPE_NAMES = {N.LM_OPT_TYPE_INT: "int", N.LM_OPT_TYPE_DOUBLE: "double",
              N.LM_OPT_TYPE_STRING: "string", N.LM_OPT_TYPE_LIST: "list"}

OptionValue = Union[int, float, str, List[str]]


@dataclass(frozen=True)
class Option:
    """One option of the library's registry.

    name     the registry name, also the keyword argument ("k", "w_bm25")
    key      the C key (LM_OPT_*)
    type     "int", "double", "string" or "list" (a repeatable string)
    default  the default (int or float); None for string and list options
    min/max  bounds of a number option; for string and list options 0 and the
             maximum length of a value in bytes
    choices  for an integer that selects a mode, the names of its values
             min..max (e.g. ("max", "sum", "topm")), accepted as values; else None
    help     a one-line description
    """
    name: str
    key: int
    type: str
    default: Union[int, float, None]
    min: Union[int, float]
    max: Union[int, float]
    choices: Optional[Tuple[str, ...]]
    help: str

    @property
    def default_choice(self) -> Optional[str]:
        """The name of the default value of a mode option ("max"), else None."""
        if self.choices is None or not isinstance(self.default, int):
            return None
        i = self.default - int(self.min)
        return self.choices[i] if 0 <= i < len(self.choices) else None

    def parse(self, text: str) -> OptionValue:
        """A typed value of this option from text (a command-line or config
        value): an int (or, for a mode, its name as given), a float, the
        string, or for a list option the comma-separated values."""
        if not isinstance(text, str):
            raise TypeError("option %s: parse() takes a str, not %s" % (self.name, type(text).__name__))
        s = text.strip()
        if self.type == "int":
            if self.choices and s in self.choices:
                return s
            try:
                return int(s, 10)
            except ValueError:
                raise ValueError("option %s: %r is not %s" % (
                    self.name, text, "one of %s or a whole number" % "|".join(self.choices)
                    if self.choices else "a whole number")) from None
        if self.type == "double":
            try:
                return float(s)
            except ValueError:
                raise ValueError("option %s: %r is not a number" % (self.name, text)) from None
        if self.type == "list":
            return [v.strip() for v in text.split(",") if v.strip()]
        return text

    def to_dict(self) -> Dict[str, Any]:
        return {"name": self.name, "key": self.key, "type": self.type, "default": self.default,
                "min": self.min, "max": self.max, "choices": list(self.choices) if self.choices else None,
                "help": self.help}


def _read_registry() -> Dict[str, Option]:
    out: Dict[str, Option] = {}
    for i in range(lib.lm_opt_count()):
        key = lib.lm_opt_key(i)
        name = N.borrowed(lib.lm_opt_name(key))
        if not key or not name:
            continue
        t = TYPE_NAMES.get(lib.lm_opt_type(key))
        if t is None:                 # a type this binding does not know: not settable from here
            continue
        d, lo, hi = c_double(), c_double(), c_double()
        lib.lm_opt_bounds(key, ctypes.byref(d), ctypes.byref(lo), ctypes.byref(hi))
        choices = N.borrowed(lib.lm_opt_choices(key))
        default: Union[int, float, None] = None
        mn: Union[int, float] = int(lo.value)
        mx: Union[int, float] = int(hi.value)
        if t == "int":
            default = int(d.value)
        elif t == "double":
            default, mn, mx = d.value, lo.value, hi.value
        out[name] = Option(name, key, t, default, mn, mx, tuple(choices.split("|")) if choices else None,
                           N.borrowed(lib.lm_opt_help(key)) or "")
    return out


REGISTRY: Dict[str, Option] = _read_registry()


def options() -> Dict[str, Option]:
    """Every option of the loaded library, by name, in the registry's order:
    {name: Option(name, key, type, default, min, max, choices, help)}.
    Each is a keyword argument of match(), query(), match_record(),
    match_vector() and allocate()."""
    return dict(REGISTRY)


def weight_option(name: str) -> Option:
    """The number option a `weights` key names: "bm25" -> w_bm25, "title" ->
    w_title, "bm25_k1" -> bm25_k1, "w_topic" -> w_topic."""
    if isinstance(name, str):
        for candidate in ("w_" + name, name):
            opt = REGISTRY.get(candidate)
            if opt is not None and opt.type == "double":
                return opt
    known = sorted(o.name[2:] if o.name.startswith("w_") else o.name
                   for o in REGISTRY.values() if o.type == "double")
    raise ValueError("unknown weight %r (known: %s)" % (name, ", ".join(known)))


def _known() -> str:
    return ", ".join(sorted(set(REGISTRY) | {"fields", "weights", "options"}))


class MatchOptions:
    """Validated options (Python types checked before any C call), turned
    into an lm_opts handle by new_handle().  Values that are None keep the
    registry default."""

    def __init__(self, **given: Any) -> None:
        self.values: Dict[str, Tuple[Option, Any]] = {}
        for name, value in given.items():
            if value is None:
                continue
            if name == "options":          # {registry name: value}: any option, e.g. allocate's
                if not isinstance(value, Mapping):   # "candidates", which its candidates= list hides
                    raise TypeError("options must be a dict {name: value}, not %s" % type(value).__name__)
                for oname, v in value.items():
                    if oname not in REGISTRY:
                        raise TypeError("unknown option %r in options= (known: %s)"
                                        % (oname, ", ".join(REGISTRY)))
                    if v is not None:
                        self._put(REGISTRY[oname], v, "options[%r]" % oname)
            elif name == "weights":
                if not isinstance(value, Mapping):
                    raise TypeError("weights must be a dict {name: weight}, not %s" % type(value).__name__)
                for wname, w in value.items():
                    self._put(weight_option(wname), w, "weight %s" % wname)
            elif name in ("fields", "field"):
                self._put(REGISTRY["field"], value, name)
            elif name in REGISTRY:
                self._put(REGISTRY[name], value, name)
            else:
                raise TypeError("unknown match option %r (known: %s)" % (name, _known()))

    def _put(self, opt: Option, value: Any, given_as: str) -> None:
        if opt.name in self.values:
            raise TypeError("option %s given twice (as %s)" % (opt.name, given_as))
        self.values[opt.name] = (opt, _checked(opt, value, given_as))

    def new_handle(self) -> c_void_p:
        """A new lm_opts (the caller frees it with lm_opts_free)."""
        h = c_void_p()
        rc = lib.lm_opts_new(ctypes.byref(h))
        if rc:
            raise error_for(rc, "lm_opts_new: " + errstr(rc))
        try:
            for opt, v in self.values.values():
                if opt.type == "double":
                    rc = lib.lm_opts_set_double(h, opt.key, v)
                    self._check(h, rc)
                elif opt.type == "list":
                    for item in v:
                        self._check(h, lib.lm_opts_set(h, opt.name.encode(), item))
                else:
                    self._check(h, lib.lm_opts_set(h, opt.name.encode(), v))
        except BaseException:
            lib.lm_opts_free(h)
            raise
        return h

    @staticmethod
    def _check(h: c_void_p, rc: int) -> None:
        if rc:
            raise error_for(rc, N.borrowed(lib.lm_opts_errmsg(h)))


def _checked(opt: Option, value: Any, what: str) -> Any:
    """The value as lm_opts_set()/lm_opts_set_double() takes it, after the
    Python type checks (TypeError); bounds are the library's to check."""
    if opt.type == "int":
        if isinstance(value, str) and opt.choices:
            return id_bytes(value, what)
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("%s must be an int%s, not %s" % (
                what, " or one of %s" % "|".join(opt.choices) if opt.choices else "", type(value).__name__))
        if not -(1 << 63) <= value < (1 << 63):
            raise ValueError("%s=%d does not fit in 64 bits" % (what, value))
        return str(value).encode()
    if opt.type == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("%s must be a number, not %s" % (what, type(value).__name__))
        try:
            return float(value)
        except OverflowError:
            raise ValueError("%s=%d is too large for a number option" % (what, value)) from None
    if opt.type == "string":
        if not isinstance(value, str):
            raise TypeError("%s must be a str, not %s" % (what, type(value).__name__))
        return id_bytes(value, what)
    # list: one str or an iterable of str
    items: Iterable[Any] = [value] if isinstance(value, str) else value
    if isinstance(value, (bytes, Mapping)) or not isinstance(items, Iterable):
        raise TypeError("%s must be a str or an iterable of str" % what)
    out = []
    for item in items:
        if not isinstance(item, str):
            raise TypeError("%s must be a str or an iterable of str, not holding %s" % (what, type(item).__name__))
        out.append(id_bytes(item, "field" if what in ("fields", "field") else what))
    return out
