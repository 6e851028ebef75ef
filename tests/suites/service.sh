#!/bin/sh
# lmatch-serve: the token code in C, the HTTP API (Python unittest against a
# running service), the console in headless Chromium (WebDriver).
# Prints "# service: passed=N failed=M" last.
B=${B:-build}
PY=${PY:-/usr/bin/python3}
pass=0; fail=0
log=$(mktemp); trap 'rm -f "$log"' EXIT

tally() {  # $1 = part, $2 = exit status; counts from the "# LABEL: passed=N failed=M" line in $log
    line=$(grep -E '^# [a-z-]+: passed=[0-9]+ failed=[0-9]+' "$log" | tail -n 1)
    if [ -n "$line" ]; then
        p=$(echo "$line" | sed 's/.*passed=\([0-9]*\).*/\1/')
        f=$(echo "$line" | sed 's/.*failed=\([0-9]*\).*/\1/')
    else
        p=0; f=1; echo "not ok - $1 ended without a summary (exit $2)"
    fi
    if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $1 exited with status $2"; fi
    pass=$((pass + p)); fail=$((fail + f))
}

if ! make --no-print-directory -s B="$B" "$B/lmatch-serve" "$B/service/asan/lmatch-serve" >"$log" 2>&1; then
    cat "$log"; echo "not ok - build lmatch-serve"
    echo "# service: passed=0 failed=1"; exit 1
fi

echo "== service: token (C)"
mkdir -p "$B/service"
if ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -O1 -g -fsanitize=address,undefined \
        -Ilibmatch/service -o "$B/service/test_auth" libmatch/service/tests/test_auth.c \
        libmatch/service/auth.c >"$log" 2>&1; then
    "$B/service/test_auth" >"$log" 2>&1; rc=$?
    cat "$log"; tally "test_auth" "$rc"
else
    cat "$log"; echo "not ok - build test_auth"; fail=$((fail + 1))
fi

for t in test_service test_console; do
    echo "== service: $t"
    B="$B" "$PY" libmatch/service/tests/run.py "$t" "${t#test_}" >"$log" 2>&1; rc=$?
    cat "$log"; tally "$t" "$rc"
done

# The API tests again against the service built with ASan+UBSan: a memory
# error aborts it, a leak makes its exit status non-zero (checked by each
# test that stops a server).
echo "== service: test_service (lmatch-serve under ASan+UBSan)"
case "$B" in /*) asan="$B/service/asan" ;; *) asan="$(pwd)/$B/service/asan" ;; esac
B="$asan" UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$PY" libmatch/service/tests/run.py test_service service-asan >"$log" 2>&1; rc=$?
cat "$log"; tally "test_service (asan)" "$rc"

echo "# service: passed=$pass failed=$fail"
[ "$fail" -eq 0 ]
