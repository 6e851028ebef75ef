#!/bin/sh
# Install the Debian packages libmatch needs to build, test, demo and bench.
# Does nothing when they are all present.  Run as root, or with sudo available.
set -eu

PKGS="build-essential pkg-config libsqlite3-dev libstemmer-dev libopenblas-dev \
libcjson-dev libopencc-dev python3 python3-jieba clang libclang-rt-14-dev valgrind \
abigail-tools"
# Peers and plots for bench/ only.
if [ "${LM_DEPS_BENCH:-0}" = 1 ]; then
    PKGS="$PKGS python3-xapian python3-matplotlib sqlite3"
fi

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
        *"install ok installed"*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "install-deps: need root (or sudo) to install:$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
