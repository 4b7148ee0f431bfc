# berthctl: the user CLI.
BERTHCTL_SRCS := $(wildcard orchestrator/*.c)
$(eval $(call berth_bin,berthctl,$(BERTHCTL_SRCS)))
