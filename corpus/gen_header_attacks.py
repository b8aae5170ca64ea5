#!/usr/bin/env python3
"""Writes CredentialFlow's own hostile cases (header and variable handling) as JSON lines in
the shared corpus's format, for its runner (run_jwt_corpus.py), against
corpus/nginx-header-attacks.conf.

    gen_header_attacks.py KEYS_DIR OUT.jsonl

Tokens are HS256, signed at generation time with KEYS_DIR/hs256.secret (the shared corpus's
test secret), issuer and audience as the config expects; each run uses fresh subjects, so
rate-limit buckets of an earlier run never interfere. Standard library only.
"""

import base64
import hashlib
import hmac
import json
import secrets
import sys
import time

ISS = "https://issuer.credentialflow.test"
AUD = "api://credentialflow-gateway"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token(secret: bytes, claims: dict, header: dict | None = None) -> str:
    head = {"alg": "HS256", "typ": "JWT", **(header or {})}
    signing_input = b64u(json.dumps(head, separators=(",", ":")).encode()) + "." + b64u(
        json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64u(sig)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    keys_dir, out = sys.argv[1], sys.argv[2]
    with open(keys_dir + "/hs256.secret", "rb") as f:
        secret = f.read()
    now = int(time.time())
    run = secrets.token_hex(4)

    def claims(sub: str, **extra) -> dict:
        return {"iss": ISS, "aud": AUD, "sub": sub, "iat": now, "exp": now + 3600, **extra}

    victim = "victim-" + run
    valid = token(secret, claims(victim))
    expired = token(secret, claims(victim, exp=now - 3600, iat=now - 7200))
    other_aud = token(secret, {**claims(victim), "aud": "api://credentialflow-other"})
    revoked = token(secret, claims("cf-revoked-user-a"))
    crlf_name = token(secret, claims("alice-" + run, name="Alice\r\nX-Injected: yes"))
    lf_sub = token(secret, claims("mallory\nX-Injected: yes"))
    crlf_kid = token(secret, claims("bob-" + run), {"kid": "k1\r\nX-Injected: yes"})
    bearer = lambda t: ("Authorization", "Bearer " + t)  # noqa: E731

    cases = []

    def case(cid, cls, description, path, status, headers, **more):
        name, value = headers[0] if headers else (None, None)
        cases.append({"id": "cf-" + cid, "class": cls, "level": "must", "description": description,
                      "setup": "header_attacks", "path": path, "header_name": name,
                      "header_value": value, "extra_headers": [list(h) for h in headers[1:]],
                      "expect_status": status, **more})

    forged = "forged-admin-" + run
    case("forged_identity-001", "forged_identity",
         "satisfy any + allow, no token, a forwarded header sent by the client", "/any/", 200,
         [("X-CredentialFlow-Sub", forged)], body_contains=["sub=[]", "var-sub=[]"],
         body_not_contains=[forged])
    case("forged_identity-002", "forged_identity",
         "satisfy any + allow, expired token, forwarded header sent as an _ twin", "/any/", 200,
         [bearer(expired), ("X_CredentialFlow_Sub", forged)],
         body_contains=["sub=[]", "var-sub=[]"], body_not_contains=[forged, victim])
    case("forged_identity-003", "forged_identity",
         "satisfy any + allow, the victim's token for another audience", "/any/", 200,
         [bearer(other_aud)], body_contains=["sub=[]", "var-sub=[]"], body_not_contains=[victim])
    case("forged_identity-004", "forged_identity",
         "satisfy any + allow, a revoked token: its sub reaches neither header nor variable",
         "/any/", 200, [bearer(revoked)], body_not_contains=["cf-revoked-user-a"])
    case("forged_identity-005", "forged_identity",
         "valid token, and the client's own copy of the forwarded header in another case",
         "/vars/", 200, [bearer(valid), ("x-credentialflow-SUB", forged)],
         body_contains=["sub=[%s]" % victim, "var-sub=[%s]" % victim], body_not_contains=[forged])
    case("header_injection-001", "header_injection",
         "a claim with CRLF read into proxy_set_header through $credentialflow_claim_name",
         "/vars/", 200, [bearer(crlf_name)],
         body_contains=["injected=[]", "var-name=[]", "name=[]"], body_not_contains=["Alice"])
    case("header_injection-002", "header_injection",
         "a forwarded sub with LF: withheld from the header and the variable", "/vars/", 200,
         [bearer(lf_sub)], body_contains=["injected=[]", "sub=[]", "var-sub=[]"],
         body_not_contains=["mallory"])
    case("header_injection-003", "header_injection",
         "a kid with CRLF read into proxy_set_header through $credentialflow_header_kid",
         "/vars/", 200, [bearer(crlf_kid)], body_contains=["injected=[]", "var-kid=[]"])
    case("credential_twins-001", "credential_twins",
         "the custom credential header and its _ twin: ambiguous", "/custom/", 401,
         [("X-CredentialFlow-Token", valid), ("X_CredentialFlow_Token", expired)])
    case("credential_twins-002", "credential_twins",
         "the custom credential header twice in different case: ambiguous", "/custom/", 401,
         [("X-CredentialFlow-Token", valid), ("x-credentialflow-token", valid)])
    stale = [{"path": "/limit/", "setup": "header_attacks", "header_name": "Authorization",
              "header_value": "Bearer " + t, "expect_status": 401}
             for t in (expired, other_aud, expired)]
    case("rate_limit_lockout-001", "rate_limit_lockout",
         "replaying the victim's expired and other-audience tokens does not use up the victim's "
         "limit_req bucket (1r/m)", "/limit/", 200, [bearer(valid)], prime=stale)

    with open(out, "w") as f:
        for c in cases:
            f.write(json.dumps(c) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
