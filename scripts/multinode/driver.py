#!/usr/bin/env python3
"""Two nginx instances (2 workers each) sharing one redis-server on loopback (issue 11).

Revocations are written to Redis the documented way (redis-cli: ZADD to the sorted set,
then PUBLISH on the channel), as the revocation endpoint's write path does, and the test
asserts that:
  1. a revocation already in Redis at start is enforced by both instances;
  2. a jti, a sub and a kid revocation are each enforced by both instances within 1 s;
  3. with redis-server killed, both instances keep serving valid tokens and keep refusing
     the revoked ones;
  4. a revocation written while the instances cannot use Redis (announced to no one) is
     picked up when they reconnect (the whole set is loaded again);
  5. each instance logs the outage once for the whole streak, and its end once;
that replay protection holds across instances (fails closed with 503 while Redis is down);
that a reload hands the subscription to the new worker 0, and no socket is left open; and
that the revocation endpoint (RFC 7009, credentialflow_oauth_revoke) of one instance reaches
the other within a second, answers 503 while Redis is down, and succeeds when retried after
Redis is back.
Standard library only. Usage: driver.py NGINX MODULE CLI WORKDIR
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import base64
import hashlib
import urllib.error
import urllib.parse
import urllib.request

NGINX, MODULE, CLI, WORK = (os.path.abspath(a) for a in sys.argv[1:5])
PASSWORD = "multinode-pw"
ADMIN_SECRET = "admin-secret-0123456789abcdefghij"
CHANNEL = KEY = "mn:revocations"
failures = []
processes = []


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


REDIS_PORT = free_port()
REDIS_DIR = os.path.join(WORK, "redis")


def start_redis(password):
    os.makedirs(REDIS_DIR, exist_ok=True)
    # No config file: everything on the command line. appendfsync always: what was written
    # survives the kill -9 below, as it would with a persistent production setup.
    proc = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--dir", REDIS_DIR,
         "--save", "", "--appendonly", "yes", "--appendfsync", "always",
         "--requirepass", password, "--daemonize", "no", "--logfile", "redis.log"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes.append(proc)
    deadline = time.time() + 10
    while time.time() < deadline:
        if cli_redis(password, "PING", check_rc=False) == "PONG":
            return proc
        time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def cli_redis(password, *args, check_rc=True):
    out = subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "-a", password, "--no-auth-warning",
                          *args], capture_output=True, text=True)
    if check_rc and out.returncode != 0:
        raise SystemExit(f"redis-cli {args[0]} failed: {out.stderr}")
    return out.stdout.strip()


def revoke(line, until="+inf", password=PASSWORD, announce=True):
    """The documented format: the line in the sorted set, scored by its end; then announced."""
    cli_redis(password, "ZADD", KEY, until, line)
    if announce:
        cli_redis(password, "PUBLISH", CHANNEL, line)


def mint(*args):
    out = subprocess.run([CLI, "mint", "--alg", "ES256", "--key", f"{WORK}/keys/private.pem",
                          "--ttl", "1h", *args], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def status(port, token, path="/api/hello.txt"):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        return e.code


def statuses(port, token, n=6):
    """n requests, each on a new connection: reuseport spreads them over both workers."""
    return {status(port, token) for _ in range(n)}


def revoke_at(port, **form):
    """POST to the revocation endpoint as the admin client (which holds `revoke`)."""
    basic = base64.b64encode(f"admin:{ADMIN_SECRET}".encode()).decode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/oauth/revoke", data=urllib.parse.urlencode(form).encode(),
        headers={"Authorization": f"Basic {basic}",
                 "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def all_refuse_within(token, seconds, what):
    start = time.time()
    while True:
        seen = [statuses(port, token, 4) for port in PORTS]
        if all(s == {401} for s in seen):
            check(True, f"{what}: refused by both instances after {time.time() - start:.2f}s")
            return
        if time.time() - start > seconds:
            check(False, f"{what}: not refused by both within {seconds}s (saw {seen})")
            return
        time.sleep(0.05)


def all_answer(token, expected, what):
    seen = [statuses(port, token) for port in PORTS]
    check(all(s == {expected} for s in seen), f"{what}: {expected} on both instances (saw {seen})")


def start_nginx(name, port):
    prefix = os.path.join(WORK, name)
    os.makedirs(f"{prefix}/logs", exist_ok=True)
    os.makedirs(f"{prefix}/html/api", exist_ok=True)
    with open(f"{prefix}/html/api/hello.txt", "w") as f:
        f.write("hello\n")
    with open(f"{prefix}/nginx.conf", "w") as f:
        f.write(f"""
