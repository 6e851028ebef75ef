#!/bin/sh
# The calibration suite: lmatch's 匹配度, feedback and learn on the sample
# data, and (when the bench data is there) that the compiled-in default
# model is what bench/fit_model.py fits.  Builds what it needs; the last
# line is "# calib: passed=N failed=M".
B=${B:-build}
PY=${PY:-/usr/bin/python3}
if ! "$PY" -c "import numpy" >/dev/null 2>&1; then
    echo "not ok - python3-numpy is missing (scripts/install-deps.sh test installs it)"
    echo "# calib: passed=0 failed=1"
    exit 1
fi
if ! make --no-print-directory -s B="$B" all "$B/bench/lm_run" >"$B.calib.log" 2>&1; then
    cat "$B.calib.log"; rm -f "$B.calib.log"
    echo "not ok - build failed"
    echo "# calib: passed=0 failed=1"
    exit 1
fi
rm -f "$B.calib.log"
LMATCH="$(pwd)/$B/lmatch" PY="$PY" exec "$PY" tests/calib/test_calib.py
