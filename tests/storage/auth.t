#!/bin/bash
# Registry authentication and TLS: htpasswd Basic auth on Debian's
# docker-registry, a Bearer token server (the proxy in fakereg.py, as the
# Debian registry has no token server), HTTPS with a self-signed certificate.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/lib.sh"
need_root
need_cmds docker-registry skopeo htpasswd openssl jq python3
plan 14

store_scratch
busybox_tree "$t/bb"
make_layout "$t/bbl" bb amd64 gzip "$t/bb" >/dev/null

# --- Basic (htpasswd) ---
htpasswd -Bbn user secret > "$t/htpasswd" 2>/dev/null
registry_start "$t/reg" "$t/htpasswd"
reg=127.0.0.1:$REG_PORT
push "$t/bbl" bb "$reg/img:1" --dest-creds user:secret
out=$(bctl image pull -q "$reg/img:1" 2>&1); rc=$?
is "$rc" 125 "Basic: no credentials: engine error"
like "$out" "^berthctl: pull \`$reg/img:1\`: registry $reg: 401 Unauthorized: authentication required \(Basic\); give --creds$" \
	"Basic: no credentials: one clear error line"
out=$(bctl image pull -q --creds user:wrong "$reg/img:1" 2>&1)
like "$out" "401 Unauthorized \(credentials rejected\)" "Basic: wrong password: rejected, said so"
ok "Basic: right credentials: pulled" quiet bctl image pull --creds user:secret "$reg/img:1"
ok "Basic: image usable" quiet bctl image unpack "$reg/img:1" "$t/b1"
kill "$REG_PID"; wait "$REG_PID" 2>/dev/null

# --- Bearer tokens ---
registry_start "$t/reg2"
push "$t/bbl" bb "127.0.0.1:$REG_PORT/img:1"
echo bearer > "$t/mode"
fakereg_start "$REG_PORT" "$t/mode" "$t/access.log"
fake=127.0.0.1:$FAKE_PORT
out=$(bctl image pull -q "$fake/img:1" 2>&1)
like "$out" "token server \`http://$fake/token\` answered 401 \(credentials rejected\)" \
	"Bearer: no credentials: the token server's refusal is reported"
ok "Bearer: credentials -> token -> pulled" quiet bctl image pull --creds user:secret "$fake/img:1"
like "$(grep '^GET /token' "$t/access.log" | tail -1)" "service=fake&scope=repository%3Aimg%3Apull" \
	"Bearer: the token was asked for the repository's pull scope"

# --- HTTPS with a self-signed certificate ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$t/key.pem" -out "$t/cert.pem" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
registry_start "$t/reg3" "" "$t/cert.pem" "$t/key.pem"
sreg=127.0.0.1:$REG_PORT
push "$t/bbl" bb "$sreg/img:1"
out=$(bctl image pull -q "$sreg/img:1" 2>&1); rc=$?
is "$rc" 125 "HTTPS: unknown CA: refused"
like "$out" "registry $sreg: connect: .*(certificate|SSL)" "HTTPS: unknown CA: the error says why"
ok "HTTPS: --cert CA: pulled" quiet bctl image pull --cert "$t/cert.pem" "$sreg/img:1"
bctl image rm "$sreg/img:1" >/dev/null; bctl image prune >/dev/null
ok "HTTPS: --tls-verify=false: pulled" quiet bctl image pull --tls-verify=false "$sreg/img:1"
fails "HTTPS: bad --tls-verify value refused" quiet bctl image pull --tls-verify=maybe "$sreg/img:1"
is "$(bctl image ls --format json | jq -r '.[].name' | sort | tr '\n' ' ')" \
	"$(printf '%s\n' "$fake/img:1" "$reg/img:1" "$sreg/img:1" | sort | tr '\n' ' ')" \
	"every pulled image is listed"
