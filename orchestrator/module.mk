# berthctl: the user CLI.
BERTHCTL_SRCS := $(wildcard orchestrator/*.c)
$(eval $(call berth_bin,berthctl,$(BERTHCTL_SRCS)))

# jansson, libcap and libseccomp from their static archives: the dynamic
# loader's mapping and relocation of three more libraries was a tenth of the
# start of `berthctl run`.  libc, and what storage/lazylib.c loads on first
# use, stay shared.
$(O)/bin/berthctl: BIN_LDLIBS = $(EXTRA_LDLIBS) -Wl,-Bstatic $(PKG_LIBS) -Wl,-Bdynamic
