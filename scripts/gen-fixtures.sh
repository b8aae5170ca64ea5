#!/usr/bin/env bash
# Generates every key and token the t/*.t integration tests use, fresh each run.
#
# Usage: scripts/gen-fixtures.sh OUTDIR          (the suite uses t/fixtures, gitignored)
#        . OUTDIR/env.sh && scripts/run-t.sh
#
# Writes OUTDIR/keys/... (keys in every format the module reads, plus bad ones for the
# config-error tests), OUTDIR/revoked.txt, and OUTDIR/env.sh, which exports
# TEST_NGINX_FIXTURES=<absolute OUTDIR> and one TEST_NGINX_TOKEN_<NAME>=<JWT> per token.
# Valid tokens live 2 hours, so run the suite within an hour or so of generating them.
#
# Uses target/nginx/bin/credentialflow (scripts/build.sh), or $CREDENTIALFLOW_CLI; perl
# (core JSON::PP) to assemble JWK Sets; openssl for a real 1024-bit RSA key when available.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cli=${CREDENTIALFLOW_CLI:-$repo/target/nginx/bin/credentialflow}
if [[ ! -x "$cli" ]]; then
    echo "gen-fixtures.sh: $cli not found; run scripts/build.sh or set CREDENTIALFLOW_CLI" >&2
    exit 2
fi

mkdir -p "$1"
out=$(cd "$1" && pwd)
keys=$out/keys
# Everything is regenerated: no stale key may survive from an earlier run.
rm -rf "$keys" "$out/revoked.txt" "$out/env.sh"
mkdir -p "$keys"
umask 022

# RSA key generation is slow in a debug build, so all keys are made in parallel.
pids=()
keygen() { # ALG DIR KID
    "$cli" keygen --alg "$1" --out "$keys/$2" --kid "$3" >/dev/null &
    pids+=($!)
}

# --- trusted keys -------------------------------------------------------------------------
keygen HS256 hs256 hs256-1          # 32-byte secret: HS256 only
keygen HS512 hs512 hs512-1          # 64-byte secret: HS256, HS384 and HS512
keygen RS256 rsa rsa-1              # RSA-2048: RS256/384/512 and PS256/384/512
keygen ES256 ec256 ec256-1          # P-256
keygen ES384 ec384 ec384-1          # P-384
keygen EdDSA ed25519 ed-1           # Ed25519

# --- keys nginx must not trust ------------------------------------------------------------
keygen RS256 untrusted-rsa rsa-1    # same kid as the trusted key: only the signature differs
keygen ES256 untrusted-ec ec256-1
keygen RS256 enc-rsa enc-1          # published in jwks.json as "use":"enc": never verifies

for pid in "${pids[@]}"; do
    wait "$pid" || { echo "gen-fixtures.sh: credentialflow keygen failed" >&2; exit 1; }
done

# A 16-byte secret: refused by credentialflow_jwt_key ... secret.
head -c 16 /dev/urandom >"$keys/weak.secret"
chmod 600 "$keys"/weak.secret "$keys"/hs256/secret "$keys"/hs512/secret \
    "$keys"/hs256/jwks.json "$keys"/hs512/jwks.json

# The HS256 secret again, readable by everyone: nginx starts but warns.
cp "$keys/hs256/secret" "$keys/exposed.secret"
chmod 644 "$keys/exposed.secret"

# A 1024-bit RSA public key (refused as too weak). openssl makes a real one; without it, an
# SPKI structure around the 1024-bit modulus 2^1024-1 is assembled by hand: the module only
# measures the modulus, so the refusal is the same.
if command -v openssl >/dev/null 2>&1; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null |
        openssl pkey -pubout -out "$keys/rsa1024.pem" 2>/dev/null
else
    {
        echo "-----BEGIN PUBLIC KEY-----"
        {
            # SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { SEQUENCE {
            #   INTEGER n (0x00 + 128 x 0xff), INTEGER 65537 } } }
            printf '\x30\x81\x9f\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00'
            printf '\x03\x81\x8d\x00\x30\x81\x89\x02\x81\x81\x00'
            head -c 128 /dev/zero | tr '\0' '\377'
            printf '\x02\x03\x01\x00\x01'
        } | base64 -w 64
        echo "-----END PUBLIC KEY-----"
    } >"$keys/rsa1024.pem"
