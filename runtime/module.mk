# libberth (runtime/*.c and the checkpoint/restore engine in runtime/cr/) and the berth CLI.
RUNTIME_LIB_SRCS := $(filter-out runtime/main.c,$(wildcard runtime/*.c)) $(wildcard runtime/cr/*.c)
RUNTIME_CLI_SRCS := runtime/main.c $(wildcard runtime/cli/*.c)

$(eval $(call berth_lib,libberth,$(RUNTIME_LIB_SRCS)))
$(eval $(call berth_bin,berth,$(RUNTIME_CLI_SRCS)))

# berth is linked statically: every `run` and `create` execs it, and the
# dynamic loader's work for jansson, libcap and libseccomp (mapping,
# relocations, copy-on-write of their data pages after the clone) was about a
# third of its CPU time.  Position independent, so its addresses stay random.
# It links only the libraries the runtime uses (the other components' ones,
# nftables and libcrypto, are not needed and have no static archive here).
$(O)/bin/berth: LDFLAGS += -static-pie
$(O)/bin/berth: BIN_LDLIBS = $(shell pkg-config --static --libs $(PKGS) 2>/dev/null)
