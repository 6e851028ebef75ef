# Python binding (bindings/python): `make install` also installs the package.
#
#   make install PREFIX=/usr/local [DESTDIR=...] [PYTHONDIR=...]
#
# The package goes to $(DESTDIR)$(PYTHONDIR)/libmatch.  PYTHONDIR defaults to
# the directory Debian's python3 searches for that prefix (see
# _backend/lm_install.py: /usr/lib/python3/dist-packages for PREFIX=/usr,
# /usr/local/lib/python3.X/dist-packages for /usr/local, else
# $(PREFIX)/lib/python3/dist-packages).  The generated module
# libmatch/_installed.py records $(LIBDIR), so the installed package loads
# the library installed with it.
PYTHONDIR ?=
INSTALL_EXTRA += install-python

.PHONY: install-python uninstall-python
install-python:
	$(PY) bindings/python/_backend/lm_install.py install --prefix '$(PREFIX)' --libdir '$(LIBDIR)' \
	    --destdir '$(DESTDIR)' --pythondir '$(PYTHONDIR)'

uninstall-python:
	$(PY) bindings/python/_backend/lm_install.py uninstall --prefix '$(PREFIX)' \
	    --destdir '$(DESTDIR)' --pythondir '$(PYTHONDIR)'
