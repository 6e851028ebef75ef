# libmatch/service/service.mk -- lmatch-serve, the HTTP/JSON service and its
# web console (`lmatch serve` runs it).  Included by the top Makefile before
# `all:`; uses B, CC, CFLAGS, SHLIB, PREFIX, BINDIR, LIBDIR, DESTDIR, PY.
#
# Needs libmicrohttpd and cJSON (Debian libmicrohttpd-dev, libcjson-dev:
# scripts/install-deps.sh service).  The console (www/) and the OpenAPI
# description are embedded in the binary as C arrays generated at build time
# by a small host program (embed.c), so the installed program is one file.

SVC_DIR    := libmatch/service
SVC_BIN    := $(B)/lmatch-serve
SVC_SRC    := $(filter-out $(SVC_DIR)/embed.c,$(sort $(wildcard $(SVC_DIR)/*.c)))
SVC_HDR    := $(wildcard $(SVC_DIR)/*.h)
SVC_ASSETS := $(sort $(wildcard $(SVC_DIR)/www/*)) $(SVC_DIR)/openapi.json
SVC_PKGS   := libmicrohttpd libcjson
SVC_CFLAGS  = -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Ilibmatch/include -I$(SVC_DIR) -I$(B)/service \
              $(shell pkg-config --cflags $(SVC_PKGS) 2>/dev/null)
SVC_LIBS    = $(shell pkg-config --libs $(SVC_PKGS) 2>/dev/null || echo -lmicrohttpd -lcjson) -lpthread

ALL_EXTRA     += $(SVC_BIN)
INSTALL_EXTRA += install-service
.PHONY: install-service uninstall-service test-service bench-service

$(B)/service/embed: $(SVC_DIR)/embed.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -O2 -o $@ $<

# name=file pairs: the name is the path the file is served at.
$(B)/service/assets.c: $(B)/service/embed $(SVC_ASSETS)
	$(B)/service/embed $@ $(foreach f,$(wildcard $(SVC_DIR)/www/*),/$(notdir $(f))=$(f)) \
	    /v1/openapi.json=$(SVC_DIR)/openapi.json

$(SVC_BIN): $(SVC_SRC) $(SVC_HDR) $(B)/service/assets.c libmatch/include/libmatch.h $(SHLIB)
	$(CC) $(SVC_CFLAGS) -o $@ $(SVC_SRC) $(B)/service/assets.c -L$(B) -lmatch $(SVC_LIBS) \
	    -Wl,-rpath,'$$ORIGIN'

# The same under AddressSanitizer and UBSan, for tests/suites/service.sh (a
# leak or a memory error at exit makes the service exit non-zero).
$(B)/service/asan/lmatch-serve: $(SVC_SRC) $(SVC_HDR) $(B)/service/assets.c libmatch/include/libmatch.h $(SHLIB)
	@mkdir -p $(dir $@)
	$(CC) $(SVC_CFLAGS) -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
	    -o $@ $(SVC_SRC) $(B)/service/assets.c -L$(B) -lmatch $(SVC_LIBS) -Wl,-rpath,'$$ORIGIN/../..'
	ln -sf ../../libmatch.so $(dir $@)libmatch.so

# The installed program finds libmatch through an rpath to $(LIBDIR).
install-service: $(SHLIB) $(B)/service/assets.c
	install -d $(DESTDIR)$(BINDIR)
	$(CC) $(SVC_CFLAGS) -o $(DESTDIR)$(BINDIR)/lmatch-serve $(SVC_SRC) $(B)/service/assets.c \
	    -L$(B) -lmatch $(SVC_LIBS) -Wl,-rpath,$(LIBDIR)

uninstall: uninstall-service
uninstall-service:
	rm -f $(DESTDIR)$(BINDIR)/lmatch-serve

test-service: all
	@B=$(B) PY=$(PY) sh tests/suites/service.sh

# By hand: make bench-service [BENCH_ARGS="--records 100000"]
bench-service: all
	@$(MAKE) --no-print-directory $(B)/bench/lm_speed >/dev/null
	@$(PY) bench/service.py $(BENCH_ARGS)
