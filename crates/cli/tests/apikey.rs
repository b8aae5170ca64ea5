//! `credentialflow apikey create|list|revoke` end to end: the key printed once, the line the
//! module reads, a listing without secrets, and removal.

use std::process::{Command, Output};

use credentialflow_core::api_key::registry::ApiKeyRegistry;
use credentialflow_core::api_key::{key_id, PREFIX};
use credentialflow_core::Rejection;

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_credentialflow")).args(args).output().expect("binary runs")
}

fn stdout_of(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn field<'a>(output: &'a str, name: &str) -> &'a str {
    output.lines().find_map(|line| line.strip_prefix(name)).expect(name)
}

#[test]
fn create_list_revoke_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("api-keys");
    let path = file.to_str().unwrap();
    let created = stdout_of(&[
        "apikey",
        "create",
        "--file",
        path,
        "--subject",
        "billing",
        "--scope",
        "orders:read orders:write",
        "--audience",
        "https://api.example",
        "--expires",
        "90d",
    ]);
    let key = field(&created, "api_key: ");
    let id = field(&created, "id: ");
    assert!(key.starts_with(PREFIX));
    assert_eq!(key_id(key.as_bytes()), Ok(id));
    let other = stdout_of(&["apikey", "create", "--file", path, "--subject", "reports"]);
    let other_key = field(&other, "api_key: ").to_owned();

    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(key) && !text.contains(&key[key.len() - 20..]), "only a digest");
    let registry = ApiKeyRegistry::parse(text.as_bytes()).unwrap();
    let token = registry.check(key.as_bytes()).unwrap();
    assert_eq!(token.claims.sub(), Some("billing"));
    assert_eq!(token.claims.jti(), Some(id));
    assert_eq!(token.claims.scope(), Some("orders:read orders:write"));
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let exp = token.claims.exp().unwrap() - now.as_secs() as i64;
    assert!((90 * 86_400 - 60..=90 * 86_400).contains(&exp), "{exp}");
    assert!(registry.check(other_key.as_bytes()).is_ok());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);

    let listed = stdout_of(&["apikey", "list", "--file", path]);
    assert!(
        listed.contains(&format!("{id}\tbilling\torders:read orders:write\thttps://api.example\t"))
    );
    assert!(listed.contains("\treports\t-\t-\tnever"));
    assert!(!listed.contains("sha256:") && !listed.contains(PREFIX), "{listed}");

    stdout_of(&["apikey", "revoke", "--file", path, "--id", id]);
    let registry = ApiKeyRegistry::parse(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(registry.check(key.as_bytes()).err(), Some(Rejection::BadSignature));
    assert!(registry.check(other_key.as_bytes()).is_ok());
    assert_eq!(registry.len(), 1);
}

#[test]
fn refusals() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("api-keys");
    let path = file.to_str().unwrap();
    for args in [
        &["apikey", "create", "--file", path][..],
        &["apikey", "create", "--file", path, "--subject", "a b"],
        &["apikey", "create", "--file", path, "--subject", "s", "--scope", "a\"b"],
        &["apikey", "create", "--file", path, "--subject", "s", "--expires", "-1d"],
        &["apikey", "list", "--file", path],
        &["apikey", "frobnicate", "--file", path],
    ] {
        let out = run(args);
        assert!(!out.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).starts_with("credentialflow: "));
    }
    stdout_of(&["apikey", "create", "--file", path, "--subject", "s", "--expires", "2099-01-01"]);
    let out = run(&["apikey", "revoke", "--file", path, "--id", "nope"]);
    assert!(!out.status.success());
    assert!(stdout_of(&["apikey", "--help"]).contains("cfk_"));
}
