#!/usr/bin/env python3
"""A misbehaving registry for the storage tests: a proxy in front of a real
registry whose behaviour is read, per request, from a mode file:

  ok       pass everything through
  401      answer 401 with a Basic challenge, whatever the credentials
  404/500  answer that status for everything below /v2/<name>/
  drop     blobs: send the headers and half of the body, then close
  corrupt  blobs: flip a byte of the body (digest mismatch)
  slow     blobs: trickle the body (4 KiB every 50 ms)
  bearer   require "Authorization: Bearer tok-berth" and serve /token for
           Basic user:secret (a token server like Docker Hub's)

usage: fakereg.py PORT UPSTREAM-PORT MODEFILE [LOGFILE]
(LOGFILE gets one line per request: "METHOD PATH")
"""
import base64
import http.client
import http.server
import socketserver
import sys
import time

PORT, UPSTREAM, MODEFILE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
LOGFILE = sys.argv[4] if len(sys.argv) > 4 else None
TOKEN = "tok-berth"


def mode():
    try:
        with open(MODEFILE) as f:
            return f.read().strip()
    except OSError:
        return "ok"


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        m = mode()
        if LOGFILE:
            with open(LOGFILE, "a") as f:
                f.write("%s %s\n" % (self.command, self.path))
        if self.path.startswith("/token"):
            want = "Basic " + base64.b64encode(b"user:secret").decode()
            if self.headers.get("Authorization") != want:
                return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}')
            return self.reply(200, b'{"token": "%s"}' % TOKEN.encode(),
                              [("Content-Type", "application/json")])
        if m == "401":
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                              [("WWW-Authenticate", 'Basic realm="fake"')])
        if m == "bearer" and self.headers.get("Authorization") != "Bearer " + TOKEN:
            chal = 'Bearer realm="http://127.0.0.1:%d/token",service="fake"' % PORT
            if self.path != "/v2/":
                chal += ',scope="repository:img:pull"'
            return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}',
                              [("WWW-Authenticate", chal)])
        if m in ("404", "500") and self.path != "/v2/":
            return self.reply(int(m), b'{"errors":[{"code":"FAKE"}]}')
        conn = http.client.HTTPConnection("127.0.0.1", UPSTREAM)
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() in ("accept", "range")}
        conn.request(self.command, self.path, headers=hdrs)
        up = conn.getresponse()
        body = up.read() if self.command == "GET" else b""
        blob = "/blobs/" in self.path and up.status in (200, 206)
        self.send_response(up.status)
        for k, v in up.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding", "date"):
                self.send_header(k, v)
        length = int(up.getheader("Content-Length", len(body)))
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command != "GET":
            return
        if blob and m == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if blob and m == "corrupt" and body:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        if blob and m == "slow":
            for i in range(0, len(body), 4096):
                self.wfile.write(body[i:i + 4096])
                self.wfile.flush()
                time.sleep(0.05)
            return
        self.wfile.write(body)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


Server(("127.0.0.1", PORT), Handler).serve_forever()
