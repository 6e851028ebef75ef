#!/bin/sh
# Install the Debian packages a target of libmatch needs, and no more.
#
#   scripts/install-deps.sh [TARGET ...]        (default: build)
#
# Targets: build (library, CLI, demo), test (every test suite: includes the
# Java, Node, service, browser and Dask ones), bench (peers and plots), and
# the single suites java, node, service, browser, dask.  Does nothing when
# everything is present.  Run as root, or with sudo available.
set -eu

build="build-essential pkg-config libsqlite3-dev libstemmer-dev libopenblas-dev \
libcjson-dev libopencc-dev python3 python3-jieba"
# The service (lmatch serve) and XLSX tables are part of the CLI.
service="libmicrohttpd-dev libxlsxwriter-dev"
ctest="clang libclang-rt-14-dev valgrind abigail-tools"
java="openjdk-17-jdk-headless libjna-java"
# npm comes with NodeSource's nodejs; Debian ships it as its own package.
node="nodejs"
command -v npm >/dev/null 2>&1 || node="nodejs npm"
# The console's browser test: headless Chromium driven through WebDriver,
# and a CJK font so that its screenshots show Chinese text.
browser="chromium chromium-driver fonts-wqy-microhei"
dask="python3-dask python3-distributed"
# The Python binding's tests install the package with pip (offline).
pytest="python3-pip"
bench="python3-xapian python3-matplotlib sqlite3"

PKGS=""
[ $# -eq 0 ] && set -- build
for t in "$@"; do
    case "$t" in
        build|demo) PKGS="$PKGS $build $service" ;;
        test)    PKGS="$PKGS $build $service $ctest $java $node $browser $dask $pytest python3-matplotlib groff-base" ;;
        bench)   PKGS="$PKGS $build $service $bench" ;;
        java)    PKGS="$PKGS $build $java" ;;
        node)    PKGS="$PKGS $build $node" ;;
        service) PKGS="$PKGS $build $service" ;;
        browser) PKGS="$PKGS $build $service $browser" ;;
        dask)    PKGS="$PKGS $build $dask" ;;
        *) echo "install-deps: unknown target '$t'" >&2; exit 2 ;;
    esac
done
# Compatibility with older callers.
if [ "${LM_DEPS_BENCH:-0}" = 1 ]; then PKGS="$PKGS $bench"; fi

missing=""
for p in $PKGS; do
    case " $missing " in *" $p "*) continue ;; esac
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