fi

# --- key files in other shapes (t/110-key-confusion.t, t/120-config-error-sites.t) ----------
# single.jwk.json: the trusted RSA key as one JWK, not a set; bom.jwks.json: its set behind a
# UTF-8 byte order mark (both load). public.der: the RSA public key as DER; ssh.pub: the
# Ed25519 public key as an OpenSSH line (both refused with a hint to convert them to PEM).
# None of these, nor any PEM or JWKS, is accepted as a "secret". newline.secret: a secret
# that ends with a line break, which loads with a warning.
perl -MJSON::PP -e 'local $/; print JSON::PP->new->canonical->encode(decode_json(<STDIN>)->{keys}[0])' \
    <"$keys/rsa/jwks.json" >"$keys/single.jwk.json"
{ printf '\xef\xbb\xbf'; cat "$keys/rsa/jwks.json"; } >"$keys/bom.jwks.json"
grep -v -- '-----' "$keys/rsa/public.pem" | base64 -d >"$keys/public.der"
grep -v -- '-----' "$keys/ed25519/public.pem" | base64 -d | perl -MMIME::Base64 -e '
    local $/; my $raw = substr(<STDIN>, -32);
    print "ssh-ed25519 ", encode_base64(pack("N/a* N/a*", "ssh-ed25519", $raw), ""), " t\@fixtures\n"' \
    >"$keys/ssh.pub"
{ head -c 48 /dev/urandom | base64 -w 0; echo; } >"$keys/newline.secret"
chmod 600 "$keys/newline.secret"

# --- JWK Sets -------------------------------------------------------------------------------
# jwks.json: every trusted public key with a distinct kid (the RSA key's "alg" pin is dropped
# so that it verifies RS* and PS*). with-enc.jwks.json: the same plus an encryption key, which
# nginx skips with a warning.
# weak-rsa.jwks.json: a 1024-bit modulus. private.jwks.json: an EC key with its "d".
# enc-only.jwks.json: nothing usable for signatures.
KEYS=$keys perl -MJSON::PP -e '
    my $dir = $ENV{KEYS};
    my $json = JSON::PP->new->canonical->pretty;
    sub jwk { my ($name) = @_;
        open my $fh, "<", "$dir/$name/jwks.json" or die "$name: $!";
        local $/; return decode_json(<$fh>)->{keys}[0] }
    sub put { my ($file, @keys) = @_;
        open my $fh, ">", "$dir/$file" or die "$file: $!";
        print $fh $json->encode({ keys => \@keys }) }
    my $rsa = jwk("rsa"); delete $rsa->{alg};
    my $enc = jwk("enc-rsa"); delete $enc->{alg}; $enc->{use} = "enc";
    my @trusted = ($rsa, jwk("ec256"), jwk("ec384"), jwk("ed25519"));
    put("jwks.json", @trusted);
    put("with-enc.jwks.json", @trusted, $enc);
    put("enc-only.jwks.json", $enc);
    my $private = jwk("ec256"); $private->{d} = "AAAA";
    put("private.jwks.json", $private);
    put("weak-rsa.jwks.json", { kty => "RSA", kid => "weak-1", e => "AQAB",
                                n => ("_" x 170) . "8" });
    # For keys fetched from an identity provider (t/180): a weak key beside a good one, a
    # secret in a published set, a set over the 1 MiB limit, and a document that is not JSON.
    put("weak-and-ec.jwks.json", { kty => "RSA", kid => "weak-1", e => "AQAB",
                                   n => ("_" x 170) . "8" }, jwk("ec256"));
    put("secret-and-ec.jwks.json", { kty => "oct", kid => "s-1", k => "A" x 44 }, jwk("ec256"));
    open my $big, ">", "$dir/oversized.jwks.json" or die;
    print $big $json->encode({ keys => [jwk("ec256")] }), " " x (1024 * 1024);
    open my $bad, ">", "$dir/malformed.jwks.json" or die;
    print $bad "{\"keys\": [";
