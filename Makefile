# libmatch -- build, test, demo, bench, install.
# `make demo` and `make test` work on a fresh Debian 12 machine: both install
# missing packages first (scripts/install-deps.sh) and build what they need.

VERSION_MAJOR := 1
VERSION_MINOR := 0
VERSION_PATCH := 0
VERSION       := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
BINDIR  ?= $(PREFIX)/bin
PCDIR   ?= $(LIBDIR)/pkgconfig
DESTDIR ?=

CC      ?= cc
B       := build
PY      := /usr/bin/python3

PKGS       := sqlite3 libcjson opencc openblas
DEP_CFLAGS  = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEP_LIBS    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -llapack -lstemmer -lpthread -lm

WARN    := -Wall -Wextra -Wno-unused-parameter -Wshadow -Wstrict-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DLM_BUILDING $(WARN) $(CFLAGS) \
             -Ilibmatch/include -Ilibmatch/src $(DEP_CFLAGS)

SRC     := $(wildcard libmatch/src/*.c)
HDR     := $(wildcard libmatch/include/*.h) $(wildcard libmatch/src/*.h)
OBJ     := $(SRC:libmatch/src/%.c=$(B)/obj/%.o)
ASAN_OBJ:= $(SRC:libmatch/src/%.c=$(B)/asan/obj/%.o)

SONAME  := libmatch.so.$(VERSION_MAJOR)
SHLIB   := $(B)/libmatch.so.$(VERSION)
STLIB   := $(B)/libmatch.a
CLI     := $(B)/lmatch
PC      := $(B)/libmatch.pc

TEST_SRC := $(wildcard tests/test_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(B)/tests/%)
ASAN_TESTS := $(TEST_SRC:tests/%.c=$(B)/asan/tests/%)
TEST_DEPS := tests/lmtest.h $(wildcard tests/fuzz/*.c tests/fuzz/*.h)

SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

# Faces and bindings with their own make fragments: each of bindings/*/ and
# libmatch/*/ may hold a NAME.mk with its build, test and install rules
# (e.g. bindings/java/java.mk: test-java).  A fragment adds what `make all`
# builds to ALL_EXTRA and its install rule to INSTALL_EXTRA.
.DEFAULT_GOAL := all
ALL_EXTRA     :=
INSTALL_EXTRA :=
-include $(wildcard bindings/*/*.mk libmatch/*/*.mk)

.PHONY: abi-check abi-baseline fuzz all deps demo test tests test-c test-asan test-py bench bench-quality bench-speed \
        install uninstall clean examples

all: $(SHLIB) $(STLIB) $(CLI) $(PC) examples $(ALL_EXTRA)

deps:
	@sh scripts/install-deps.sh

$(B)/obj/%.o: libmatch/src/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/asan/obj/%.o: libmatch/src/%.c $(HDR)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -c $< -o $@

$(SHLIB): $(OBJ)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined -o $@ $(OBJ) $(DEP_LIBS)
	ln -sf libmatch.so.$(VERSION) $(B)/$(SONAME)
	ln -sf $(SONAME) $(B)/libmatch.so

$(STLIB): $(OBJ)
	rm -f $@
	ar rcs $@ $(OBJ)

# $(CLI) (build/lmatch) and its installation: libmatch/cli/cli.mk.

$(PC): libmatch/libmatch.pc.in Makefile
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' $< > $@

examples: $(B)/examples/match_report

$(B)/examples/match_report: examples/c/match_report.c $(SHLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -L$(B) -lmatch -Wl,-rpath,'$$ORIGIN/..'

# ---- tests ---------------------------------------------------------------

$(B)/tests/%: tests/%.c $(STLIB) $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(STLIB) $(DEP_LIBS)

# Tests link static archives: a test may include a module's source to reach
# its static functions (test_allocate.c), and then that module's object is
# not pulled from the archive.
$(B)/asan/libmatch.a: $(ASAN_OBJ)
	rm -f $@
	ar rcs $@ $(ASAN_OBJ)

$(B)/asan/tests/%: tests/%.c $(B)/asan/libmatch.a $(TEST_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -o $@ $< $(B)/asan/libmatch.a $(DEP_LIBS)

# Build the C test programs (plain and ASan+UBSan) without running them.
tests: $(TESTS) $(ASAN_TESTS)

test:
	@sh scripts/install-deps.sh test
	@$(MAKE) --no-print-directory all $(TESTS) $(ASAN_TESTS) >$(B).log 2>&1 || \
	    { mkdir -p $(B); cat $(B).log; echo "build failed"; echo "0 passed, 1 failed"; exit 1; }
	@sh tests/run.sh

# ---- demo ----------------------------------------------------------------

DEMO_DB ?= $(B)/demo.db
demo:
	@sh scripts/install-deps.sh demo
	@$(MAKE) --no-print-directory all >/dev/null
	@sh examples/demo.sh $(CLI) $(DEMO_DB)

# ---- bench ---------------------------------------------------------------

DATA ?=
bench: bench-quality bench-speed

bench-quality:
	@sh scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory all $(B)/bench/lm_run >/dev/null
	@$(PY) bench/quality.py $(if $(DATA),--data $(DATA)) $(BENCH_ARGS)

bench-speed:
	@sh scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory all $(B)/bench/lm_run $(B)/bench/lm_speed >/dev/null
	@$(PY) bench/speed.py $(if $(DATA),--data $(DATA)) $(BENCH_ARGS)

$(B)/bench/%: bench/%.c $(SHLIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -L$(B) -lmatch $(DEP_LIBS) -Wl,-rpath,'$$ORIGIN/..'

# ---- install -------------------------------------------------------------

install: $(SHLIB) $(STLIB) $(CLI) $(PC) $(INSTALL_EXTRA)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR) $(DESTDIR)$(PCDIR) $(DESTDIR)$(BINDIR)
	install -m 644 libmatch/include/libmatch.h libmatch/include/libmatch_dfs.h $(DESTDIR)$(INCDIR)/
	install -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libmatch.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmatch.so
	install -m 644 $(STLIB) $(DESTDIR)$(LIBDIR)/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCDIR@|$(INCDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' libmatch/libmatch.pc.in > $(DESTDIR)$(PCDIR)/libmatch.pc

uninstall:
	rm -f $(DESTDIR)$(INCDIR)/libmatch.h $(DESTDIR)$(INCDIR)/libmatch_dfs.h $(DESTDIR)$(LIBDIR)/libmatch.so* \
	      $(DESTDIR)$(LIBDIR)/libmatch.a $(DESTDIR)$(PCDIR)/libmatch.pc $(DESTDIR)$(BINDIR)/lmatch

clean:
	rm -rf $(B) $(B).log

# ---- fuzzing (libFuzzer, clang) ------------------------------------------

FUZZ_TARGETS := record jsonl analyze query dbfile
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

fuzz: deps
	@mkdir -p $(B)/fuzz
	@for t in $(FUZZ_TARGETS); do \
	    clang -std=c11 -D_GNU_SOURCE -DLM_LIBFUZZER $(FUZZ_FLAGS) -Ilibmatch/include -Ilibmatch/src \
	        $(DEP_CFLAGS) tests/fuzz/fuzz_$$t.c $(SRC) -o $(B)/fuzz/fuzz_$$t $(DEP_LIBS) || exit 1; \
	    mkdir -p $(B)/fuzz/corpus_$$t; \
	    echo "== fuzz_$$t for $(FUZZ_SECONDS)s"; \
	    $(B)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 \
	        -artifact_prefix=tests/fuzz/corpus/$$t/crash- $(B)/fuzz/corpus_$$t tests/fuzz/corpus/$$t || exit 1; \
	done

# ---- ABI check (abigail-tools) ---------------------------------------------
# Compares the built library's ABI with the committed baseline: an
# incompatible change fails, an addition passes.  `make abi-baseline` records
# a new baseline (only together with a soname bump for incompatible changes).

ABI_BASELINE := libmatch/abi/libmatch.so.$(VERSION_MAJOR).abi

abi-check: $(SHLIB)
	@abidw --no-corpus-path --headers-dir libmatch/include $(SHLIB) > $(B)/current.abi
	@abidiff --headers-dir2 libmatch/include $(ABI_BASELINE) $(B)/current.abi > $(B)/abidiff.txt; \
	 st=$$?; \
	 if [ $$((st & 8)) -ne 0 ]; then cat $(B)/abidiff.txt; echo "abi-check: incompatible ABI change"; exit 1; fi; \
	 if [ $$((st & 3)) -ne 0 ]; then cat $(B)/abidiff.txt; echo "abi-check: abidiff failed ($$st)"; exit 1; fi; \
	 echo "abi-check: compatible with $(ABI_BASELINE)"

abi-baseline: $(SHLIB)
	@mkdir -p $(dir $(ABI_BASELINE))
	abidw --no-corpus-path --headers-dir libmatch/include $(SHLIB) > $(ABI_BASELINE)