load_module {MODULE};
worker_processes 2;
error_log logs/error.log info;
pid logs/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    credentialflow_redis 127.0.0.1:{REDIS_PORT} password_file={WORK}/redis-password
                         prefix=mn: timeout=500ms;
    server {{
        listen 127.0.0.1:{port} reuseport;
        credentialflow_oauth_issuer http://127.0.0.1:{port};
        credentialflow_oauth_signing_key {WORK}/keys/private.pem;
        credentialflow_oauth_clients {WORK}/clients.txt;
        credentialflow_jwt_key {WORK}/keys/public.pem;
        location = /oauth/revoke {{ credentialflow_oauth_revoke; }}
        location /api/ {{
            credentialflow on;
            credentialflow_jwt_key {WORK}/keys/public.pem;
            root html;
        }}
        location /once/ {{
            credentialflow on;
            credentialflow_jwt_key {WORK}/keys/public.pem;
            credentialflow_replay_protection on;
            alias html/api/;
        }}
    }}
}}
""")
    subprocess.run([NGINX, "-p", prefix, "-c", f"{prefix}/nginx.conf", "-t", "-q"], check=True)
    subprocess.run([NGINX, "-p", prefix, "-c", f"{prefix}/nginx.conf"], check=True)
    return prefix


def stop_nginx(prefix):
    pid_file = f"{prefix}/logs/nginx.pid"
    if os.path.exists(pid_file):
        try:
            pid = int(open(pid_file).read())
            os.kill(pid, signal.SIGQUIT)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
        except (OSError, ValueError):
            pass


def log_count(prefix, text):
    with open(f"{prefix}/logs/error.log", errors="replace") as f:
        return sum(text in line for line in f)


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
subprocess.run([CLI, "keygen", "--alg", "ES256", "--kid", "k1", "--out", f"{WORK}/keys"],
               check=True, stdout=subprocess.DEVNULL)
with open(f"{WORK}/redis-password", "w") as f:
    f.write(PASSWORD + "\n")
with open(f"{WORK}/clients.txt", "w") as f:
    digest = hashlib.sha256(ADMIN_SECRET.encode()).hexdigest()
    f.write(f"admin sha256:{digest} - https://api.example revoke\n")

tokens = {
    "valid": mint("--kid", "k1", "--sub", "alice", "--jti", "ok-1"),
    "preloaded": mint("--kid", "k1", "--sub", "mallory", "--jti", "pre-1"),
    "jti": mint("--kid", "k1", "--sub", "bob", "--jti", "stolen-1"),
    "sub": mint("--kid", "k1", "--sub", "carol", "--jti", "c-1"),
    "kid": mint("--kid", "leaked-key", "--sub", "dan", "--jti", "d-1"),
    "late": mint("--kid", "k1", "--sub", "erin", "--jti", "e-1"),
    "http_jti": mint("--kid", "k1", "--sub", "gina", "--jti", "http-1"),
    "http_sub": mint("--kid", "k1", "--sub", "hank", "--jti", "h-1"),
    "retried": mint("--kid", "k1", "--sub", "ivan", "--jti", "i-1"),
}
exp = int(time.time()) + 3600

prefixes = []
try:
    redis = start_redis(PASSWORD)
    revoke("sub mallory", announce=False)
    PORTS = [free_port(), free_port()]
    prefixes = [start_nginx("node-a", PORTS[0]), start_nginx("node-b", PORTS[1])]
    time.sleep(0.5)

    # 1. loaded at start
    all_answer(tokens["valid"], 200, "a valid token")
    all_answer(tokens["preloaded"], 401, "a subject revoked before the instances started")
    for name in ("jti", "sub", "kid", "late"):
        all_answer(tokens[name], 200, f"the {name} token before its revocation")

    # 2. announced revocations, each kind
    revoke(f"jti stolen-1 until={exp}", until=str(exp))
    all_refuse_within(tokens["jti"], 1.0, "jti revocation")
    revoke("sub carol")
    all_refuse_within(tokens["sub"], 1.0, "sub revocation")
    revoke("kid leaked-key")
    all_refuse_within(tokens["kid"], 1.0, "kid revocation")
    check(cli_redis(PASSWORD, "ZSCORE", KEY, f"jti stolen-1 until={exp}") == str(exp),
          "the jti revocation's score is the token's exp (its TTL)")

    # Through the revocation endpoint of node-a: node-b refuses within a second.
    all_answer(tokens["http_jti"], 200, "the token before its revocation through the endpoint")
    answer = revoke_at(PORTS[0], token=tokens["http_jti"])
    check(answer[0] == 200, f"the endpoint revokes a token (RFC 7009 §2.2: 200; saw {answer})")
    all_refuse_within(tokens["http_jti"], 1.0, "a token revoked through node-a's endpoint")
    answer = revoke_at(PORTS[1], sub="hank")
    check(answer[0] == 200, f"the endpoint revokes a subject (saw {answer})")
    all_refuse_within(tokens["http_sub"], 1.0, "a subject revoked through node-b's endpoint")

    # Replay protection across instances: a token's first use anywhere is its only one.
    once = mint("--kid", "k1", "--sub", "alice", "--jti", "once-1")
    seen = [status(PORTS[0], once, "/once/hello.txt"), status(PORTS[0], once, "/once/hello.txt"),
            status(PORTS[1], once, "/once/hello.txt")]
    check(seen == [200, 401, 401], f"replay: first use 200, then refused on both instances (saw {seen})")
    racers = [mint("--kid", "k1", "--sub", "alice", "--jti", f"race-{i}") for i in range(5)]
    for i, token in enumerate(racers):
        results = []
        threads = [threading.Thread(target=lambda p=p: results.append(status(p, token, "/once/hello.txt")))
                   for p in PORTS for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        check(sorted(results) == [200, 401, 401, 401],
              f"replay race {i}: one of 4 concurrent uses on 2 instances wins (saw {sorted(results)})")

    # A reload: the new worker 0 subscribes; the old one leaves without an open socket.
    subprocess.run([NGINX, "-p", prefixes[0], "-c", f"{prefixes[0]}/nginx.conf", "-s", "reload"],
                   check=True)
    time.sleep(1.0)
    all_answer(tokens["sub"], 401, "after a reload, the sub revocation")
    reload_token = mint("--kid", "k1", "--sub", "frank", "--jti", "f-1")
    revoke("sub frank")
    all_refuse_within(reload_token, 1.0, "after a reload, a new sub revocation")

    # 3. Redis killed: both keep serving and enforcing
    redis.send_signal(signal.SIGKILL)
    redis.wait()
    time.sleep(1.5)
    all_answer(tokens["valid"], 200, "Redis down: a valid token still")
    for name in ("preloaded", "jti", "sub", "kid"):
        all_answer(tokens[name], 401, f"Redis down: the {name} revocation still")
    for prefix in prefixes:
        check(log_count(prefix, "unreachable") == 1,
              f"{os.path.basename(prefix)}: the outage is logged once")
    answer = revoke_at(PORTS[0], token=tokens["retried"])
    check(answer[0] == 503 and "temporarily_unavailable" in answer[1],
          f"Redis down: the endpoint answers 503 temporarily_unavailable (saw {answer})")
    all_answer(tokens["retried"], 200, "Redis down: a revocation answered 503 is not enforced")
    start = time.time()
    seen = [status(port, mint("--kid", "k1", "--sub", "alice", "--jti", f"down-{port}"),
                   "/once/hello.txt") for port in PORTS]
    check(seen == [503, 503] and time.time() - start < 3,
          f"Redis down: replay protection fails closed with 503 within the timeout (saw {seen})")

    # 4. Redis back, but not yet usable by the instances (another password): a revocation
    # written now is announced to no one; once they can log in, the resync brings it.
    start_redis("not-yet")
    check(cli_redis("not-yet", "ZSCORE", KEY, "sub carol") == "inf",
          "Redis restarted with what it had (append-only file)")
    revoke("sub erin", password="not-yet")
    time.sleep(1.5)
    all_answer(tokens["late"], 200, "before the instances reconnect, the late revocation")
    cli_redis("not-yet", "CONFIG", "SET", "requirepass", PASSWORD)
    all_refuse_within(tokens["late"], 4.0, "a revocation written during the outage, after the reconnection")
    all_answer(tokens["valid"], 200, "after the reconnection, a valid token")
    all_answer(tokens["jti"], 401, "after the reconnection, the jti revocation")
    answer = revoke_at(PORTS[0], token=tokens["retried"])
    check(answer[0] == 200, f"after the reconnection, the retried revocation succeeds (saw {answer})")
    all_refuse_within(tokens["retried"], 1.0, "the retried revocation, on both instances")
    back = mint("--kid", "k1", "--sub", "alice", "--jti", "back-1")
    seen = [status(PORTS[1], back, "/once/hello.txt"), status(PORTS[0], back, "/once/hello.txt")]
    check(seen == [200, 401], f"after the reconnection, replay protection again (saw {seen})")

    # 5. one line for the outage, one for its end (wrong password included in the streak)
    for prefix in prefixes:
        name = os.path.basename(prefix)
        check(log_count(prefix, "unreachable") == 1,
              f"{name}: one outage line for the whole streak")
        check(log_count(prefix, "reachable again") == 1, f"{name}: the recovery is logged once")
        check(log_count(prefix, PASSWORD) == 0, f"{name}: the password is never logged")
        check(log_count(prefix, "[alert]") + log_count(prefix, "[emerg]") == 0,
              f"{name}: no alert")

    # A second outage is a second streak: logged again, once.
    for proc in processes:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    time.sleep(1.5)
    for prefix in prefixes:
        check(log_count(prefix, "unreachable") == 2,
              f"{os.path.basename(prefix)}: a second outage is logged once more")
finally:
    for prefix in prefixes:
        stop_nginx(prefix)
    for proc in processes:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for prefix in prefixes:
        check(log_count(prefix, "open socket") == 0,
              f"{os.path.basename(prefix)}: no socket left open at exit")

print(f"multinode: {len(failures)} failed")
if failures:
    for prefix in prefixes:
        print(f"--- {prefix}/logs/error.log (redis lines)")
        with open(f"{prefix}/logs/error.log", errors="replace") as f:
            for line in f:
                if "redis" in line or "alert" in line:
                    print(line.rstrip())
    sys.exit(1)
