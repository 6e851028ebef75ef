# libmatch/cli/cli.mk -- the lmatch tool, its man page and bash completion.
# Included by the top Makefile (before `all:`); uses B, CC, ALL_CFLAGS,
# SHLIB, CLI, PREFIX, BINDIR, LIBDIR, DESTDIR.
#
# lmatch links libmatch and cJSON; XLSX output (--xlsx) needs libxlsxwriter
# (Debian libxlsxwriter-dev, installed by scripts/install-deps.sh build),
# linked into the CLI only.  Without it lmatch is built without --xlsx
# support and says so when asked.

CLI_SRC   := $(sort $(wildcard libmatch/cli/*.c))
CLI_HDR   := $(wildcard libmatch/cli/*.h)
CLI_XLSX_LIBS := $(shell pkg-config --libs xlsxwriter 2>/dev/null)
CLI_CFLAGS := $(if $(CLI_XLSX_LIBS),-DLMATCH_XLSX $(shell pkg-config --cflags xlsxwriter 2>/dev/null))
CLI_LIBS  := $(CLI_XLSX_LIBS) $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)
MANDIR    ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

$(CLI): $(CLI_SRC) $(CLI_HDR) $(wildcard libmatch/include/*.h) $(SHLIB)
	$(CC) $(ALL_CFLAGS) $(CLI_CFLAGS) -o $@ $(CLI_SRC) -L$(B) -lmatch $(CLI_LIBS) -Wl,-rpath,'$$ORIGIN'

INSTALL_EXTRA += install-cli
.PHONY: install-cli uninstall-cli test-cli

# The installed lmatch finds libmatch through an rpath to $(LIBDIR).
install-cli: $(SHLIB)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR)
	$(CC) $(ALL_CFLAGS) $(CLI_CFLAGS) -o $(DESTDIR)$(BINDIR)/lmatch $(CLI_SRC) \
	    -L$(B) -lmatch $(CLI_LIBS) -Wl,-rpath,$(LIBDIR)
	install -m 644 libmatch/cli/lmatch.1 $(DESTDIR)$(MANDIR)/man1/lmatch.1
	install -m 644 libmatch/cli/lmatch.bash $(DESTDIR)$(BASHCOMPDIR)/lmatch

uninstall: uninstall-cli
uninstall-cli:
	rm -f $(DESTDIR)$(MANDIR)/man1/lmatch.1 $(DESTDIR)$(BASHCOMPDIR)/lmatch

test-cli: all
	@B=$(B) PY=$(PY) sh tests/suites/cli.sh