'

cat >"$out/revoked.txt" <<'EOF'
# Revoked at startup: t/080-revocation.t expects these two to be refused.
jti revoked-jti-1
sub revoked-user
EOF

# --- the authorization server (t/200-oauth-*.t) -----------------------------------------------
# oauth/clients.txt: the client registry, with test secrets written here in the clear (real
# secrets come from `credentialflow client add`). svc: two scopes, two audiences, 10m tokens;
# rot: rotating (two digests); off: disabled; "svc:2" has an id and a secret that need
# form-encoding inside Basic (RFC 6749 §2.3.1); admin may revoke any token and introspect
# (t/140, t/145), rs may only introspect. The signing keys are the EC P-256 and Ed25519
# fixtures; oauth/exposed.pem is the P-256 key readable by everyone (warns).
mkdir -p "$out/oauth"
digest() { printf 'sha256:%s' "$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)"; }
cat >"$out/oauth/clients.txt" <<EOF_CLIENTS
# id     digest                              scopes                    audiences                                   ttl
svc      $(digest svc-secret-0123456789abcdefghij)  orders:read,orders:write  https://api.example,https://other.example  10m
rot      $(digest rot-old-secret-0123456789abcdef)  orders:read               https://api.example
rot      $(digest rot-new-secret-0123456789abcdef)  orders:read               https://api.example
off      $(digest off-secret-0123456789abcdefghij)  orders:read               https://api.example  disabled
svc:2    $(digest 'p+s:w%rd&x y')                   -                         https://api.example  1h
admin    $(digest admin-secret-0123456789abcdefg)   -                         https://api.example  revoke introspect
rs       $(digest rs-secret-0123456789abcdefghij)   -                         https://api.example  introspect
EOF_CLIENTS
cp "$keys/ec256/private.pem" "$out/oauth/exposed.pem"
chmod 644 "$out/oauth/exposed.pem"
chmod 600 "$keys/ec256/private.pem" "$keys/ed25519/private.pem" "$keys/rsa/private.pem"
# oauth/rsa1024.pem: a 1024-bit RSA private key, refused as too weak to sign
# (t/202-oauth-config.t). openssl makes a real one; without it, a PKCS#1 structure around the
# modulus 2^1024-1 is assembled by hand (the refusal only measures the modulus).
if command -v openssl >/dev/null 2>&1; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$out/oauth/rsa1024.pem" \
        2>/dev/null
else
    {
        echo "-----BEGIN RSA PRIVATE KEY-----"
        {
            # SEQUENCE { INTEGER 0, INTEGER n (0x00 + 128 x 0xff), INTEGER 65537,
            #   INTEGER 1 (d, p, q, dp, dq, qinv) }
            printf '\x30\x81\x9e\x02\x01\x00\x02\x81\x81\x00'
            head -c 128 /dev/zero | tr '\0' '\377'
            printf '\x02\x03\x01\x00\x01'
            for _ in 1 2 3 4 5 6; do printf '\x02\x01\x01'; done
        } | base64 -w 64
        echo "-----END RSA PRIVATE KEY-----"
    } >"$out/oauth/rsa1024.pem"
fi
chmod 600 "$out/oauth/rsa1024.pem"

# --- tokens ---------------------------------------------------------------------------------
env_file=$out/env.sh.tmp
{
    echo "# Generated by scripts/gen-fixtures.sh on $(date -u +%FT%TZ); do not edit."
    echo "export TEST_NGINX_FIXTURES='$out'"
} >"$env_file"

mint() { # NAME mint-args...
    local name=$1 token
    shift
    token=$("$cli" mint "$@")
    printf "export TEST_NGINX_TOKEN_%s='%s'\n" "$name" "$token" >>"$env_file"
    eval "TOKEN_$name=\$token"
}

rsa=(--key "$keys/rsa/private.pem" --kid rsa-1)
valid=(--ttl 2h --sub alice)

