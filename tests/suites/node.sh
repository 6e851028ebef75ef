#!/bin/sh
# The Node.js binding's tests (bindings/node/test, node:test): `make
# test-node` installs the pinned npm packages with npm ci and runs them as
# TAP against $B's library.  Ends with "# node: passed=N failed=M" (todo
# tests, which wait on a library change, are reported but not counted).
B=${B:-build}
log=$(mktemp); trap 'rm -f "$log"' EXIT

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "not ok - $tool is not installed (scripts/install-deps.sh node)"
        echo "# node: passed=0 failed=1"
        exit 1
    fi
done

make --no-print-directory test-node B="$B" >"$log" 2>&1; rc=$?
cat "$log"

num() { sed -n "s/^# $1 \([0-9][0-9]*\)\$/\1/p" "$log" | tail -n 1; }
pass=$(num pass); fail=$(num fail); cancelled=$(num cancelled); todo=$(num todo)
if [ -z "$pass" ] || [ -z "$fail" ]; then
    echo "not ok - node tests ended without a TAP summary (make status $rc)"
    echo "# node: passed=${pass:-0} failed=1"
    exit 1
fi
fail=$((fail + ${cancelled:-0}))
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then
    echo "not ok - make test-node exited with status $rc"
    fail=1
fi
[ "${todo:-0}" -gt 0 ] && echo "# node: ${todo} todo (waiting on the library; see the TODO lines above)"
echo "# node: passed=$pass failed=$fail"
[ "$fail" -eq 0 ]
