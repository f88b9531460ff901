#!/usr/bin/python3
"""oauth2-server.py - a private OAuth 2 authorization server for the tests.

HTTPS on 127.0.0.1 with a certificate from tests/lib/mkcerts.sh:

  POST /device       RFC 8628 device authorization
  POST /token        grants: device_code, authorization_code (PKCE S256
                     required), refresh_token (rotated: the presented token
                     dies; presenting a dead one again kills the whole grant)
  GET  /authorize    authorization code + PKCE; the "user" approves at once
                     (as USER from /test/browser-user) with a 302 to the
                     loopback redirect_uri
  POST /introspect   RFC 7662, HTTP Basic with the resource server's login
                     (Dovecot's oauth2 passdb)

Test controls (POST, form parameters), answered with JSON:
  /test/approve user_code= [user=]   approve a device login
  /test/deny user_code=              refuse it (access_denied)
  /test/slow-down n=                 answer the next n device polls slow_down
  /test/lifetime seconds=            lifetime of access tokens issued from now
  /test/token-length n=              length of access tokens issued from now
                                     (Microsoft's are 1500-2500; 0: short)
  /test/expire                       every access token issued so far dies now
  /test/revoke [user=]               revoke every grant (of user)
  /test/revoke-access                every access token issued so far dies,
                                     the grants and refresh tokens live on
  /test/fail mode=500|drop|hang|off  the token endpoint fails like that (hang:
                                     reads the request, never answers)
  /test/browser-user user=           who approves /authorize
  GET /test/events                   every token request and introspection, in order

Usage: oauth2-server.py --cert PEM --key KEY --port-file F --client-id ID
       --rs-user U --rs-secret S --scope SCOPE --user USER [--client-secret S]
"""
import argparse, base64, hashlib, http.server, json, secrets, socket, ssl
import sys, threading, time, urllib.parse

LOCK = threading.Lock()
ST = {
    "grants": {},       # id -> {"user", "scope", "alive", "gen", "refresh"}
    "refresh": {},      # token -> {"grant", "gen", "alive"}
    "access": {},       # token -> {"grant", "exp", "alive"}
    "devices": {},      # device_code -> {...}
    "codes": {},        # code -> {...}
    "events": [],
    "lifetime": 3600,
    "token_length": 0,
    "fail": "off",
    "slow_down": 0,
    "browser_user": None,
}
ARGS = None


def now():
    return time.time()


def event(kind, **kw):
    kw["type"] = kind
    kw["time"] = round(now(), 3)
    ST["events"].append(kw)


def new_grant(user, scope):
    gid = "g%d" % (len(ST["grants"]) + 1)
    ST["grants"][gid] = {"user": user, "scope": scope, "alive": True, "gen": 0}
    return gid


def issue(gid):
    """A new access token and the next refresh-token generation of gid."""
    g = ST["grants"][gid]
    g["gen"] += 1
    at = "at-" + secrets.token_urlsafe(24)
    n = ST["token_length"]
    if n > len(at) + 1:
        at += "." + secrets.token_urlsafe(n)[:n - len(at) - 1]
    rt = "rt-" + secrets.token_urlsafe(24)
    life = ST["lifetime"]
    ST["access"][at] = {"grant": gid, "exp": now() + life, "alive": True}
    ST["refresh"][rt] = {"grant": gid, "gen": g["gen"], "alive": True}
    return {"access_token": at, "token_type": "Bearer", "expires_in": life,
            "refresh_token": rt, "scope": g["scope"]}


def kill_grant(gid):
    ST["grants"][gid]["alive"] = False
    for table in (ST["refresh"], ST["access"]):
        for t in table.values():
            if t["grant"] == gid:
                t["alive"] = False


def oauth_error(code, desc, status=400):
    return status, {"error": code, "error_description": desc}


def check_client(f):
    if f.get("client_id") != ARGS.client_id:
        return oauth_error("invalid_client", "unknown client", 401)
    if ARGS.client_secret and f.get("client_secret") != ARGS.client_secret:
        return oauth_error("invalid_client", "bad client secret", 401)
    return None