# One valid token per algorithm.
mint HS256 --alg HS256 --key "$keys/hs256/secret" --kid hs256-1 "${valid[@]}"
mint HS384 --alg HS384 --key "$keys/hs512/secret" "${valid[@]}"
mint HS512 --alg HS512 --key "$keys/hs512/secret" "${valid[@]}"
for alg in RS256 RS384 RS512 PS256 PS384 PS512; do
    mint "$alg" --alg "$alg" "${rsa[@]}" "${valid[@]}"
done
mint ES256 --alg ES256 --key "$keys/ec256/private.pem" --kid ec256-1 "${valid[@]}"
mint ES384 --alg ES384 --key "$keys/ec384/private.pem" --kid ec384-1 "${valid[@]}"
mint EDDSA --alg EdDSA --key "$keys/ed25519/private.pem" --kid ed-1 "${valid[@]}"

# Time claims (leeway edges: the tests use leeways of 2h, which accept these, and 30m, which
# does not).
mint EXPIRED --alg RS256 "${rsa[@]}" --sub alice --ttl -1h
mint NOT_YET_VALID --alg RS256 "${rsa[@]}" "${valid[@]}" --nbf-in 1h
mint IAT_FUTURE --alg RS256 "${rsa[@]}" "${valid[@]}" --iat-in 1h

# Issuer and audience.
mint ISS_AUD --alg RS256 "${rsa[@]}" "${valid[@]}" --iss https://issuer.example --aud api.example
mint WRONG_ISS --alg RS256 "${rsa[@]}" "${valid[@]}" --iss https://evil.example --aud api.example
mint WRONG_AUD --alg RS256 "${rsa[@]}" "${valid[@]}" --iss https://issuer.example \
    --aud other.example
mint AUD_ARRAY --alg RS256 "${rsa[@]}" "${valid[@]}" --iss https://issuer.example \
    --aud other.example --aud api.example

# Required claims and claim types.
mint NO_EXP --alg RS256 "${rsa[@]}" --sub alice --no-exp
mint EXP_STRING --alg RS256 "${rsa[@]}" --sub alice --claim 'exp="9999999999"'
mint TENANT --alg RS256 "${rsa[@]}" "${valid[@]}" --claim tenant=acme

# Signatures and headers that must not verify.
mint WRONG_KEY --alg RS256 --key "$keys/untrusted-rsa/private.pem" --kid rsa-1 "${valid[@]}"
mint WRONG_KEY_EC --alg ES256 --key "$keys/untrusted-ec/private.pem" --kid ec256-1 "${valid[@]}"
mint UNKNOWN_KID --alg RS256 --key "$keys/rsa/private.pem" --kid no-such-kid "${valid[@]}"
mint ENC_KEY --alg RS256 --key "$keys/enc-rsa/private.pem" --kid enc-1 "${valid[@]}"
mint ALG_NONE --alg none "${valid[@]}"                 # empty signature: malformed
mint ALG_NONE_SIGNED --alg HS256 --key "$keys/hs256/secret" --header alg=none "${valid[@]}"
mint CRIT --alg RS256 "${rsa[@]}" "${valid[@]}" --header 'crit=["exp"]'
# alg confusion: HS256 keyed with the RSA public key file, byte for byte.
mint ALG_CONFUSION --alg HS256 --key "$keys/rsa/public.pem" --kid rsa-1 "${valid[@]}"
# The header claims RS256, the signature is ES256.
mint ALG_LIE --alg ES256 --key "$keys/ec256/private.pem" --header alg=RS256 --kid rsa-1 \
    "${valid[@]}"
mint ADMIN_UNSIGNED --alg RS256 "${rsa[@]}" --ttl 2h --sub admin
# alice's signature under admin's header and payload.
printf "export TEST_NGINX_TOKEN_TAMPERED='%s.%s'\n" "${TOKEN_ADMIN_UNSIGNED%.*}" \
    "${TOKEN_RS256##*.}" >>"$env_file"

# Scopes.
mint SCOPE_READ --alg RS256 "${rsa[@]}" "${valid[@]}" --scope orders:read
mint SCOPE_BOTH --alg RS256 "${rsa[@]}" "${valid[@]}" --scope "orders:read orders:write"
mint SCOPE_PREFIX --alg RS256 "${rsa[@]}" "${valid[@]}" --scope "orders:readonly orders"

