# berth-shim: the per-container supervisor.  Linked on its own line, not with
# berth_bin: only libc (static) and the two runtime helpers it uses, so an idle
# shim costs a few hundred KiB of RSS (no shared libraries mapped, no jansson
# code touched).
SHIM_SRCS := $(wildcard shim/*.c)
SHIM_OBJS := $(patsubst %.c,$(O)/%.o,$(SHIM_SRCS)) $(O)/runtime/error.o $(O)/runtime/util.o

$(O)/bin/berth-shim: $(SHIM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -static -o $@ $(SHIM_OBJS) -l:libjansson.a

BINS += $(O)/bin/berth-shim
