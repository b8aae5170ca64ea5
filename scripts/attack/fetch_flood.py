#!/usr/bin/env python3
"""Clients that reset their connections cannot flood the identity provider (issue 21, finding 4).

A slow JWKS server (500 ms an answer; Python's http.server, counting every GET) stands in for
the identity provider behind credentialflow_jwt_key_request. After one valid request has
fetched the set, 40 clients each send a token with a random `kid` (which asks for a refetch)
and reset their connection 80 ms later, long before the provider answers. The bound must hold
whatever the clients do: at most one fetch per worker per refresh interval (2 s here, and the
attack lasts less), so at most 2, and a valid token still gets 200.

Before the fix, the fetch was a subrequest of the client's request: a reset ended it, and an
ended fetch gave the refresh interval back, so the 40 clients made about 40 fetches.

Standard library only. Usage: fetch_flood.py NGINX MODULE FIXTURES WORKDIR
"""
import base64
import http.server
import json
import os
import re
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import loopback

NGINX, MODULE, FIXTURES, WORK = (os.path.abspath(a) for a in sys.argv[1:5])
CLIENTS = 40
WORKERS = 2
# The refresh interval: short, so that the attack starts after the warm-up's has passed and
# each worker may make exactly one fetch during it.
REFRESH = 2


PORT, IDP_PORT = loopback.free_port(), loopback.free_port()
with open(f"{FIXTURES}/keys/rsa/jwks.json", "rb") as f:
    JWKS = f.read()
with open(f"{FIXTURES}/env.sh") as f:
    VALID = re.search(r"TEST_NGINX_TOKEN_RS256='?([A-Za-z0-9_.-]+)", f.read()).group(1)

fetches = []
lock = threading.Lock()


class SlowProvider(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with lock:
            fetches.append(time.monotonic())
        time.sleep(0.5)
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(JWKS)))
            self.end_headers()
            self.wfile.write(JWKS)
        except OSError:
            pass  # nginx gave up on this fetch (the old behaviour): counted all the same

    def log_message(self, *args):
        pass


CONF = f"""
load_module {MODULE};
{loopback.user_line()}
worker_processes {WORKERS};
error_log {WORK}/logs/error.log info;
pid {WORK}/logs/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {WORK}/tmp;
    proxy_temp_path {WORK}/tmp;
    server {{
        listen 127.0.0.1:{PORT} reuseport;
        location = /_jwks {{
            internal;
            proxy_pass http://127.0.0.1:{IDP_PORT}/jwks.json;
        }}
        location /api/ {{
            credentialflow on;
            credentialflow_jwt_key_request /_jwks;
            credentialflow_jwt_key_cache 10m refresh={REFRESH}s;
            root {WORK}/html;
        }}
    }}
}}
"""


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def random_kid_token():
    header = b64(json.dumps({"alg": "RS256", "kid": uuid.uuid4().hex}).encode())
    payload = b64(json.dumps({"sub": "x", "exp": int(time.time()) + 3600}).encode())
    return f"{header}.{payload}.{b64(b'not a signature')}"


def status(token):
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/api/x", headers={"Authorization": f"Bearer {token}"}
    )
    try:
        return urllib.request.urlopen(request, timeout=10).status
    except urllib.error.HTTPError as e:
        return e.code


def quitter():
    request = (
        f"GET /api/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {random_kid_token()}\r\n\r\n"
    ).encode()
    s = socket.create_connection(("127.0.0.1", PORT))
    s.sendall(request)
    time.sleep(0.08)
    # A reset, not a close: SO_LINGER with a zero timeout.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def main():
    loopback.prepare(WORK, CONF)
    provider = http.server.ThreadingHTTPServer(("127.0.0.1", IDP_PORT), SlowProvider)
    threading.Thread(target=provider.serve_forever, daemon=True).start()
    loopback.start(NGINX, WORK, PORT)
    try:
        # Every worker fetches the set once (reuseport spreads connections over them).
        warm = [status(VALID) for _ in range(8)]
        time.sleep(REFRESH + 0.5)
        before = len(fetches)
        threads = [threading.Thread(target=quitter) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
            time.sleep(0.02)
        for t in threads:
            t.join()
        time.sleep(1.5)
        during = len(fetches) - before
        after = status(VALID)
    finally:
        loopback.stop(NGINX, WORK)
        provider.shutdown()
    with open(f"{WORK}/logs/error.log") as f:
        log = f.read()
    dead = re.findall(r"\[(?:alert|crit|emerg)\].*", log)
    print(
        f"fetch flood: warm-up {warm}, {CLIENTS} clients with random kids resetting after "
        f"80 ms made {during} JWKS fetches (at most {WORKERS}: one per worker per refresh "
        f"interval); a valid token afterwards: {after}"
    )
    ok = during <= WORKERS and after == 200 and all(s == 200 for s in warm) and not dead
    for line in dead[:5]:
        print("  ", line)
    print("ok   the provider is not flooded" if ok else "FAIL the clients flooded the provider")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
