#!/usr/bin/env python3
"""Print the match options of the loaded libmatch, from its option registry:
name, type, default, bounds (or the names of a mode's values) and help.

    python3 examples/python/options_table.py          # a table
    python3 examples/python/options_table.py --json   # the same as JSON
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))
import libmatch  # noqa: E402


def main(argv):
    options = libmatch.options()
    if "--json" in argv:
        print(json.dumps([o.to_dict() for o in options.values()], ensure_ascii=False, indent=1))
        return 0
    print("%-20s %-7s %-10s %s" % ("option", "type", "default", "range / values — help"))
    for o in options.values():
        if o.choices:
            default, span = o.default_choice, "|".join(o.choices)
        elif o.type in ("string", "list"):
            default, span = "—", "up to %d bytes%s" % (o.max, ", repeatable" if o.type == "list" else "")
        else:
            default, span = "%g" % o.default, "%g..%g" % (o.min, o.max)
        print("%-20s %-7s %-10s %s — %s" % (o.name, o.type, default, span, o.help))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
