//! Every default, in one place: what a directive means when it is not set.

/// `credentialflow_max_token_size`: longer tokens are refused undecoded.
pub const MAX_TOKEN_SIZE: usize = 8 * 1024;

/// `credentialflow_cache_size`: verified tokens each worker keeps.
pub const CACHE_SIZE: usize = 10_000;

/// `credentialflow_zone`: the shared-memory zone's size, in bytes.
pub const ZONE_SIZE: usize = 8 * 1024 * 1024;
/// The token cache takes at most 1/this of the zone.
pub const TOKEN_CACHE_ZONE_SHARE: usize = 2;
/// Replay records take at most 1/this of the zone: a full replay share refuses replay-protected
/// requests (503) and never stops a revocation from being enforced.
pub const REPLAY_ZONE_SHARE: usize = 4;
/// One client's replay records (its issuer and `client_id`, else `sub`) stop at 1/this of the
/// replay share: its replay-protected requests get 503, and no one else's.
pub const REPLAY_CLIENT_SHARE: usize = 16;
/// Revocations made at the revocation endpoint stop at 1/this of the zone (with the file's and
/// Redis's, which are loaded whatever they take).
pub const REVOCATION_ZONE_SHARE: usize = 4;
/// One client's revocations in force stop at 1/this of the revocations' share (a client with
/// the `revoke` permission only at the share).
pub const REVOCATION_CLIENT_SHARE: usize = 16;

/// `credentialflow_realm`: the challenge's `realm`.
pub const REALM: &str = "api";

/// `credentialflow_require_claims`: claims a token must carry.
pub const REQUIRED_CLAIMS: [&str; 1] = ["exp"];

/// `credentialflow_scope_claim`: the claim `credentialflow_require_scope` reads.
pub const SCOPE_CLAIM: &str = "scope";

/// `credentialflow_leeway`, in seconds.
pub const LEEWAY: i64 = 0;

/// `credentialflow_header`: where the token is read from (the `Bearer` scheme).
pub const CREDENTIAL_HEADER: &str = "Authorization";

/// `credentialflow_jwt_key_cache`: how long a fetched key set is used, in seconds.
pub const KEY_CACHE_TTL: i64 = 10 * 60;

/// `credentialflow_jwt_key_cache refresh=`: the shortest interval between two fetches, in
/// seconds (a token with an unknown `kid` fetches at once, but not more often than this).
pub const KEY_CACHE_REFRESH: i64 = 30;

/// How often each worker checks its revocation files for a change, in milliseconds.
pub const REVOCATION_CHECK_INTERVAL_MS: usize = 500;

/// `credentialflow_oauth_token_ttl`: an access token's lifetime in seconds, unless the client's
/// registry line sets its own.
pub const OAUTH_TOKEN_TTL: i64 = 15 * 60;

/// Largest token request body the token endpoint reads; a longer one gets 413.
pub const OAUTH_MAX_BODY: usize = 8 * 1024;

/// `Cache-Control: max-age` of the JWKS, in seconds: a key published ahead of a rotation
/// (`publish_only`) reaches every verifier's cache within this time.
pub const OAUTH_JWKS_MAX_AGE: u64 = 300;

/// `credentialflow_redis prefix=`: what every key and channel name starts with.
pub const REDIS_PREFIX: &str = "credentialflow:";

/// `credentialflow_redis timeout=`: the longest wait for a connection or a reply, in
/// milliseconds; a write that takes longer fails (the caller answers 503).
pub const REDIS_TIMEOUT_MS: u64 = 1000;

/// `credentialflow_redis` port when the address names none.
pub const REDIS_PORT: u16 = 6379;

/// `credentialflow_api_key_header`: where an API key is read from.
pub const API_KEY_HEADER: &str = "X-API-Key";
