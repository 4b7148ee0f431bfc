#!/usr/bin/env python3
# console-recv.py SOCKET OUT [INPUT]: accept one connection on the unix socket
# SOCKET, receive the pty master (SCM_RIGHTS), optionally write INPUT to it,
# then copy everything the container prints into OUT until the pty closes.
import array, os, socket, sys

path, out = sys.argv[1], sys.argv[2]
data_in = sys.argv[3].encode() if len(sys.argv) > 3 else b""
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
srv.settimeout(20)
open(out + ".ready", "w").close()
conn, _ = srv.accept()
fds = array.array("i")
msg, anc, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(fds.itemsize))
for level, kind, data in anc:
    if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
        fds.frombytes(data[: fds.itemsize])
if not fds:
    sys.exit("no fd received")
master = fds[0]
with open(out + ".name", "w") as f:
    f.write(msg.decode())
if data_in:
    os.write(master, data_in)
buf = b""
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
with open(out, "wb") as f:
    f.write(buf)
