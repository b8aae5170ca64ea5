#!/usr/bin/env python3
"""Races revocations against the file watcher's reloads (issue 21, finding 3), then two attacks
a review found on the fix (both failed before their fixes):
  - a worker killed and respawned loads the file as the master last read it: it must not undo
    revocations made since (2,378 of 5,000 probes got 200 before);
  - a second revocation of a token whose first one is still being written must not be
    answered 200 before anything is durable (it was, at once, and was lost when the first
    write failed).

nginx with two workers serves the token endpoint, the revocation endpoint (RFC 7009) over a
revocation file, and a location that accepts the server's own tokens. Two clients (svc and
admin) each obtain a token, revoke it and note the moment of the 200, again and again, while
two probers present tokens revoked in the last 600 ms. Every revoked token must be refused
from its 200 on (the README: "200 once the revocation is on disk and in force"); each 200 a
prober gets for one is counted, and the run fails on any.

Before the fix a worker's watcher could read the file just before a line was appended, then
replace the zone's entries with that older version, undoing the revocation for up to 0.5 s.

Standard library only. Usage: revocation_race.py NGINX MODULE FIXTURES WORKDIR [SECONDS]
"""
import base64
import fcntl
import http.client
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

import loopback

NGINX, MODULE, FIXTURES, WORK = (os.path.abspath(a) for a in sys.argv[1:5])
SECONDS = float(sys.argv[5]) if len(sys.argv) > 5 else 15.0
CLIENTS = {
    "svc": "svc-secret-0123456789abcdefghij",
    "admin": "admin-secret-0123456789abcdefg",
}
RECENT = 0.6


PORT = loopback.free_port()
CONF = f"""
load_module {MODULE};
{loopback.user_line()}
worker_processes 2;
error_log {WORK}/logs/error.log info;
pid {WORK}/logs/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {WORK}/tmp;
    # Room for every revocation of the run: each client stays within its share (1/64 of it).
    credentialflow_zone 64m;
    server {{
        listen 127.0.0.1:{PORT} reuseport;
        credentialflow_oauth_issuer https://auth.example;
        credentialflow_oauth_signing_key {FIXTURES}/keys/ec256/private.pem kid=as-1;
        credentialflow_oauth_clients {FIXTURES}/oauth/clients.txt;
        credentialflow_revocation_file {WORK}/revoked.txt;
        location = /oauth/token {{ credentialflow_oauth_token; }}
        location = /revoke {{ credentialflow_oauth_revoke; }}
        location /api/ {{
            credentialflow on;
            credentialflow_accept_own_tokens on;
            credentialflow_audience https://api.example;
            root {WORK}/html;
        }}
    }}
}}
"""


def request(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response.read()


def basic(client):
    raw = f"{client}:{CLIENTS[client]}".encode()
    return "Basic " + base64.b64encode(raw).decode()


revoked = []  # (monotonic time of the 200, token)
lock = threading.Lock()
stop = threading.Event()
counts = {"revoked": 0, "probes": 0, "leaks": 0, "errors": 0}
leaks = []
errors = []


def revoker(client):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(client)}
    while not stop.is_set():
        body = urllib.parse.urlencode(
            {"grant_type": "client_credentials", "resource": "https://api.example"}
        )
        status, answer = request(conn, "POST", "/oauth/token", body, form)
        if status != 200:
            with lock:
                counts["errors"] += 1
                errors.append(f"token {status} {answer[:120]!r}")
            continue
        token = token_of(answer)
        status, answer = request(conn, "POST", "/revoke", "token=" + token, form)
        if status != 200:
            with lock:
                counts["errors"] += 1
                errors.append(f"revoke {status} {answer[:120]!r}")
            continue
        with lock:
            revoked.append((time.monotonic(), token))
            counts["revoked"] += 1


