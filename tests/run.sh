#!/bin/sh
# Run every test: C tests, the same C tests under ASan+UBSan, Python tests,
# then the suites of tests/suites/.
# Prints each suite's output and ends with "N passed, N failed".
B=${B:-build}
PY=${PY:-/usr/bin/python3}
pass=0; fail=0
log=$(mktemp); trap 'rm -f "$log"' EXIT

count() {  # $1 = suite name, $2 = exit code; reads the summary in $log
    line=$(grep -E '^# (lmtest|pytests): passed=' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')
        f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
    else
        p=0; f=1
        echo "not ok - $1 ended without a summary (exit $2)"
    fi
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1; echo "not ok - $1 exited with status $2"
    fi
    pass=$((pass + p)); fail=$((fail + f))
}

for t in "$B"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $t"
    "$t" >"$log" 2>&1; rc=$?
    cat "$log"; count "$t" "$rc"
done

# Sanitizers: any report aborts the test binary with a non-zero status.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=86:halt_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
for t in "$B"/asan/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $t (ASan+UBSan)"
    "$t" >"$log" 2>&1; rc=$?
    cat "$log"; count "$t (asan)" "$rc"
done
unset ASAN_OPTIONS UBSAN_OPTIONS

# Valgrind memcheck of the C API tests: no definite leaks, no invalid access.
if command -v valgrind >/dev/null 2>&1 && [ -x "$B/tests/test_api" ]; then
    echo "== valgrind $B/tests/test_api"
    valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite "$B/tests/test_api" >"$log" 2>&1; rc=$?
    cat "$log"; count "valgrind test_api" "$rc"
fi

# ABI: compatible with the committed baseline (additions are fine).
echo "== abi-check"
if make --no-print-directory -s abi-check >"$log" 2>&1; then
    cat "$log"; pass=$((pass + 1))
else
    cat "$log"; echo "not ok - abi-check"; fail=$((fail + 1))
fi

dirs=""
for d in bindings/python/tests bench/tests; do
    [ -d "$d" ] && dirs="$dirs $d"
done
if [ -n "$dirs" ]; then
    echo "== python:$dirs"
    # shellcheck disable=SC2086
    LIBMATCH_LIBRARY="$(pwd)/$B/libmatch.so" PYTHONPATH="$(pwd)/bindings/python:$(pwd)/bench" \
        "$PY" tests/pyrun.py $dirs >"$log" 2>&1; rc=$?
    cat "$log"; count "python" "$rc"
fi

# Further suites (Java, Node, the service, the browser console, Dask, the
# CLI): every tests/suites/NAME.sh builds what it needs, runs its tests and
# ends with a line "# NAME: passed=N failed=M".
for s in tests/suites/*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s" .sh)
    echo "== suite $name"
    B="$B" PY="$PY" sh "$s" >"$log" 2>&1; rc=$?
    cat "$log"
    line=$(grep -E "^# $name: passed=[0-9]+ failed=[0-9]+" "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')
        f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
    else
        p=0; f=1; echo "not ok - suite $name ended without a summary (exit $rc)"
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - suite $name exited with status $rc"; fi
    pass=$((pass + p)); fail=$((fail + f))
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
