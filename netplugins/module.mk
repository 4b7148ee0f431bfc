# netplugins: the CNI client library and berth's CNI plugins.
NET_LIB_SRCS := netplugins/client.c netplugins/result.c netplugins/ipnet.c netplugins/plugin.c \
		netplugins/nl.c netplugins/ipam_alloc.c netplugins/nft.c
NET_PKGS := libnl-3.0 libnl-route-3.0 libnftables

ALL_CFLAGS += $(shell pkg-config --cflags $(NET_PKGS) 2>/dev/null)
# --as-needed: binaries that use none of netlink/nftables do not load them.
EXTRA_LDLIBS += -Wl,--as-needed $(shell pkg-config --libs $(NET_PKGS) 2>/dev/null) -Wl,--no-as-needed

$(eval $(call berth_lib,libberth-cni,$(NET_LIB_SRCS)))
$(eval $(call berth_bin,berth-bridge,netplugins/bridge.c))
$(eval $(call berth_bin,berth-ipam,netplugins/ipam.c))
$(eval $(call berth_bin,berth-vxlan,netplugins/vxlan.c))

# cnitool: the test driver of libberth-cni (tests/net/*.t).
$(O)/tests/net/progs/cnitool: tests/net/progs/cnitool.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -Wl,--start-group $(LIBS) -Wl,--end-group $(ALL_LDLIBS)
TEST_PROGS += $(O)/tests/net/progs/cnitool
all: $(O)/tests/net/progs/cnitool
