# Checkpoint/restore test programs: tests/cr/progs/*.c -> $(O)/tests/cr/progs/NAME.
# crtool links libberth (it drives the engine); the others are plain programs.
CR_PROG_SRCS := $(wildcard tests/cr/progs/*.c)
CR_PROGS     := $(patsubst tests/cr/progs/%.c,$(O)/tests/cr/progs/%,$(CR_PROG_SRCS))

$(O)/tests/cr/progs/crtool: tests/cr/progs/crtool.c $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -Wl,--start-group $(LIBS) -Wl,--end-group $(ALL_LDLIBS)

$(O)/tests/cr/progs/%: tests/cr/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lpthread

# Static builds run in the busybox container of tests/cr/container.t.
$(O)/tests/cr/progs/holder-static: tests/cr/progs/holder.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $<
CR_PROGS += $(O)/tests/cr/progs/holder-static
# File locks held in a container (tests/cr/locks-container.t).
$(O)/tests/cr/progs/fdx-static: tests/cr/progs/fdx.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $<
CR_PROGS += $(O)/tests/cr/progs/fdx-static
# The counter and the TCP server as a container's init in tests/cr/restore*.t.
$(O)/tests/cr/progs/counter-static: tests/cr/progs/counter.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $<
CR_PROGS += $(O)/tests/cr/progs/counter-static
$(O)/tests/cr/progs/tcpsrv-static: tests/cr/progs/tcpsrv.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $<
CR_PROGS += $(O)/tests/cr/progs/tcpsrv-static
# The echo server as a container's init in tests/cr/tcp-container.t.
$(O)/tests/cr/progs/tcpecho-static: tests/cr/progs/tcpecho.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -static -o $@ $<
CR_PROGS += $(O)/tests/cr/progs/tcpecho-static

TEST_PROGS += $(CR_PROGS)
all: $(CR_PROGS)
