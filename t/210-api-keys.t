# API keys (credentialflow_api_keys, credentialflow_api_key_header, credentialflow_accept): the
# key format refused without a lookup (prefix, checksum), an unknown id and a wrong secret
# refused alike, expiry, revocation by the key id (jti) and by subject, a key removed from the
# registry without a reload, both kinds of credential at once, every credentialflow_accept
# combination, and a key's registry fields as claims for scopes, the audience, forwarding,
# variables and limit_req. Keys come from scripts/gen-fixtures.sh (`credentialflow apikey
# create`): TEST_NGINX_APIKEY_<NAME>, its id TEST_NGINX_APIKEY_<NAME>_ID and its registry line
# TEST_NGINX_APIKEY_<NAME>_LINE.
use FindBin; use lib "$FindBin::Bin/lib"; use Fixtures;
use Test::Nginx::Socket 'no_plan';

sub main::conf_line_has {
    my ($file, $line, $want) = @_;
    open my $fh, '<', $file or return 0;
    my @lines = <$fh>;
    return $line >= 1 && $line <= @lines && index($lines[$line - 1], $want) >= 0;
}

my $billing = $ENV{TEST_NGINX_APIKEY_BILLING};
# Another prefix; the same key with its last checksum character changed.
(my $bad_prefix = $billing) =~ s/^cfk_/cfx_/;
my $bad_check = substr($billing, 0, -1) . (substr($billing, -1) eq 'A' ? 'B' : 'A');
$ENV{TEST_NGINX_APIKEY_BAD_PREFIX} = $bad_prefix;
$ENV{TEST_NGINX_APIKEY_BAD_CHECK} = $bad_check;

no_shuffle();
log_level('info');
run_tests();

__DATA__

=== TEST 1: a valid API key passes where only API keys are taken; its registry fields are its claims
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        add_header X-Status "[$credentialflow_status]" always;
        add_header X-Claims "[$credentialflow_claim_sub|$credentialflow_claim_client_id|$credentialflow_claim_scope|$credentialflow_claim_aud]" always;
        add_header X-Jti "[$credentialflow_claim_jti]" always;
        add_header X-Alg "[$credentialflow_header_alg|$credentialflow_cache]" always;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request
GET /k/hello.txt
--- more_headers eval
"X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}"
--- error_code: 200
--- response_headers eval
"X-Status: [ok]
X-Claims: [billing|billing|orders:read orders:write|https://api.example]
X-Jti: [$ENV{TEST_NGINX_APIKEY_BILLING_ID}]
X-Alg: [|]"
--- response_body
hello



=== TEST 2: no key, another prefix, a bad checksum, an unknown id and a wrong secret get 401 and the APIKey challenge
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        add_header X-Status "[$credentialflow_status]" always;
        add_header X-Sub "[$credentialflow_claim_sub]" always;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request eval
[("GET /k/hello.txt") x 6]
--- more_headers eval
["", "X-API-Key: $ENV{TEST_NGINX_APIKEY_BAD_PREFIX}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_BAD_CHECK}",
 "X-API-Key: $ENV{TEST_NGINX_APIKEY_OTHER}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_WRONG_SECRET}",
 "X-API-Key: not a key at all"]
--- error_code eval
[401, 401, 401, 401, 401, 401]
--- response_headers eval
[qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key"\nX-Status: [missing]},
 qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key", error="invalid_token", error_description="malformed credential header"\nX-Status: [invalid]},
 qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key", error="invalid_token", error_description="malformed credential header"\nX-Status: [invalid]},
 qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key", error="invalid_token", error_description="signature verification failed"\nX-Sub: []},
 qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key", error="invalid_token", error_description="signature verification failed"\nX-Sub: []},
 qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key", error="invalid_token", error_description="malformed credential header"}]



=== TEST 3: a refused key is logged with a fingerprint, never the key
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request
GET /k/hello.txt
--- more_headers eval
"X-API-Key: $ENV{TEST_NGINX_APIKEY_WRONG_SECRET}"
--- error_code: 401
--- error_log eval
qr/\[info\] .*credentialflow: request refused \(invalid\): signature verification failed, token [0-9a-f]{8}, client: /
--- no_error_log eval
[substr($ENV{TEST_NGINX_APIKEY_WRONG_SECRET}, -40)]



=== TEST 4: an expired key gets 401 "token expired"
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request
GET /k/hello.txt
--- more_headers eval
"X-API-Key: $ENV{TEST_NGINX_APIKEY_EXPIRED}"
--- error_code: 401
--- response_headers
WWW-Authenticate: APIKey realm="api", header="X-API-Key", error="invalid_token", error_description="token expired"
X-Status: [expired]



=== TEST 5: keys revoked in credentialflow_revocation_file by their id (jti) and by subject get 401 "token revoked"
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        credentialflow_revocation_file $TEST_NGINX_FIXTURES/apikeys/revoked.txt;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request eval
[("GET /k/hello.txt") x 3]
--- more_headers eval
["X-API-Key: $ENV{TEST_NGINX_APIKEY_REVOKED_JTI}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_REVOKED_SUB}",
 "X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}"]
--- error_code eval
[401, 401, 200]
--- response_headers eval
["X-Status: [revoked]", "X-Status: [revoked]", "X-Status: [ok]"]



=== TEST 6: a key removed from the registry is refused within 1.5 s, no reload; the others keep working
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        # The registry without the REMOVED key, served for proxy_store below.
        location = /registry {
            return 200 "$TEST_NGINX_APIKEY_REPORTS_LINE\n";
        }
    }
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys html/keys.txt;
        root html;
    }
    # Replaces the registry the way `credentialflow apikey revoke` does: a new file renamed
    # into place.
    location = /remove {
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1/registry;
        proxy_store $document_root/keys.txt;
    }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    }
