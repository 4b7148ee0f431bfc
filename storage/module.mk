# libberth-storage: image store, registry client, layer unpack, overlay root filesystems.
STORAGE_SRCS := $(wildcard storage/*.c)
$(eval $(call berth_lib,libberth-storage,$(STORAGE_SRCS)))
STORAGE_PKGS := libarchive libcurl libcrypto
ALL_CFLAGS += $(shell pkg-config --cflags $(STORAGE_PKGS) 2>/dev/null)
EXTRA_LDLIBS += $(shell pkg-config --libs $(STORAGE_PKGS) 2>/dev/null)
