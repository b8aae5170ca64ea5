#!/usr/bin/env python3
"""Judges a corpus run: every failed case must be a documented corpus defect that this script
re-verifies from first principles; anything else fails the run.

Usage: corpus_check.py RESULTS.json PUBLIC.jsonl KEYS_DIR
"""
import base64
import hashlib
import hmac
import json
import sys


def b64url_decode_strict(segment: str) -> bytes:
    """Decodes unpadded base64url and insists that re-encoding gives the same text."""
    raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != segment:
        raise ValueError("not canonical")
    return raw


def canonical_and_validly_signed_hs256(case: dict, keys_dir: str) -> str:
    """Confirms the token is canonical base64url and correctly HS256-signed by the corpus
    secret, i.e. a valid token that the case nevertheless expects to be refused."""
    token = case["header_value"].split(" ", 1)[1]
    header_seg, payload_seg, sig_seg = token.split(".")
    header = json.loads(b64url_decode_strict(header_seg))
    json.loads(b64url_decode_strict(payload_seg))
    signature = b64url_decode_strict(sig_seg)
    if header.get("alg") != "HS256":
        raise ValueError("not HS256")
    with open(f"{keys_dir}/hs256.secret", "rb") as f:
        secret = f.read()
    expected = hmac.new(secret, f"{header_seg}.{payload_seg}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        raise ValueError("signature does not verify")
    if any(c in token for c in "+/= \n"):
        raise ValueError("token has non-base64url characters")
    return "every segment is canonical base64url and the HS256 signature verifies: a valid token"


# Cases whose expectation contradicts their own token (checked, not trusted).
KNOWN_DEFECTS = {
    # The generator meant to re-spell the header in the standard alphabet, but this header's
    # encoding has no '-'/'_' to change, so the token it produced is canonical and valid.
    "pub-base64_noncanonical-003": canonical_and_validly_signed_hs256,
}


def main() -> int:
    results_path, corpus_path, keys_dir = sys.argv[1:4]
    with open(results_path) as f:
        data = json.load(f)
    results = data["results"] if isinstance(data, dict) else data
    cases = {}
    with open(corpus_path) as f:
        for line in f:
            if line.strip():
                case = json.loads(line)
                cases[case["id"]] = case
    real_failures = []
    for result in results:
        if result["result"] != "fail":
            continue
        check = KNOWN_DEFECTS.get(result["id"])
        if check is None:
            real_failures.append(result)
            continue
        try:
            why = check(cases[result["id"]], keys_dir)
        except Exception as error:  # the defect no longer holds: count it as a real failure
            real_failures.append(dict(result, detail=f"{result['detail']} (defect check: {error})"))
            continue
        print(f"corpus_check: waived {result['id']} ({result['level']}): {why}")
    for failure in real_failures:
        print(f"corpus_check: FAIL {failure['id']} [{failure['level']}]: {failure['detail']}")
    passed = sum(1 for r in results if r["result"] == "pass")
    print(f"corpus: {passed} passed, {len(real_failures)} failed")
    return 1 if real_failures else 0


if __name__ == "__main__":
    sys.exit(main())
