//! `credentialflow apikey create|list|revoke`: the API key registry (`credentialflow_api_keys`).
//! A new key's secret has 256 bits from the OS's CSPRNG (the generator `client add` uses), is
//! printed once and stored only as the SHA-256 digest of the whole key. The file is written
//! like the client registry: whole, renamed into place, and only once the result parses.

use std::path::PathBuf;

use credentialflow_core::api_key::registry::{format_line, ApiKeyRegistry, KeyEntry};
use credentialflow_core::api_key::{format_key, SECRET_BYTES};
use credentialflow_core::jose::crypto::backend::rand::{SecureRandom, SystemRandom};
use credentialflow_core::oauth::registry::{valid_audience, valid_client_id, valid_scope};

use crate::client::write;
use crate::duration::parse_duration;
use crate::error::CliError;
use crate::options::each_option;
use crate::timefmt;

/// `apikey --help`.
pub const APIKEY_USAGE: &str = "\
Usage: credentialflow apikey create --file F --subject S [--scope \"a b\"] [--audience A]... [--expires 90d]
       credentialflow apikey list   --file F
       credentialflow apikey revoke --file F --id ID

create  adds a key and prints it once (cfk_<id>_<secret><checksum>; 256 random bits);
        the file keeps only its SHA-256 digest
list    shows each key's id, subject, scopes, audiences and expiry (never a secret or digest)
revoke  removes the key's line (nginx stops accepting it within a second, no reload)

--expires  a lifetime from now (30d, 12h, 1w...) or a date (2027-03-07, RFC 3339)
";

#[derive(Default)]
struct Args {
    file: Option<PathBuf>,
    subject: Option<String>,
    scope: Option<String>,
    audiences: Vec<String>,
    expires: Option<String>,
    id: Option<String>,
}

fn parse(args: &[String]) -> Result<Args, CliError> {
    let mut parsed = Args::default();
    each_option(args, |name, value| {
        match name {
            "--file" => parsed.file = Some(PathBuf::from(value()?)),
            "--subject" => parsed.subject = Some(value()?),
            "--scope" => parsed.scope = Some(value()?),
            "--audience" => parsed.audiences.push(value()?),
            "--expires" => parsed.expires = Some(value()?),
            "--id" => parsed.id = Some(value()?),
            other => return Err(CliError::usage(format!("apikey: unknown option {other:?}"))),
        }
        Ok(())
    })?;
    Ok(parsed)
}

/// Runs `apikey ...`; returns what to print.
pub fn run(args: &[String], now: i64) -> Result<String, CliError> {
    let Some((action, rest)) = args.split_first() else {
        return Err(CliError::usage("apikey: create, list or revoke?"));
    };
    if action == "--help" || action == "help" {
        return Ok(APIKEY_USAGE.to_owned());
    }
    let args = parse(rest)?;
    let file = args.file.clone().ok_or_else(|| CliError::usage("--file is required"))?;
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && action == "create" => String::new(),
        Err(e) => return Err(CliError::failed(format!("cannot read {}: {e}", file.display()))),
    };
    let registry = ApiKeyRegistry::parse(text.as_bytes())
        .map_err(|e| CliError::failed(format!("{}: {e}", file.display())))?;
    let (text, output) = match action.as_str() {
        "create" => create(&args, &registry, text, now)?,
        "list" => return Ok(list(&registry)),
        "revoke" => revoke(&args, &registry, &text)?,
        other => return Err(CliError::usage(format!("apikey: unknown action {other:?}"))),
    };
    ApiKeyRegistry::parse(text.as_bytes()).map_err(|e| {
        CliError::failed(format!("internal error: the new registry is invalid: {e}"))
    })?;
    write(&file, &text)?;
    Ok(output)
}

fn random<const N: usize>() -> Result<[u8; N], CliError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CliError::failed("the system random number generator failed"))?;
    Ok(bytes)
}

/// When `--expires` ends: a date or time as the registry writes it, else a lifetime from now.
fn expiry(word: &str, now: i64) -> Result<i64, CliError> {
    if let Some(at) = credentialflow_core::api_key::registry::parse_expiry(word) {
        return Ok(at);
    }
    let seconds = parse_duration(word).map_err(|e| CliError::usage(format!("--expires: {e}")))?;
    if seconds <= 0 {
        return Err(CliError::usage("--expires must be in the future"));
    }
    Ok(now.saturating_add(seconds))
}

fn create(
    args: &Args,
    registry: &ApiKeyRegistry,
    text: String,
    now: i64,
) -> Result<(String, String), CliError> {
    let subject = args.subject.clone().ok_or_else(|| CliError::usage("--subject is required"))?;
    if !valid_client_id(&subject) || subject.contains(['"', '\\']) {
        return Err(CliError::usage(
            "--subject must be printable ASCII without spaces, quotes or backslashes",
        ));
    }
    let scopes: Vec<Box<str>> =
        args.scope.as_deref().unwrap_or("").split_whitespace().map(Box::from).collect();
    if let Some(bad) = scopes.iter().find(|s| !valid_scope(s)) {
        return Err(CliError::usage(format!("--scope: {bad:?} is not a valid scope")));
    }
    if let Some(bad) = args.audiences.iter().find(|a| !valid_audience(a)) {
        return Err(CliError::usage(format!("--audience: {bad:?} is not a valid audience")));
    }
    let expires = args.expires.as_deref().map(|word| expiry(word, now)).transpose()?;
    // 64 random bits of id: unique without asking the registry, which is checked anyway.
    let id: String = random::<8>()?.iter().map(|b| format!("{b:02x}")).collect();
    if registry.entries().iter().any(|entry| *entry.id == *id) {
        return Err(CliError::failed("the new key id is taken; run the command again"));
    }
    let key = format_key(&id, &random::<SECRET_BYTES>()?)
        .ok_or_else(|| CliError::failed("internal error: invalid key id"))?;
    let entry = KeyEntry {
        id: id.as_str().into(),
        subject: subject.into(),
        scopes,
        audiences: args.audiences.iter().map(|a| a.as_str().into()).collect(),
        expires,
    };
    let mut text = text;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format_line(&key, &entry));
    text.push('\n');
    let output = format!(
        "id: {id}\napi_key: {key}\n(the key is shown once and stored only as its SHA-256 digest)"
    );
    Ok((text, output))
}

fn list(registry: &ApiKeyRegistry) -> String {
    let mut out = String::from("id\tsubject\tscopes\taudiences\texpires\n");
    for entry in registry.entries() {
        let or_dash = |items: &[Box<str>], sep: &str| match items.is_empty() {
            true => "-".to_string(),
            false => items.join(sep),
        };
        let expires = match entry.expires {
            None => "never".to_string(),
            Some(at) => timefmt::format_utc(at).unwrap_or_else(|| at.to_string()),
        };
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{expires}\n",
            entry.id,
            entry.subject,
            or_dash(&entry.scopes, " "),
            or_dash(&entry.audiences, ","),
        ));
    }
    out
}

fn revoke(
    args: &Args,
    registry: &ApiKeyRegistry,
    text: &str,
) -> Result<(String, String), CliError> {
    let id = args.id.clone().ok_or_else(|| CliError::usage("--id is required"))?;
    if !registry.entries().iter().any(|entry| *entry.id == *id) {
        return Err(CliError::failed(format!("no key {id:?}")));
    }
    let kept: String = text
        .lines()
        .filter(|line| line.split_ascii_whitespace().next() != Some(id.as_str()))
        .map(|line| format!("{line}\n"))
        .collect();
    Ok((kept, format!("key {id} removed")))
}
