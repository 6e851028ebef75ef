#!/bin/sh
# The CLI suite: lmatch's help, exit statuses, read-only commands, registry
# flags, CSV/stdin loading, export round trips, XLSX, batch/vectors/mode,
# lmatch-NAME dispatch, progress, man page, completion and installation.
# Builds what it needs; the last line is "# cli: passed=N failed=M".
B=${B:-build}
PY=${PY:-/usr/bin/python3}
for tool in groff bash pkg-config cc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "not ok - $tool is missing (scripts/install-deps.sh test installs it)"
        echo "# cli: passed=0 failed=1"
        exit 1
    fi
done
if ! make --no-print-directory -s B="$B" all >"$B.cli.log" 2>&1; then
    cat "$B.cli.log"; rm -f "$B.cli.log"
    echo "not ok - build failed"
    echo "# cli: passed=0 failed=1"
    exit 1
fi
rm -f "$B.cli.log"
LMATCH="$(pwd)/$B/lmatch" exec "$PY" tests/cli/test_cli.py