--- user_files
>>> k/hello.txt
hello
>>> keys.txt
# two keys at startup
$TEST_NGINX_APIKEY_REMOVED_LINE
$TEST_NGINX_APIKEY_REPORTS_LINE
--- request eval
["GET /k/hello.txt", "GET /k/hello.txt", "GET /remove", "GET /wait", "GET /k/hello.txt", "GET /k/hello.txt"]
--- more_headers eval
["X-API-Key: $ENV{TEST_NGINX_APIKEY_REMOVED}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}", "", "",
 "X-API-Key: $ENV{TEST_NGINX_APIKEY_REMOVED}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}"]
--- error_code eval
[200, 200, 200, 401, 401, 200]
--- timeout: 5



=== TEST 7: a JWT and an API key together are refused as ambiguous where both are taken
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept jwt api_key;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        add_header X-Status "[$credentialflow_status]" always;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request eval
[("GET /k/hello.txt") x 2]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-API-Key: $ENV{TEST_NGINX_APIKEY_BAD_CHECK}"]
--- error_code eval
[401, 401]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="more than one credential header"\nX-Status: [invalid]},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="more than one credential header"}]



=== TEST 8: credentialflow_accept jwt api_key: either kind alone passes; neither gets the Bearer challenge
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept jwt api_key;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        add_header X-Sub "[$credentialflow_claim_sub]" always;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request eval
[("GET /k/hello.txt") x 4]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}", "",
 "X-API-Key: $ENV{TEST_NGINX_APIKEY_WRONG_SECRET}"]
--- error_code eval
[200, 200, 401, 401]
--- response_headers eval
["X-Sub: [alice]", "X-Sub: [billing]", qq{WWW-Authenticate: Bearer realm="api"},
 qq{WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="signature verification failed"}]



=== TEST 9: credentialflow_accept jwt (the default) ignores the API key header; api_key ignores Bearer tokens
--- config
    credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
    location /jwt/ {
        credentialflow on;
        add_header X-Sub "[$credentialflow_claim_sub]" always;
        root html;
    }
    location /key/ {
        credentialflow on;
        credentialflow_accept api_key;
        add_header X-Sub "[$credentialflow_claim_sub]" always;
        root html;
    }
--- user_files
>>> jwt/hello.txt
hello
>>> key/hello.txt
hello
--- request eval
["GET /jwt/hello.txt", "GET /jwt/hello.txt", "GET /key/hello.txt", "GET /key/hello.txt"]
--- more_headers eval
["X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}",
 "Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}\nX-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}"]
--- error_code eval
[401, 200, 401, 200]
--- response_headers eval
[qq{WWW-Authenticate: Bearer realm="api"}, "X-Sub: [alice]",
 qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key"}, "X-Sub: [billing]"]



=== TEST 10: credentialflow_api_key_header names another header, in the challenge too
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_key_header X-Service-Key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request eval
[("GET /k/hello.txt") x 3]
--- more_headers eval
["X-Service-Key: $ENV{TEST_NGINX_APIKEY_BILLING}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}",
 "X-Service-Key: $ENV{TEST_NGINX_APIKEY_BILLING}\nX-Service-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}"]
--- error_code eval
[200, 401, 401]
--- response_headers eval
["WWW-Authenticate:", qq{WWW-Authenticate: APIKey realm="api", header="X-Service-Key"},
 qq{WWW-Authenticate: APIKey realm="api", header="X-Service-Key", error="invalid_token", error_description="more than one credential header"}]



=== TEST 11: scopes and the audience of a key: require_scope (403) and credentialflow_audience (401)
--- config
    credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
    credentialflow_accept api_key;
    location /write/ {
        credentialflow on;
        credentialflow_require_scope orders:write;
        root html;
    }
    location /aud/ {
        credentialflow on;
        credentialflow_audience https://api.example;
        root html;
    }
--- user_files
>>> write/hello.txt
hello
>>> aud/hello.txt
hello
--- request eval
["GET /write/hello.txt", "GET /write/hello.txt", "GET /aud/hello.txt", "GET /aud/hello.txt"]
--- more_headers eval
["X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}",
 "X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}"]
--- error_code eval
[200, 403, 200, 401]
--- response_headers eval
["WWW-Authenticate:",
 qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key", error="insufficient_scope", error_description="insufficient scope", scope="orders:write"},
 "WWW-Authenticate:",
 qq{WWW-Authenticate: APIKey realm="api", header="X-API-Key", error="invalid_token", error_description="audience not accepted"}]



=== TEST 12: a key's claims are forwarded upstream, and credentialflow_claim_set and credentialflow_require read them
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_RAND_PORT_1;
        location / {
            return 200 "user=$http_x_user scope=$http_x_scope key=$http_x_key_id api_key=[$http_x_api_key]\n";
        }
    }
    map $credentialflow_client $billing_only {
        billing 1;
        default 0;
    }