def grant_device(f):
    d = ST["devices"].get(f.get("device_code", ""))
    if d is None:
        return oauth_error("invalid_grant", "unknown device code")
    event("device_poll", user_code=d["user_code"])
    if now() > d["exp"]:
        return oauth_error("expired_token", "the device code expired")
    if d["denied"]:
        return oauth_error("access_denied", "the user said no")
    if ST["slow_down"] > 0:
        ST["slow_down"] -= 1
        d["interval"] += 5
        return oauth_error("slow_down", "poll less often")
    if d["last_poll"] and now() - d["last_poll"] < d["interval"] - 0.2:
        d["too_fast"] = d.get("too_fast", 0) + 1
        event("poll_too_fast", user_code=d["user_code"])
    d["last_poll"] = now()
    if d["user"] is None:
        return oauth_error("authorization_pending", "not approved yet")
    if d["used"]:
        return oauth_error("invalid_grant", "device code already used")
    d["used"] = True
    gid = new_grant(d["user"], d["scope"])
    event("token", grant_type="device_code", grant=gid)
    return 200, issue(gid)


def grant_code(f):
    c = ST["codes"].get(f.get("code", ""))
    if c is None or c["used"] or now() > c["exp"]:
        return oauth_error("invalid_grant", "unknown, used or expired code")
    c["used"] = True
    if f.get("redirect_uri") != c["redirect_uri"]:
        return oauth_error("invalid_grant", "redirect_uri differs")
    verifier = f.get("code_verifier", "")
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    if not 43 <= len(verifier) <= 128 or digest.rstrip(b"=").decode() != c["challenge"]:
        event("pkce_failed")
        return oauth_error("invalid_grant", "PKCE verification failed")
    gid = new_grant(c["user"], c["scope"])
    event("token", grant_type="authorization_code", grant=gid, pkce="S256 verified")
    return 200, issue(gid)


def grant_refresh(f):
    r = ST["refresh"].get(f.get("refresh_token", ""))
    if r is None:
        event("refresh", gen=None, result="unknown")
        return oauth_error("invalid_grant", "unknown refresh token")
    g = ST["grants"][r["grant"]]
    if not r["alive"]:
        # reuse of a rotated token: the grant is compromised, as real servers do
        if g["alive"] and r["gen"] < g["gen"]:
            kill_grant(r["grant"])
        event("refresh", gen=r["gen"], grant=r["grant"], result="dead")
        return oauth_error("invalid_grant", "refresh token revoked or rotated")
    r["alive"] = False
    event("refresh", gen=r["gen"], grant=r["grant"], result="ok")
    return 200, issue(r["grant"])


def token_endpoint(f):
    bad = check_client(f)
    if bad:
        return bad
    gt = f.get("grant_type")
    if gt == "urn:ietf:params:oauth:grant-type:device_code":
        return grant_device(f)
    if gt == "authorization_code":
        return grant_code(f)
    if gt == "refresh_token":
        return grant_refresh(f)
    return oauth_error("unsupported_grant_type", "grant type %s" % gt)


def device_endpoint(f, base):
    bad = check_client(f)
    if bad:
        return bad
    dc = "dc-" + secrets.token_urlsafe(16)
    uc = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
    ST["devices"][dc] = {"user_code": uc, "user": None, "denied": False,
                         "exp": now() + 120, "interval": 1, "last_poll": 0,
                         "used": False, "scope": f.get("scope", "")}
    event("device", user_code=uc)
    return 200, {"device_code": dc, "user_code": uc,
                 "verification_uri": base + "/device-login",
                 "verification_uri_complete": base + "/device-login?code=" + uc,
                 "expires_in": 120, "interval": 1}


def introspect(f, headers):
    auth = headers.get("Authorization", "")
    want = "Basic " + base64.b64encode(
        ("%s:%s" % (ARGS.rs_user, ARGS.rs_secret)).encode()).decode()
    if auth != want:
        return 401, {"error": "invalid_client"}
    t = ST["access"].get(f.get("token", ""))
    ok = t is not None and t["alive"] and now() < t["exp"]
    event("introspect", active=ok)
    if not ok:
        return 200, {"active": False}
    g = ST["grants"][t["grant"]]
    return 200, {"active": True, "username": g["user"], "scope": g["scope"],
                 "exp": int(t["exp"]), "client_id": ARGS.client_id,
                 "token_type": "Bearer"}


