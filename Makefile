# berth — top-level build.  Each component keeps its rules in <dir>/module.mk;
# this file holds the shared flags and the targets users call.

CC      ?= cc
AR      ?= ar
O       ?= build
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man

PKGS    := jansson libcap libseccomp
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 \
           -Wmissing-prototypes -Wstrict-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -I. -Iruntime -MMD -MP \
           $(PKG_CFLAGS)
LDFLAGS ?=
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

# Filled in by the module fragments.
BINS       :=
LIBS       :=
ASAN_LIBS  :=
EXTRA_LDLIBS :=
CLEAN      :=

# $(call berth_lib,NAME,SRCS): the archive $(O)/NAME.a and its ASan+UBSan twin.
define berth_lib
$(O)/$(1).a: $$(patsubst %.c,$(O)/%.o,$(2))
	@rm -f $$@
	$$(AR) rcs $$@ $$^
$(O)/asan/$(1).a: $$(patsubst %.c,$(O)/asan/%.o,$(2))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
LIBS += $(O)/$(1).a
ASAN_LIBS += $(O)/asan/$(1).a
endef

# $(call berth_bin,NAME,SRCS): a binary linked against every library.
define berth_bin
$(O)/bin/$(1): $$(patsubst %.c,$(O)/%.o,$(2)) $$(LIBS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$(patsubst %.c,$(O)/%.o,$(2)) -Wl,--start-group $$(LIBS) -Wl,--end-group $$(BIN_LDLIBS)
BINS += $(O)/bin/$(1)
endef
ALL_LDLIBS = $(EXTRA_LDLIBS) $(PKG_LIBS)
BIN_LDLIBS = $(ALL_LDLIBS)

.PHONY: all check unit-check sh-check demo deps install clean lint format
all:

# Make sure the build dependencies are there (idempotent; no-op when they are).
deps:
	@./ci/deps build

include runtime/module.mk
-include shim/module.mk
-include storage/module.mk
-include netplugins/module.mk
-include orchestrator/module.mk
include tests/module.mk
-include tests/cr/module.mk
-include tests/security/module.mk

all: $(BINS) $(LIBS)

# Binaries link every library; the list is complete only after all fragments.
$(BINS): $(LIBS)

$(O)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(O)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -c -o $@ $<

# The whole TAP suite: unit tests (plain and under ASan+UBSan), then the shell
# integration tests.  TESTS=... narrows it to some files.
PROVE ?= prove
PROVE_FLAGS ?= --exec ./tests/lib/run-test --timer --failures --comments
check: all $(UNIT_TESTS) $(ASAN_UNIT_TESTS) $(TEST_PROGS)
	@./ci/deps test
	$(PROVE) $(PROVE_FLAGS) $(if $(TESTS),$(TESTS),$(addprefix ./,$(UNIT_TESTS) $(ASAN_UNIT_TESTS) $(SH_TESTS)) ./tests/leftovers.t)

unit-check: $(UNIT_TESTS) $(ASAN_UNIT_TESTS)
	$(PROVE) $(PROVE_FLAGS) $(addprefix ./,$^)

# The runtime alone on the embedded busybox bundle, then the engine (image,
# shim, network, logs, exec) on the embedded busybox image.
demo: all
	@./tests/lib/demo.sh
	@./tests/lib/demo-engine.sh

install: all
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BINS) $(DESTDIR)$(BINDIR)/

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr --suppress=missingIncludeSystem --library=ci/jansson.cfg -I runtime -I . \
	  runtime shim storage netplugins orchestrator tests

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^kmod/')

clean:
	rm -rf $(O) $(CLEAN)

-include $(shell find $(O) -name '*.d' 2>/dev/null)
