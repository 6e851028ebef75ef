"""Run the Python unittest suites given on the command line (directories)
and print "# pytests: passed=N failed=M" for tests/run.sh."""
import sys
import unittest

def main(argv):
    suite = unittest.TestSuite()
    loader = unittest.TestLoader()
    for d in argv:
        suite.addTests(loader.discover(d, pattern="test_*.py", top_level_dir=d))
    res = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    passed = res.testsRun - failed - len(res.skipped)
    print("# pytests: passed=%d failed=%d" % (passed, failed))
    return 0 if failed == 0 else 1

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