--- config
    credentialflow_claim_set $credentialflow_client client_id;
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        credentialflow_forward_claim sub X-User;
        credentialflow_forward_claim scope X-Scope;
        credentialflow_forward_claim jti X-Key-Id;
        credentialflow_require $billing_only;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RAND_PORT_1;
    }
--- request eval
[("GET /k/") x 2]
--- more_headers eval
["X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}\nX-User: forged", "X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}"]
--- error_code eval
[200, 403]
--- response_body_like eval
["^user=billing scope=orders:read orders:write key=$ENV{TEST_NGINX_APIKEY_BILLING_ID} api_key=\\[cfk_", ""]



=== TEST 13: limit_req keyed on $credentialflow_claim_sub limits each API key subject separately
--- http_config
    limit_req_zone $credentialflow_claim_sub zone=per_sub:1m rate=1r/m;
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        limit_req zone=per_sub;
        limit_req_status 429;
        root html;
    }
--- user_files
>>> k/hello.txt
hello
--- request eval
[("GET /k/hello.txt") x 4]
--- more_headers eval
["X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}",
 "X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_WRONG_SECRET}"]
--- error_code eval
[200, 429, 200, 401]



=== TEST 14: a malformed registry line is an error at nginx -t with the registry's line and the directive's
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys html/keys.txt;
        root html;
    }
--- user_files
>>> keys.txt
# line 1: a comment
$TEST_NGINX_APIKEY_REPORTS_LINE
k2 sha256:not-hex reports -
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*credentialflow_api_keys "html\/keys\.txt": line 3: the key digest must be sha256: followed by 64 hex digits in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_api_keys html') ? '' : '(*FAIL)' })/



=== TEST 15: credentialflow_accept api_key without a registry is refused at its line
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_accept" takes "api_key" but no "credentialflow_api_keys" is set in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_accept api_key') ? '' : '(*FAIL)' })/



=== TEST 16: an unknown credentialflow_accept word is refused
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept jwt basic;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*invalid value "basic" in "credentialflow_accept" directive, it must be "jwt" or "api_key"/



=== TEST 17: a registry that becomes malformed at run time keeps the last good keys in force
--- http_config
    log_format registry_raw "$arg_line";
--- config
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys html/keys.txt;
        root html;
    }
    location = /append {
        access_log html/keys.txt registry_raw;
        return 204;
    }
    location = /wait {
        auth_delay 1500ms;
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
    }
--- user_files
>>> k/hello.txt
hello
>>> keys.txt
$TEST_NGINX_APIKEY_REPORTS_LINE
--- request eval
["GET /k/hello.txt", "GET /append?line=not%20a%20registry%20line", "GET /wait", "GET /k/hello.txt",
 "GET /k/hello.txt"]
--- more_headers eval
["X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}", "", "", "X-API-Key: $ENV{TEST_NGINX_APIKEY_REPORTS}",
 "X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}"]
--- error_code eval
[200, 204, 401, 200, 401]
--- timeout: 5



=== TEST 18: a location that takes only API keys does not wait for a key set fetched for JWTs above it
--- config
    credentialflow_jwt_key_request /_jwks;
    location = /_jwks {
        internal;
        return 500;
    }
    location /jwt/ {
        credentialflow on;
        root html;
    }
    location /k/ {
        credentialflow on;
        credentialflow_accept api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        root html;
    }
--- user_files
>>> jwt/hello.txt
hello
>>> k/hello.txt
hello
--- request eval
["GET /jwt/hello.txt", "GET /k/hello.txt"]
--- more_headers eval
["Authorization: Bearer $ENV{TEST_NGINX_TOKEN_RS256}", "X-API-Key: $ENV{TEST_NGINX_APIKEY_BILLING}"]
--- error_code eval
[503, 200]



=== TEST 19: keys and tokens read from the same header are refused at credentialflow_accept's line
--- config
    location /k/ {
        credentialflow on;
        credentialflow_jwt_key $TEST_NGINX_FIXTURES/keys/rsa/public.pem;
        credentialflow_header x-api-key;
        credentialflow_accept jwt api_key;
        credentialflow_api_keys $TEST_NGINX_FIXTURES/apikeys/keys.txt;
        root html;
    }
--- must_die
--- suppress_stderr
--- error_log eval
qr/\[emerg\] .*"credentialflow_api_key_header" and "credentialflow_header" name the same header in (\S+nginx\.conf):(\d+)$(??{ main::conf_line_has($1, $2, 'credentialflow_accept jwt api_key') ? '' : '(*FAIL)' })/
