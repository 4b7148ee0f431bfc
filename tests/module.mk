# Tests.  tests/<component>/unit-*.c are C unit tests (one binary each, built
# plain and with ASan+UBSan); tests/<component>/*.t are executable shell tests.
# Both print TAP and run under prove.
UNIT_SRCS       := $(sort $(wildcard tests/*/unit-*.c))
UNIT_TESTS      := $(UNIT_SRCS:%.c=$(O)/%.t)
ASAN_UNIT_TESTS := $(UNIT_SRCS:%.c=$(O)/asan/%.t)
SH_TESTS        := $(sort $(wildcard tests/*/*.t))
TEST_PROGS      ?=

$(O)/tests/%.t: tests/%.c tests/harness.h $(LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< -Wl,--start-group $(LIBS) -Wl,--end-group $(ALL_LDLIBS)

$(O)/asan/tests/%.t: tests/%.c tests/harness.h $(ASAN_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(SAN_FLAGS) -Itests -o $@ $< -Wl,--start-group $(ASAN_LIBS) -Wl,--end-group $(ALL_LDLIBS)
