# Node.js binding (bindings/node): `make test-node` installs the pinned npm
# dependencies (koffi; typescript and @types/node to check index.d.ts) with
# `npm ci`, then runs the node:test suites (TAP) against this build's
# library and C tool.  Nothing to build: the binding is JavaScript over the
# C ABI.  Install it into a project with `npm install PATH/bindings/node`.
NODE ?= node
NPM  ?= npm
NODE_PKG   := bindings/node
NODE_TESTS  = $(sort $(wildcard $(NODE_PKG)/test/*.test.mjs))

.PHONY: test-node node-deps

node-deps:
	cd $(NODE_PKG) && $(NPM) ci --no-audit --no-fund --prefer-offline --loglevel=error

test-node: $(SHLIB) $(CLI) node-deps
	LIBMATCH_LIBRARY=$(abspath $(B))/libmatch.so.$(VERSION_MAJOR) LMATCH_CLI=$(abspath $(CLI)) \
	    $(NODE) --test --test-reporter=tap $(NODE_TESTS)
