# libberth-storage: image store, registry client, layer unpack, overlay root filesystems.
# libcurl, libarchive and libcrypto are loaded on first use (storage/lazylib.c),
# not linked: only their headers are needed at build time.
STORAGE_SRCS := $(wildcard storage/*.c)
$(eval $(call berth_lib,libberth-storage,$(STORAGE_SRCS)))
ALL_CFLAGS += $(shell pkg-config --cflags libarchive libcurl libcrypto 2>/dev/null)
