#!/bin/bash
# linux.seccomp in real busybox containers: the filter is in place
# (/proc/self/status), each action has its effect on the syscall, argument
# conditions select calls, it works with and without noNewPrivileges, and a
# bad profile fails `run` with one line naming the field and leaves nothing.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
security_setup seccomp
plan 17

status_lines='grep -E "^(Seccomp|Seccomp_filters|NoNewPrivs):" /proc/self/status | tr -d "\t" | tr "\n" " "'

# 1. ERRNO (EPERM by default) on mkdir, with noNewPrivileges.
run_with '.process.noNewPrivileges = true | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO"}]}' \
	"$status_lines; mkdir /made 2>&1; test ! -e /made"
is "$rc" 0 "container with a filter runs, and mkdir created nothing"
like "$out" 'NoNewPrivs:1 Seccomp:2 Seccomp_filters:1 ' "filter installed (Seccomp: 2, one filter, no_new_privs)"
like "$out" "mkdir: can't create directory '/made': Operation not permitted" "mkdir fails with EPERM"
run_with '.process.noNewPrivileges = true' 'mkdir /made && test -d /made && echo made'
is "$out" made "without the filter the same mkdir works"

# 2. errnoRet, and the filter without noNewPrivileges (loaded before the caps are dropped).
run_with '.process.noNewPrivileges = false | .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 28}]}' \
	"$status_lines; grep CapEff /proc/self/status; mkdir /made 2>&1"
like "$out" 'NoNewPrivs:0 Seccomp:2 Seccomp_filters:1 ' "filter installed without no_new_privs"
like "$out" 'CapEff:[[:space:]]+0000000020000420' "and the capabilities dropped after it"
like "$out" "mkdir: can't create directory '/made': No space left on device" "errnoRet 28 is ENOSPC"

# 3. KILL_PROCESS: the calling process dies of SIGSYS (128+31), the shell goes on.
run_with '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	syscalls: [{names: ["chroot"], action: "SCMP_ACT_KILL_PROCESS"}]}' \
	'chroot / true; echo "chroot-status=$?"'
like "$out" 'chroot-status=159' "SCMP_ACT_KILL_PROCESS kills with SIGSYS"

# 4. TRAP also ends in SIGSYS for a program without a handler.
run_with '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	syscalls: [{names: ["chroot"], action: "SCMP_ACT_TRAP"}]}' \
	'chroot / true; echo "chroot-status=$?"'
like "$out" 'chroot-status=159' "SCMP_ACT_TRAP delivers SIGSYS"

# 5. Argument conditions: personality(PER_LINUX32 = 8) refused, personality(PER_LINUX = 0) allowed.
run_with '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
	syscalls: [{names: ["personality"], action: "SCMP_ACT_ERRNO",
	args: [{index: 0, value: 8, op: "SCMP_CMP_EQ"}]}]}' \
	'linux32 true; echo "linux32=$?"; linux64 true; echo "linux64=$?"'
like "$out" 'linux32=1' "personality(8) refused by the argument condition"
like "$out" 'linux64=0' "personality(0) allowed"

# 6. Unknown syscall names are ignored; flags reach the kernel.
run_with '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	flags: ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
	syscalls: [{names: ["berth_no_such_call", "mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}' \
	"$status_lines; mkdir /made 2>&1"
like "$out" 'Seccomp:2 .*Operation not permitted' "unknown syscall names ignored, the rest applies"

# 7. Bad profiles: one line naming the field, non-zero exit, no state left.
run_with '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
	syscalls: [{names: ["mkdir"], action: "SCMP_ACT_EXPLODE"}]}' 'true'
bad1=$id
isnt "$rc" 0 "unknown action fails run"
like "$out" '^berth: .*linux\.seccomp\.syscalls\[0\]\.action: unknown action "SCMP_ACT_EXPLODE"$' \
	"the error names the field and the action"
is "$(printf '%s\n' "$out" | wc -l)" 1 "one line"
run_with '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_PDP11"]}' 'true'
bad2=$id
like "$out" 'linux\.seccomp\.architectures\[0\]: unknown architecture "SCMP_ARCH_PDP11"' \
	"unknown architecture named"
is "$("$BERTH" --root "$root" list -q | grep -cxE "$bad1|$bad2")" 0 "no state left by the failures"
