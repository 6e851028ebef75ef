#!/bin/sh
# The Java binding's tests (bindings/java): builds the library, the CLI and
# the jar, then runs the plain Java test runner (make test-java).  Its last
# line is "# java: passed=N failed=M".  Fails, not skips, when the JDK or
# JNA is missing: `make test` installs them (scripts/install-deps.sh test).
B=${B:-build}
for tool in javac java jar; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "not ok - java: '$tool' not found (sh scripts/install-deps.sh java)"
        echo "# java: passed=0 failed=1"
        exit 1
    fi
done
if [ ! -f /usr/share/java/jna.jar ]; then
    echo "not ok - java: /usr/share/java/jna.jar not found (sh scripts/install-deps.sh java)"
    echo "# java: passed=0 failed=1"
    exit 1
fi
log=$(mktemp); trap 'rm -f "$log"' EXIT
if ! make --no-print-directory B="$B" "$B/java/libmatch.jar" "$B/java/test-classes.stamp" "$B/lmatch" \
        java-doc >"$log" 2>&1; then
    cat "$log"
    echo "not ok - java: build (javac, jar, javadoc) failed"
    echo "# java: passed=0 failed=1"
    exit 1
fi
make --no-print-directory -s B="$B" test-java
