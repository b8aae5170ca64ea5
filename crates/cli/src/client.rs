//! `credentialflow client add|rotate|remove`: the authorization server's client registry.
//! A new secret has 256 bits from the OS's CSPRNG, is printed once and stored only as its
//! SHA-256 digest. The file is rewritten whole and renamed into place, so nginx's watcher
//! never reads half a file; the result must parse before it replaces the old one.

use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use credentialflow_core::jose::crypto::backend::rand::{SecureRandom, SystemRandom};
use credentialflow_core::oauth::registry::{
    format_digest, parse_ttl, valid_audience, valid_client_id, valid_scope, ClientRegistry,
    Permissions, MAX_SECRETS, PERMISSION_INTROSPECT, PERMISSION_REVOKE,
};

use crate::error::CliError;
use crate::options::each_option;

/// `client --help`.
pub const CLIENT_USAGE: &str = "\
Usage: credentialflow client add    --clients-file F --id ID --scope \"a b\" --audience A [--audience B] [--ttl 15m]
                                    [--permit revoke] [--permit introspect]
       credentialflow client rotate --clients-file F --id ID
       credentialflow client remove --clients-file F --id ID [--digest sha256:HEX]

add     registers a client and prints its new secret once (256 random bits)
rotate  gives the client a second secret (printed once); remove the old digest when done
remove  removes one digest of the client, or the whole client

--permit revoke      the client may revoke any token, and by sub, client_id or kid (RFC 7009
                     lets every client revoke its own tokens without it)
--permit introspect  the client may call the introspection endpoint (RFC 7662)
";

/// Secret bytes: 256 bits.
const SECRET_BYTES: usize = 32;

#[derive(Default)]
struct Args {
    file: Option<PathBuf>,
    id: Option<String>,
    scope: Option<String>,
    audiences: Vec<String>,
    ttl: Option<String>,
    digest: Option<String>,
    permissions: Permissions,
}

fn parse(args: &[String]) -> Result<Args, CliError> {
    let mut parsed = Args::default();
    each_option(args, |name, value| {
        match name {
            "--clients-file" => parsed.file = Some(PathBuf::from(value()?)),
            "--id" => parsed.id = Some(value()?),
            "--scope" => parsed.scope = Some(value()?),
            "--audience" => parsed.audiences.push(value()?),
            "--ttl" => parsed.ttl = Some(value()?),
            "--digest" => parsed.digest = Some(value()?),
            "--permit" => match value()?.as_str() {
                PERMISSION_REVOKE => parsed.permissions.revoke = true,
                PERMISSION_INTROSPECT => parsed.permissions.introspect = true,
                other => {
                    return Err(CliError::usage(format!(
                        "--permit: {other:?} is neither revoke nor introspect"
                    )))
                }
            },
            other => return Err(CliError::usage(format!("client: unknown option {other:?}"))),
        }
        Ok(())
    })?;
    Ok(parsed)
}

/// Runs `client ...`; returns what to print.
pub fn run(args: &[String]) -> Result<String, CliError> {
    let Some((action, rest)) = args.split_first() else {
        return Err(CliError::usage("client: add, rotate or remove?"));
    };
    if action == "--help" || action == "help" {
        return Ok(CLIENT_USAGE.to_owned());
    }
    let args = parse(rest)?;
    let file = args.file.clone().ok_or_else(|| CliError::usage("--clients-file is required"))?;
    let id = args.id.clone().ok_or_else(|| CliError::usage("--id is required"))?;
    if !valid_client_id(&id) {
        return Err(CliError::usage("--id must be printable ASCII without spaces"));
    }
    let text = match std::fs::read_to_string(&file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && action == "add" => String::new(),
        Err(e) => return Err(CliError::failed(format!("cannot read {}: {e}", file.display()))),
    };
    let registry = ClientRegistry::parse(text.as_bytes())
        .map_err(|e| CliError::failed(format!("{}: {e}", file.display())))?;
    let (text, secret) = match action.as_str() {
        "add" => add(&args, &id, &registry, text)?,
        "rotate" => rotate(&id, &registry, text)?,
        "remove" => (remove(&args, &id, &registry, &text)?, None),
        other => return Err(CliError::usage(format!("client: unknown action {other:?}"))),
    };
    ClientRegistry::parse(text.as_bytes()).map_err(|e| {
        CliError::failed(format!("internal error: the new registry is invalid: {e}"))
    })?;
    write(&file, &text)?;
    Ok(match secret {
        Some(secret) => format!(
            "client_id: {id}\nclient_secret: {secret}\n(the secret is shown once and stored only as its SHA-256 digest)"
        ),
        None => format!("removed from {}", file.display()),
    })
}