def prober():
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    while not stop.is_set():
        now = time.monotonic()
        with lock:
            recent = [entry for entry in revoked[-64:] if now - entry[0] <= RECENT]
        if not recent:
            time.sleep(0.001)
            continue
        at, token = random.choice(recent)
        status, _ = request(conn, "GET", "/api/x", headers={"Authorization": "Bearer " + token})
        with lock:
            counts["probes"] += 1
            if status == 200:
                counts["leaks"] += 1
                leaks.append(round((now - at) * 1000))


def fresh_token(conn, client):
    form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(client)}
    body = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "resource": "https://api.example"}
    )
    status, answer = request(conn, "POST", "/oauth/token", body, form)
    assert status == 200, (status, answer)
    return token_of(answer)


def token_of(answer):
    return answer.split(b'"access_token":"', 1)[1].split(b'"', 1)[0].decode()


def respawn_keeps_revocations():
    """Kills one worker; probes tokens revoked during the race (their lines long since loaded
    from the file) while the master starts another."""
    time.sleep(1.5)
    with lock:
        tokens = [token for _, token in revoked[:20] + revoked[-20:]]
    with open(f"{WORK}/logs/nginx.pid") as f:
        master = int(f.read())
    workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    victim = int(workers.stdout.split()[0])
    os.kill(victim, signal.SIGKILL)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    probes = leaked = 0
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        for token in tokens:
            try:
                status, _ = request(conn, "GET", "/api/x", headers={"Authorization": "Bearer " + token})
            except (ConnectionError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
                continue
            probes += 1
            leaked += status == 200
    print(f"respawn: {probes} probes of revoked tokens after killing worker {victim}, {leaked} got 200")
    return leaked == 0 and probes > 0


def second_revocation_waits_for_the_first():
    """Holds the file's flock so that svc's revocation cannot be written, then revokes the
    same token as admin: no 200 may come before the line is durable."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    token = fresh_token(conn, "svc")
    answers = {}

    def revoke(client):
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        form = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": basic(client)}
        answers[client] = request(c, "POST", "/revoke", "token=" + token, form)[0]

    with open(f"{WORK}/revoked.txt", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        first = threading.Thread(target=revoke, args=("svc",))
        first.start()
        time.sleep(0.3)
        second = threading.Thread(target=revoke, args=("admin",))
        second.start()
        time.sleep(1.0)
        early = dict(answers)
        fcntl.flock(held, fcntl.LOCK_UN)
    first.join()
    second.join()
    status, _ = request(conn, "GET", "/api/x", headers={"Authorization": "Bearer " + token})
    print(f"in flight: answered while the file was locked: {early}; after: {answers}; the token then: {status}")
    return not early and answers == {"svc": 200, "admin": 200} and status == 401


def main():
    loopback.prepare(WORK, CONF)
    with open(f"{WORK}/revoked.txt", "w") as f:
        f.write("# revocation_race.py\n")
    loopback.start(NGINX, WORK, PORT)
    try:
        threads = [threading.Thread(target=revoker, args=(c,)) for c in CLIENTS]
        threads += [threading.Thread(target=prober) for _ in range(2)]
        for t in threads:
            t.start()
        time.sleep(SECONDS)
        stop.set()
        for t in threads:
            t.join()
        respawn_ok = respawn_keeps_revocations()
        in_flight_ok = second_revocation_waits_for_the_first()
    finally:
        loopback.stop(NGINX, WORK)
    print(
        f"revocation race: {counts['revoked']} tokens revoked in {SECONDS:.0f} s, "
        f"{counts['probes']} probes within {RECENT * 1000:.0f} ms of a revocation, "
        f"{counts['leaks']} answered 200 (ms after the revocation's 200: {sorted(leaks)[:20]}), "
        f"{counts['errors']} endpoint errors"
    )
    for error in errors[:5]:
        print("  endpoint error:", error)
    ok = counts["leaks"] == 0 and counts["errors"] == 0 and counts["revoked"] > 100
    ok = ok and respawn_ok and in_flight_ok
    print("ok   revoked tokens stay refused" if ok else "FAIL revoked tokens were accepted")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
