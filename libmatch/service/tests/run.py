"""Run one test module of lmatch-serve with unittest (run.py MODULE LABEL) and print
"# LABEL: passed=N failed=M" (tests/suites/service.sh adds them up).
Skipped tests count as failed: the suite's tools are installed by
`make test`, so a missing one is an error."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
name = sys.argv[1]
label = sys.argv[2] if len(sys.argv) > 2 else name
suite = unittest.defaultTestLoader.loadTestsFromName(name)
result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
bad = len(result.failures) + len(result.errors) + len(result.skipped) + len(result.unexpectedSuccesses)
print("# %s: passed=%d failed=%d" % (label, result.testsRun - bad, bad))
sys.exit(1 if bad else 0)
