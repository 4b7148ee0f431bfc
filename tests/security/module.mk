# Security test programs: tests/security/progs/*.c -> $(O)/tests/security/progs/NAME
# (plain programs linking libseccomp).
SECURITY_PROG_SRCS := $(wildcard tests/security/progs/*.c)
SECURITY_PROGS     := $(patsubst tests/security/progs/%.c,$(O)/tests/security/progs/%,$(SECURITY_PROG_SRCS))

$(O)/tests/security/progs/%: tests/security/progs/%.c tests/security/agent.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< -lseccomp

TEST_PROGS += $(SECURITY_PROGS)
all: $(SECURITY_PROGS)