def authorize(q):
    """The user approves at once; errors go back to the redirect as RFC 6749 says."""
    ru = q.get("redirect_uri", "")
    p = urllib.parse.urlsplit(ru)
    if q.get("client_id") != ARGS.client_id or p.scheme != "http" \
            or p.hostname != "127.0.0.1" or not p.port:
        return 400, {"error": "invalid_request", "error_description": "bad client or redirect_uri"}
    state = q.get("state")
    if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" \
            or not q.get("code_challenge"):
        params = {"error": "invalid_request", "error_description": "PKCE S256 is required"}
    else:
        code = "ac-" + secrets.token_urlsafe(16)
        ST["codes"][code] = {"user": ST["browser_user"] or ARGS.user, "used": False,
                             "redirect_uri": ru, "challenge": q["code_challenge"],
                             "scope": q.get("scope", ""), "exp": now() + 60}
        event("authorize", pkce="S256")
        params = {"code": code}
    if state is not None:
        params["state"] = state
    sep = "&" if p.query else "?"
    return 302, ru + sep + urllib.parse.urlencode(params)


def control(path, f):
    if path == "/test/approve" or path == "/test/deny":
        for d in ST["devices"].values():
            if d["user_code"] == f.get("user_code"):
                if path == "/test/deny":
                    d["denied"] = True
                else:
                    d["user"] = f.get("user", ARGS.user)
                return 200, {"ok": True}
        return 404, {"ok": False}
    if path == "/test/slow-down":
        ST["slow_down"] = int(f.get("n", "1"))
    elif path == "/test/lifetime":
        ST["lifetime"] = int(f["seconds"])
    elif path == "/test/token-length":
        ST["token_length"] = int(f["n"])
    elif path == "/test/expire":
        for t in ST["access"].values():
            t["exp"] = min(t["exp"], now() - 1)
    elif path == "/test/revoke-access":
        for t in ST["access"].values():
            t["alive"] = False
    elif path == "/test/revoke":
        for gid, g in ST["grants"].items():
            if f.get("user") in (None, g["user"]):
                kill_grant(gid)
    elif path == "/test/fail":
        ST["fail"] = f.get("mode", "off")
    elif path == "/test/browser-user":
        ST["browser_user"] = f.get("user")
    else:
        return 404, {"error": "no such control"}
    return 200, {"ok": True}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        sys.stderr.write("oauth2-server: " + (fmt % a) + "\n")

    def send(self, status, body, location=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode() if n else ""
        return dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        with LOCK:
            if u.path == "/test/events":
                return self.send(200, ST["events"])
            if u.path == "/authorize":
                status, r = authorize(dict(urllib.parse.parse_qsl(u.query)))
                if status == 302:
                    return self.send(302, None, location=r)
                return self.send(status, r)
        self.send(404, {"error": "not found"})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        f = self.form()
        base = "https://127.0.0.1:%d" % self.server.server_address[1]
        if path == "/token" and ST["fail"] == "hang":
            with LOCK:
                event("token_request", grant_type=f.get("grant_type"), hang=True)
            time.sleep(3600)    # a daemon thread: dies with the server
            return
        with LOCK:
            if path == "/token":
                event("token_request", grant_type=f.get("grant_type"),
                      has_secret="client_secret" in f)
                if ST["fail"] == "500":
                    return self.send(500, {"error": "server_error"})
                if ST["fail"] == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                status, body = token_endpoint(f)
            elif path == "/device":
                status, body = device_endpoint(f, base)
            elif path == "/introspect":
                status, body = introspect(f, self.headers)
            elif path.startswith("/test/"):
                status, body = control(path, f)
            else:
                status, body = 404, {"error": "not found"}
        self.send(status, body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True,
                                    do_handshake_on_connect=False), addr

    def finish_request(self, request, client_address):
        try:
            request.settimeout(10)
            request.do_handshake()
        except (OSError, ssl.SSLError):
            return
        super().finish_request(request, client_address)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    for a in ("--cert", "--key", "--port-file", "--client-id", "--rs-user",
              "--rs-secret", "--scope", "--user"):
        ap.add_argument(a, required=True)
    ap.add_argument("--client-secret")
    ARGS = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.ctx.load_cert_chain(ARGS.cert, ARGS.key)
    with open(ARGS.port_file + ".tmp", "w") as fh:
        fh.write("%d\n" % srv.server_address[1])
    import os
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
