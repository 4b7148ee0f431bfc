#!/bin/bash
# Runs last: the suite must leave nothing behind.  Tests name what they create
# with the `bt-` prefix (container IDs, netns, links, cgroups) and keep files
# under /tmp/berth-test.*; none of it may survive the suite.
. "$(dirname "$0")/lib/tap.sh"
plan 5
m=$(grep -E 'berth-test|/bt-' /proc/self/mountinfo || true)
is "$m" "" "no mount left under a test directory"
c=$(find /sys/fs/cgroup -mindepth 1 -maxdepth 5 -type d -name 'bt-*' 2>/dev/null | head -20)
is "$c" "" "no test cgroup left"
n=$(ip netns list 2>/dev/null | grep -E '^bt-' || true)
is "$n" "" "no test network namespace left"
l=$(ip -o link show 2>/dev/null | grep -E '^[0-9]+: bt-' || true)
is "$l" "" "no test network link left"
p=$(ps -eo pid=,args= | grep -E 'berth-test\.|/bt-' | grep -v -E 'grep|leftovers' || true)
is "$p" "" "no process of a test left"
