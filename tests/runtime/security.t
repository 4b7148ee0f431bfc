#!/bin/bash
# Mount destinations stay inside the rootfs, no host fd or cwd reaches the
# container, berth's own binary is never exposed or executed inside it.
. "$(dirname "$0")/../lib/tap.sh"
need_root
. "$(dirname "$0")/rt.sh"
plan 20

# 1. a symlink in the rootfs pointing at a host path (absolute and with ..)
hostdir=$RT_TMP/hostdir
mkdir -p "$hostdir" "$RT_TMP/src"
echo secret-src > "$RT_TMP/src/file"
bun=$(rt_bundle symlinks sh -c 'cat /evil/file; cat /evil2/file; ls /tmp/x-inside'
)
ln -s "$hostdir" "$bun/rootfs/evil"
ln -s "../../../../../../../..$hostdir" "$bun/rootfs/evil2"
rt_jq "$bun" ".root.readonly = false | .mounts += [
	{\"destination\": \"/evil\", \"type\": \"bind\", \"source\": \"$RT_TMP/src\", \"options\": [\"bind\"]},
	{\"destination\": \"/evil2\", \"type\": \"bind\", \"source\": \"$RT_TMP/src\", \"options\": [\"bind\"]},
	{\"destination\": \"/evil/sub/deeper\", \"type\": \"tmpfs\", \"source\": \"tmpfs\"}]"
out=$(b run -b "$bun" bt-rt-sec-link 2>&1)
is "$(ls -A "$hostdir")" "" "host directory behind the symlink untouched (nothing created or mounted there)"
is "$(grep -c secret-src <<<"$out")" 2 "the mounts landed inside the container, where its symlinks resolve in its root"
ok "the target was created inside the rootfs" test -d "$bun/rootfs$hostdir"
ok "nothing left" rt_nothing_left bt-rt-sec-link

# 2. host fds and cwd
bun=$(rt_bundle fds sh -c 'ls /proc/self/fd | tr "\n" " "; echo; readlink /proc/self/cwd; echo "listen=$LISTEN_FDS/$LISTEN_PID"; cat <&3 2>/dev/null || echo no-fd3')
exec 7<"$RT_TMP/src/file" 9<"$hostdir"
out=$(cd "$hostdir" && b run -b "$bun" bt-rt-sec-fd 2>&1)
exec 7<&- 9<&-
has_line "$out" "0 1 2 3 " "only stdio (and ls's own directory fd) inside: no host fd leaks"
has_line "$out" "/" "cwd is the container's, not the caller's"
has_line "$out" "no-fd3" "fd 3 is not passed without --preserve-fds"
exec 3<"$RT_TMP/src/file"
out=$(b run --preserve-fds 1 -b "$bun" bt-rt-sec-fd2 2>&1)
has_line "$out" "secret-src" "--preserve-fds 1 passes fd 3"
exec 3<"$RT_TMP/src/file" # a fresh offset: the first container read the file
out=$(LISTEN_FDS=1 b run -b "$bun" bt-rt-sec-fd3 2>&1)
has_line "$out" "listen=1/1" "LISTEN_FDS passes through with LISTEN_PID=1"
has_line "$out" "secret-src" "the socket-activation fd reaches the container"
exec 3<&-

# 3. berth's own binary
bun=$(rt_bundle selfexe /proc/self/exe)
rt_err b run -b "$bun" bt-rt-sec-exe
like "$RT_ERR" "^berth: create \`bt-rt-sec-exe\`: .*berth" "running /proc/self/exe (berth itself) is refused"
isnt "$RT_RC" 0 "refused: non-zero exit"
ok "refused: nothing left" rt_nothing_left bt-rt-sec-exe
printf '#!/proc/self/exe\n' > "$bun/rootfs/bin/evil-script"
chmod 755 "$bun/rootfs/bin/evil-script"
rt_jq "$bun" '.process.args = ["/bin/evil-script"]'
rt_err b run -b "$bun" bt-rt-sec-exe
like "$RT_ERR" "^berth: create \`bt-rt-sec-exe\`: .*berth" "a script whose interpreter is /proc/self/exe is refused"
ok "refused: nothing left" rt_nothing_left bt-rt-sec-exe

# 4. while the init waits for start it is still berth: nothing inside may open its exe
bun=$(rt_bundle waiting sleep 1000)
ok "create (init waits, still berth)" b create -b "$bun" bt-rt-sec-wait
pid=$(b state bt-rt-sec-wait | jq -r .pid)
is "$(awk '/^Name/ {print $2}' /proc/$pid/status)" berth "the waiting init is the berth binary"
out=$(b exec bt-rt-sec-wait sh -c 'cat /proc/1/exe > /dev/null 2>&1 && echo opened || echo refused; readlink /proc/1/exe || echo no-link' 2>&1)
has_line "$out" "refused" "a container process cannot open the waiting init's exe (non-dumpable)"
has_line "$out" "no-link" "nor read its exe link"
ok "delete" b delete -f bt-rt-sec-wait
