# berth-shim: the per-container supervisor.  Linked on its own line, not with
# berth_bin: only libc (static) and the two runtime helpers it uses, so an idle
# shim costs a few hundred KiB of RSS (no shared libraries mapped, no jansson
# code touched).  `--runtime builtin` links libberth's create/start/exec/delete
# verbs in as well: only the shim's short-lived forked children run them.
SHIM_SRCS := $(wildcard shim/*.c)
SHIM_OBJS := $(patsubst %.c,$(O)/%.o,$(SHIM_SRCS)) \
	$(patsubst %,$(O)/runtime/cli/%.o,create start exec delete restore common)
SHIM_LIBS := $(O)/libberth.a

$(O)/bin/berth-shim: $(SHIM_OBJS) $(SHIM_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -static -o $@ $(SHIM_OBJS) -Wl,--start-group $(SHIM_LIBS) -Wl,--end-group \
		-l:libseccomp.a -l:libcap.a -l:libjansson.a

BINS += $(O)/bin/berth-shim