# Forwarded claims.
mint FWD --alg RS256 "${rsa[@]}" "${valid[@]}" --claim email=alice@example.com \
    --claim 'roles=["admin","dev"]' --claim tenant_id=42 --claim 'profile={"level":3}'
mint FWD_CRLF --alg RS256 "${rsa[@]}" "${valid[@]}" \
    --claim 'email="alice@example.com\r\nX-Injected: yes"'
mint FWD_LF --alg RS256 "${rsa[@]}" "${valid[@]}" --claim 'email="alice\nX-Injected: yes"'
mint FWD_NUL --alg RS256 "${rsa[@]}" "${valid[@]}" --claim 'email="alice\u0000"'
mint FWD_SUB_CR --alg RS256 "${rsa[@]}" --ttl 2h --sub $'alice\r'
# A header kid and typ with CR/LF (the PEM key has no kid, so it verifies any kid).
mint KID_CRLF --alg RS256 --key "$keys/rsa/private.pem" --kid $'rsa-1\r\nX-Injected: yes' \
    --header $'typ="at+jwt\\r\\nX-Typ-Injected: yes"' "${valid[@]}"

# Variables.
mint VARS --alg RS256 "${rsa[@]}" "${valid[@]}" --header typ=at+jwt --iss https://issuer.example \
    --claim n=42 --claim f=1.5 --claim 'arr=["a","b"]' --claim 'mixed=["a",1]' \
    --claim 'obj={"k":true}' --claim flag=true --claim 'greeting=hello world' \
    --claim userId=u-17 --claim Dup=1 --claim dUP=2

# Identity-provider shapes (issue 12): nested roles (Keycloak), scp arrays and strings (Okta,
# Entra ID), an azp, and a scp of a type no scope list has.
mint KEYCLOAK --alg RS256 "${rsa[@]}" "${valid[@]}" --claim azp=web-app \
    --claim 'realm_access={"roles":["offline_access","billing-admin"]}' \
    --claim 'org={"id":7,"active":true,"eu":false,"name":"Acme","bad":"a\nb","none":null}'
mint KEYCLOAK_SPACED --alg RS256 "${rsa[@]}" "${valid[@]}" \
    --claim 'realm_access={"roles":["user","x billing-admin"]}'
mint SCP_ARRAY --alg RS256 "${rsa[@]}" "${valid[@]}" --claim 'scp=["orders:read","profile"]'
mint SCP_STRING --alg RS256 "${rsa[@]}" "${valid[@]}" --claim 'scp=orders:read profile'
mint SCP_NUMBER --alg RS256 "${rsa[@]}" "${valid[@]}" --claim scp=7
mint SCP_SPACED --alg RS256 "${rsa[@]}" "${valid[@]}" --claim 'scp=["orders:read profile"]'

# Revocation (see revoked.txt) and subjects for rate limiting.
mint REVOKED_JTI --alg RS256 "${rsa[@]}" --ttl 2h --sub bob --jti revoked-jti-1
mint REVOKED_SUB --alg RS256 "${rsa[@]}" --ttl 2h --sub revoked-user --jti other-jti-1
mint LIVE_JTI --alg RS256 "${rsa[@]}" --ttl 2h --sub carol --jti live-jti-1
mint BOB --alg RS256 "${rsa[@]}" --ttl 2h --sub bob --jti bob-jti-1

# Tokens as this server's token endpoint makes them (typ at+jwt, its issuer, no kid), signed
# with the issuer's P-256 key and with its Ed25519 key (configured publish_only, then signing).
own=(--iss https://auth.example --aud https://api.example --sub svc --claim client_id=svc
     --header typ=at+jwt --ttl 2h)
mint OWN_EC --alg ES256 --key "$keys/ec256/private.pem" "${own[@]}" --scope orders:read
# A jti that a revocation line would read back as another revocation (t/140).
mint OWN_INJECTED_JTI --alg ES256 --key "$keys/ec256/private.pem" "${own[@]}" \
    --jti 'victim before=99999999999'
