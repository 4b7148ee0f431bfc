# libberth (runtime/*.c and the checkpoint/restore engine in runtime/cr/) and the berth CLI.
RUNTIME_LIB_SRCS := $(filter-out runtime/main.c,$(wildcard runtime/*.c)) $(wildcard runtime/cr/*.c)
RUNTIME_CLI_SRCS := runtime/main.c $(wildcard runtime/cli/*.c)

$(eval $(call berth_lib,libberth,$(RUNTIME_LIB_SRCS)))
$(eval $(call berth_bin,berth,$(RUNTIME_CLI_SRCS)))
