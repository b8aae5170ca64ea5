#!/usr/bin/env python3
"""Fails if an error log contains a secret, a whole token, or a token's signature segment.

Usage: log_secrets_check.py LOG [--jsonl CORPUS.jsonl] [--env ENV.sh] [--secret-file F]...
Tokens come from the corpus's header values and/or TEST_NGINX_TOKEN_* lines of an env file;
API keys from its TEST_NGINX_APIKEY_* lines (the whole key and its secret part).

nginx itself (not the module) logs, at info, the start of a request header line it refuses
before any module runs ("client sent invalid/too long/duplicate header line: ..."); such lines are counted and
reported separately, since no module can prevent them (run error_log at notice to avoid them).
"""
import argparse
import json
import re
import sys

JWT = re.compile(r"[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--jsonl")
    ap.add_argument("--env")
    ap.add_argument("--secret-file", action="append", default=[])
    a = ap.parse_args()
    # ngx_http_request.c: "client sent invalid/too long/duplicate header line: ..."
    core_refusals = (b"client sent invalid header line", b"client sent too long header line",
                     b"client sent duplicate header line")
    with open(a.log, "rb") as f:
        lines = f.read().split(b"\n")
    core = [line for line in lines if any(marker in line for marker in core_refusals)]
    log = b"\n".join(line for line in lines if not any(m in line for m in core_refusals))
    needles = {}
    if a.jsonl:
        with open(a.jsonl) as f:
            for line in f:
                case = json.loads(line)
                value = case.get("header_value") or ""
                for token in JWT.findall(value):
                    needles[f"token of {case['id']}"] = token.encode()
                    needles[f"signature of {case['id']}"] = token.rsplit(".", 1)[1].encode()
    if a.env:
        with open(a.env) as f:
            for line in f:
                m = re.match(r"(?:export )?(TEST_NGINX_TOKEN_\w+)=['\"]?([^'\"\n]+)", line)
                if m and m.group(2).count(".") == 2:
                    needles[m.group(1)] = m.group(2).encode()
                    needles[f"signature of {m.group(1)}"] = m.group(2).rsplit(".", 1)[1].encode()
                # API keys (cfk_<id>_<secret><checksum>): the whole key and its secret part.
                k = re.match(r"(?:export )?(TEST_NGINX_APIKEY_\w+)='(cfk_[A-Za-z0-9]+_)([A-Za-z0-9_-]{49})'",
                             line)
                if k:
                    needles[k.group(1)] = (k.group(2) + k.group(3)).encode()
                    needles[f"secret of {k.group(1)}"] = k.group(3)[:43].encode()
    for path in a.secret_file:
        with open(path, "rb") as f:
            secret = f.read().strip()
        if len(secret) >= 8:
            needles[f"secret {path}"] = secret
    leaks = [name for name, needle in needles.items() if len(needle) >= 16 and needle in log]
    for name in leaks:
        print(f"log_secrets_check: FAIL: {name} appears in {a.log}")
    core_leaks = [n for n, needle in needles.items() if any(needle in line for line in core)]
    if core_leaks:
        print(f"log_secrets_check: note: {len(core_leaks)} tokens appear only in nginx core's own "
              f"'client sent ... header line' info messages ({len(core)} lines)")
    print(f"log_secrets_check: {len(needles)} secrets/tokens checked against {len(log)} bytes of log, "
          f"{len(leaks)} found")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