mint ROT_VICTIM --alg ES256 --key "$keys/ec256/private.pem" --iss https://auth.example \
    --aud https://api.example --sub rot --claim client_id=rot --jti victim --ttl 2h
mint OWN_ED --alg EdDSA --key "$keys/ed25519/private.pem" "${own[@]}" --scope orders:read
mint OWN_WRONG_AUD --alg ES256 --key "$keys/ec256/private.pem" --iss https://auth.example \
    --aud https://other.example --sub svc --ttl 2h

# --- API keys (t/210-api-keys.t) -------------------------------------------------------------
# apikeys/keys.txt: the registry, made by `credentialflow apikey create`; every key is exported
# as TEST_NGINX_APIKEY_<NAME> and its id as TEST_NGINX_APIKEY_<NAME>_ID. OTHER is registered
# only in apikeys/other.txt (an unknown id to keys.txt); WRONG_SECRET is BILLING's id with
# another secret and a valid checksum; apikeys/revoked.txt revokes REVOKED_JTI by its id (jti)
# and REVOKED_SUB by its subject.
mkdir -p "$out/apikeys"
rm -f "$out/apikeys/keys.txt" "$out/apikeys/other.txt"
apikey() { # NAME FILE create-options...
    local name=$1 file=$2 made key id
    shift 2
    made=$("$cli" apikey create --file "$file" "$@")
    key=$(sed -n 's/^api_key: //p' <<<"$made")
    id=$(sed -n 's/^id: //p' <<<"$made")
    printf "export TEST_NGINX_APIKEY_%s='%s'\nexport TEST_NGINX_APIKEY_%s_ID='%s'\n" \
        "$name" "$key" "$name" "$id" >>"$env_file"
    eval "APIKEY_${name}_ID=$id"
    # The key's registry line, for tests that serve a registry of their own.
    printf "export TEST_NGINX_APIKEY_%s_LINE='%s'\n" "$name" "$(grep "^$id " "$file")" >>"$env_file"
}
apikey BILLING "$out/apikeys/keys.txt" --subject billing --scope "orders:read orders:write" \
    --audience https://api.example --expires 30d
apikey REPORTS "$out/apikeys/keys.txt" --subject reports
apikey EXPIRED "$out/apikeys/keys.txt" --subject old-service --scope orders:read --expires 2020-01-01
apikey REVOKED_JTI "$out/apikeys/keys.txt" --subject carol-service
apikey REVOKED_SUB "$out/apikeys/keys.txt" --subject apikey-revoked-user
apikey REMOVED "$out/apikeys/keys.txt" --subject removed-service
apikey OTHER "$out/apikeys/other.txt" --subject billing
printf 'jti %s\nsub apikey-revoked-user\n' "$APIKEY_REVOKED_JTI_ID" >"$out/apikeys/revoked.txt"
# BILLING's id with another 256-bit secret, and the CRC-32 that makes it well formed.
APIKEY_BILLING_ID=$APIKEY_BILLING_ID perl -MMIME::Base64 -MCompress::Zlib -e '
    my $secret = encode_base64(join("", map { chr(int(rand(256))) } 1..32), "");
    $secret =~ tr{+/}{-_}; $secret =~ s/=+$//;
    $secret =~ s/(.)$/substr("AEIMQUYcgkosw048", index("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", $1) >> 2, 1)/e;
    my $body = "cfk_$ENV{APIKEY_BILLING_ID}_$secret";
    my $check = encode_base64(pack("N", crc32($body)), ""); $check =~ tr{+/}{-_}; $check =~ s/=+$//;
    print "export TEST_NGINX_APIKEY_WRONG_SECRET=\x27$body$check\x27\n";
' >>"$env_file"
chmod 644 "$out/apikeys/keys.txt" "$out/apikeys/other.txt"

mv "$env_file" "$out/env.sh"
echo "gen-fixtures.sh: keys and $(grep -c '^export TEST_NGINX_TOKEN_' "$out/env.sh") tokens in $out (load with: . $out/env.sh)"