fn new_secret() -> Result<String, CliError> {
    let mut bytes = [0u8; SECRET_BYTES];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CliError::failed("the system random number generator failed"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn with_newline(mut text: String) -> String {
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

fn add(
    args: &Args,
    id: &str,
    registry: &ClientRegistry,
    text: String,
) -> Result<(String, Option<String>), CliError> {
    if registry.client(id).is_some() {
        return Err(CliError::failed(format!("client {id:?} exists; use client rotate")));
    }
    let scopes: Vec<&str> = args.scope.as_deref().unwrap_or("").split_whitespace().collect();
    if let Some(bad) = scopes.iter().find(|s| !valid_scope(s)) {
        return Err(CliError::usage(format!("--scope: {bad:?} is not a valid scope")));
    }
    if args.audiences.is_empty() {
        return Err(CliError::usage("--audience is required (repeat it for several)"));
    }
    if let Some(bad) = args.audiences.iter().find(|a| !valid_audience(a)) {
        return Err(CliError::usage(format!("--audience: {bad:?} is not a valid audience")));
    }
    if let Some(ttl) = &args.ttl {
        parse_ttl(ttl).ok_or_else(|| CliError::usage("--ttl must be like 900, 15m, 1h or 1d"))?;
    }
    let secret = new_secret()?;
    let scopes = if scopes.is_empty() { "-".to_owned() } else { scopes.join(",") };
    let mut line =
        format!("{id} {} {scopes} {}", format_digest(secret.as_bytes()), args.audiences.join(","));
    if let Some(ttl) = &args.ttl {
        line.push(' ');
        line.push_str(ttl);
    }
    let permissions = args.permissions.words();
    if !permissions.is_empty() {
        line.push(' ');
        line.push_str(&permissions);
    }
    Ok((with_newline(text) + &line + "\n", Some(secret)))
}

/// The words of the first registry line of `id`.
fn first_line<'t>(text: &'t str, id: &str) -> Option<Vec<&'t str>> {
    text.lines()
        .map(|line| line.split_ascii_whitespace().collect::<Vec<_>>())
        .find(|words| words.first() == Some(&id))
}

fn rotate(
    id: &str,
    registry: &ClientRegistry,
    text: String,
) -> Result<(String, Option<String>), CliError> {
    let client =
        registry.client(id).ok_or_else(|| CliError::failed(format!("no client {id:?}")))?;
    if client.secret_count() >= MAX_SECRETS {
        return Err(CliError::failed(format!(
            "client {id:?} already has {MAX_SECRETS} secrets; remove the old one first \
             (client remove --digest)"
        )));
    }
    let mut words = first_line(&text, id).ok_or_else(|| CliError::failed("no line found"))?;
    let secret = new_secret()?;
    let digest = format_digest(secret.as_bytes());
    if let Some(slot) = words.get_mut(1) {
        *slot = &digest;
    }
    Ok((with_newline(text.clone()) + &words.join(" ") + "\n", Some(secret)))
}

fn remove(
    args: &Args,
    id: &str,
    registry: &ClientRegistry,
    text: &str,
) -> Result<String, CliError> {
    if registry.client(id).is_none() {
        return Err(CliError::failed(format!("no client {id:?}")));
    }
    let mut removed = 0;
    let kept: Vec<&str> = text
        .lines()
        .filter(|line| {
            let words: Vec<&str> = line.split_ascii_whitespace().collect();
            let matches = words.first() == Some(&id)
                && args.digest.as_deref().is_none_or(|d| words.get(1) == Some(&d));
            removed += usize::from(matches);
            !matches
        })
        .collect();
    if removed == 0 {
        return Err(CliError::failed(format!("client {id:?} has no such digest")));
    }
    Ok(kept.iter().map(|line| format!("{line}\n")).collect())
}

/// Replaces the file through a rename, keeping its mode (a new file is 0600).
pub(crate) fn write(path: &Path, text: &str) -> Result<(), CliError> {
    use std::os::unix::fs::PermissionsExt;
    let failed =
        |e: std::io::Error| CliError::failed(format!("cannot write {}: {e}", path.display()));
    let mode = std::fs::metadata(path).map(|m| m.permissions().mode()).unwrap_or(0o600);
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text).map_err(failed)?;
    std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(mode)).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_in(file: &Path, args: &[&str]) -> Result<String, CliError> {
        let mut all: Vec<String> = vec![args[0].into(), "--clients-file".into()];
        all.push(file.display().to_string());
        all.extend(args[1..].iter().map(|s| s.to_string()));
        run(&all)
    }

    fn secret_of(output: &str) -> String {
        output.lines().find_map(|l| l.strip_prefix("client_secret: ")).unwrap().to_owned()
    }

    #[test]
    fn add_rotate_remove() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clients.txt");
        let added = run_in(
            &file,
            &["add", "--id", "svc", "--scope", "a b", "--audience", "https://api", "--ttl", "10m"],
        )
        .unwrap();
        let first = secret_of(&added);
        assert_eq!(URL_SAFE_NO_PAD.decode(&first).unwrap().len(), 32);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains(&first), "only the digest is stored");
        let registry = ClientRegistry::parse(text.as_bytes()).unwrap();
        let client = registry.authenticate("svc", first.as_bytes()).unwrap();
        assert_eq!((client.scopes.len(), client.ttl), (2, Some(600)));
        assert!(run_in(&file, &["add", "--id", "svc", "--audience", "x"]).is_err());

        let second = secret_of(&run_in(&file, &["rotate", "--id", "svc"]).unwrap());
        let registry = ClientRegistry::parse(&std::fs::read(&file).unwrap()).unwrap();
        assert!(registry.authenticate("svc", first.as_bytes()).is_some());
        assert!(registry.authenticate("svc", second.as_bytes()).is_some());
        assert!(run_in(&file, &["rotate", "--id", "svc"]).is_err(), "at most two secrets");

        let old = format_digest(first.as_bytes());
        run_in(&file, &["remove", "--id", "svc", "--digest", &old]).unwrap();
        let registry = ClientRegistry::parse(&std::fs::read(&file).unwrap()).unwrap();
        assert!(registry.authenticate("svc", first.as_bytes()).is_none());
        assert!(registry.authenticate("svc", second.as_bytes()).is_some());
        run_in(&file, &["remove", "--id", "svc"]).unwrap();
        assert!(ClientRegistry::parse(&std::fs::read(&file).unwrap()).unwrap().is_empty());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn add_writes_the_permission_words_and_rotate_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("clients.txt");
        let args = ["add", "--id", "rs", "--audience", "x", "--permit", "introspect"];
        run_in(&file, &args).unwrap();
        let args = ["add", "--id", "adm", "--audience", "x", "--permit=revoke", "--ttl", "5m"];
        run_in(&file, &[&args[..], &["--permit", "introspect"]].concat()).unwrap();
        run_in(&file, &["rotate", "--id", "adm"]).unwrap();
        let registry = ClientRegistry::parse(&std::fs::read(&file).unwrap()).unwrap();
        let rs = registry.client("rs").unwrap();
        assert_eq!(rs.permissions, Permissions { revoke: false, introspect: true });
        let admin = registry.client("adm").unwrap();
        assert_eq!(admin.permissions, Permissions { revoke: true, introspect: true });
        assert_eq!((admin.secret_count(), admin.ttl), (2, Some(300)));
        let refused = run_in(&file, &["add", "--id", "z", "--audience", "x", "--permit", "all"]);
        assert!(refused.is_err());
    }
}
