# Java binding (bindings/java): cn.libmatch over the C ABI through JNA.
# Built with the JDK's own javac and jar against Debian's JNA; no Maven or
# Gradle, nothing downloaded.  Included by the top Makefile.
#
#   make $(B)/java/libmatch.jar   the jar (part of `make all` when a JDK and JNA are installed)
#   make test-java                 the binding's tests (prints "# java: passed=N failed=M")
#   make java-doc                  API documentation in $(B)/java/doc
#   make install-java              $(PREFIX)/share/java/libmatch.jar (part of `make install` likewise)

JAVAC     ?= javac
JAR       ?= jar
JAVA      ?= java
JNA_JAR   ?= /usr/share/java/jna.jar
JAVA_DIR  := bindings/java
JAVA_SRC  := $(shell find $(JAVA_DIR)/src/main/java -name '*.java' 2>/dev/null)
JAVA_TEST_SRC := $(shell find $(JAVA_DIR)/src/test/java -name '*.java' 2>/dev/null)
JAVA_JAR  := $(B)/java/libmatch.jar
JAVA_FLAGS := --release 17 -encoding UTF-8 -Xlint:all,-serial -Werror
JAVADIR   ?= $(PREFIX)/share/java

# `make all` and `make install` take the jar only where it can be built, so
# that the C library still builds on a machine without a JDK; `make
# test-java` (and tests/suites/java.sh) fail there instead.
ifneq ($(and $(shell command -v $(JAVAC) 2>/dev/null),$(wildcard $(JNA_JAR))),)
ALL_EXTRA     += $(JAVA_JAR)
INSTALL_EXTRA += install-java
endif

.PHONY: java java-doc test-java install-java uninstall-java

java: $(JAVA_JAR)

$(JAVA_JAR): $(JAVA_SRC) $(JAVA_DIR)/java.mk
	@test -f $(JNA_JAR) || { echo "java: $(JNA_JAR) missing: sh scripts/install-deps.sh java"; exit 1; }
	rm -rf $(B)/java/classes
	@mkdir -p $(B)/java/classes
	$(JAVAC) $(JAVA_FLAGS) -cp $(JNA_JAR) -d $(B)/java/classes $(JAVA_SRC)
	printf 'Automatic-Module-Name: cn.libmatch\nImplementation-Title: libmatch\nImplementation-Version: $(VERSION)\nClass-Path: $(JNA_JAR)\nMain-Class: cn.libmatch.Libmatch\n' \
	    > $(B)/java/MANIFEST.MF
	$(JAR) --create --file $@ --manifest $(B)/java/MANIFEST.MF -C $(B)/java/classes .

# API documentation; doclint errors (broken links, bad HTML) fail it.
java-doc: $(B)/java/doc/index.html

$(B)/java/doc/index.html: $(JAVA_SRC)
	rm -rf $(B)/java/doc
	javadoc -quiet -Xdoclint:all,-missing -Werror -encoding UTF-8 -cp $(JNA_JAR) -d $(B)/java/doc \
	    -sourcepath $(JAVA_DIR)/src/main/java -windowtitle 'libmatch $(VERSION) Java API' cn.libmatch

$(B)/java/test-classes.stamp: $(JAVA_JAR) $(JAVA_TEST_SRC)
	rm -rf $(B)/java/test-classes
	@mkdir -p $(B)/java/test-classes
	$(JAVAC) $(JAVA_FLAGS) -cp $(JNA_JAR):$(JAVA_JAR) -d $(B)/java/test-classes $(JAVA_TEST_SRC)
	@touch $@

# The tests run the CLI to compare results, and the example through the
# java launcher's source-file mode.
test-java: $(SHLIB) $(CLI) $(JAVA_JAR) $(B)/java/test-classes.stamp
	$(JAVA) -Xms64m -Xmx64m -XX:+AlwaysPreTouch -cp $(JNA_JAR):$(JAVA_JAR):$(B)/java/test-classes \
	    -Dlibmatch.library=$(abspath $(SHLIB)) -Dlibmatch.cli=$(abspath $(CLI)) \
	    -Dlibmatch.data=$(abspath examples/data) -Dlibmatch.jar=$(abspath $(JAVA_JAR)) \
	    -Dlibmatch.jna=$(JNA_JAR) -Dlibmatch.example=$(abspath examples/java/MatchReport.java) \
	    cn.libmatch.TestRunner

install-java: $(JAVA_JAR)
	install -d $(DESTDIR)$(JAVADIR)
	install -m 644 $(JAVA_JAR) $(DESTDIR)$(JAVADIR)/libmatch-$(VERSION).jar
	ln -sf libmatch-$(VERSION).jar $(DESTDIR)$(JAVADIR)/libmatch.jar

uninstall-java:
	rm -f $(DESTDIR)$(JAVADIR)/libmatch-$(VERSION).jar $(DESTDIR)$(JAVADIR)/libmatch.jar
