//! Command-line parsing, by hand: three subcommands do not justify a parser dependency.

use std::path::PathBuf;
use std::str::FromStr;

use jsonwebtoken::Algorithm;
use serde_json::Value;

use crate::duration::parse_duration;
use crate::error::CliError;

/// Top-level usage.
pub const USAGE: &str = "\
credentialflow: keys and test tokens for CredentialFlow

Usage:
  credentialflow keygen --alg ALG --out DIR [--kid KID] [--bits 2048|3072|4096] [--force]
  credentialflow mint --key FILE --alg ALG [options]
  credentialflow inspect TOKEN|- [--json]
  credentialflow client add|rotate|remove --clients-file F --id ID [options]
  credentialflow apikey create|list|revoke --file F [options]
  credentialflow help [COMMAND]
  credentialflow --version

ALG: HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA
Run 'credentialflow COMMAND --help' for a command's options.
";

/// `keygen --help`.
pub const KEYGEN_USAGE: &str = "\
Usage: credentialflow keygen --alg ALG --out DIR [--kid KID] [--bits N] [--force]

Generates a signing key for ALG in DIR (created if missing):
  RS*/PS*/ES*/EdDSA  DIR/private.pem  PKCS#8 private key (mode 0600)
                     DIR/public.pem   SPKI public key (BEGIN PUBLIC KEY)
                     DIR/jwks.json    JWK Set with the public key
  HS*                DIR/secret       random raw bytes, 32/48/64 for HS256/384/512 (mode 0600)
                     DIR/jwks.json    JWK Set with the secret as an oct key (mode 0600)

Options:
  --alg ALG    HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 EdDSA
  --out DIR    where to write the files
  --kid KID    key id in jwks.json (default: the RFC 7638 JWK thumbprint)
  --bits N     RSA modulus size: 2048 (default), 3072 or 4096
  --force      overwrite existing files
";

/// `mint --help`.
pub const MINT_USAGE: &str = "\
Usage: credentialflow mint --key FILE --alg ALG [options]

Prints one signed compact JWS (a JWT) and a newline.

  --key FILE          private key PEM (PKCS#8, PKCS#1 RSA or SEC1 EC), or for HS* the
                      raw secret file (used byte for byte)
  --alg ALG           signing algorithm; 'none' makes an unsigned token (no --key)
  --sub S             subject
  --scope \"a b\"       scope claim
  --iss ISS           issuer
  --aud AUD           audience; repeat for several (then aud is an array)
  --kid KID           key id in the header
  --jti JTI           token id
  --ttl DURATION      lifetime, exp = now + DURATION (default 15m); negative = expired
  --nbf-in DURATION   set nbf = now + DURATION
  --iat-in DURATION   set iat = now + DURATION (default: iat = now)
  --no-exp            omit exp
  --no-iat            omit iat
  --claim NAME=VALUE  set a claim; VALUE is JSON if it parses, else a string
                      (--claim n=1 is a number, --claim n='\"1\"' a string); repeatable,
                      overrides the options above
  --header NAME=VALUE set a header field the same way (e.g. --header typ=at+jwt); may
                      even override alg
  --drop-claim NAME   remove a claim after everything else
  --drop-header NAME  remove a header field after everything else (e.g. typ)

DURATION: 30s 15m 1h 2d 1w, combined like 1h30m, plain seconds, '-' for the past.
";

/// `inspect --help`.
pub const INSPECT_USAGE: &str = "\
Usage: credentialflow inspect TOKEN|- [--json]

Decodes a compact JWS (use - to read it from stdin) and prints its header and claims as
JSON with readable exp/nbf/iat times. The signature is NOT verified.

  --json   print one JSON object {header, claims, signature_bytes, signature_verified}
";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub enum Command {
    /// Print usage: general, or for one command.
    Help(Option<HelpTopic>),
    /// `--version`: the version and the git commit of this build.
    Version,
    /// `keygen`.
    Keygen(KeygenArgs),
    /// `mint` (boxed: it is much larger than the others).
    Mint(Box<MintArgs>),
    /// `inspect`.
    Inspect(InspectArgs),
    /// `client add|rotate|remove` and its arguments (parsed by `client.rs`).
    Client(Vec<String>),
    /// `apikey create|list|revoke` and its arguments (parsed by `apikey.rs`).
    ApiKey(Vec<String>),
}

/// A command with its own usage text.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum HelpTopic {
    /// `keygen --help`.
    Keygen,
    /// `mint --help`.
    Mint,
    /// `inspect --help`.
    Inspect,
}

impl HelpTopic {
    /// The usage text for this topic.
    pub fn text(self) -> &'static str {
        match self {
            Self::Keygen => KEYGEN_USAGE,
            Self::Mint => MINT_USAGE,
            Self::Inspect => INSPECT_USAGE,
        }
    }
}

/// `keygen`'s arguments.
#[derive(Debug, PartialEq)]
pub struct KeygenArgs {
    /// Algorithm the key is for.
    pub alg: Algorithm,
    /// Output directory.
    pub out: PathBuf,
    /// Key id; `None` means the JWK thumbprint.
    pub kid: Option<String>,
    /// RSA modulus bits.
    pub bits: usize,
    /// Overwrite existing files.
    pub force: bool,
}

/// How `mint` signs.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum MintAlg {
    /// Unsigned (`"alg": "none"`, empty signature).
    None,
    /// Signed with this algorithm.
    Signed(Algorithm),
}

/// `mint`'s arguments.
#[derive(Debug, PartialEq)]
pub struct MintArgs {
    /// Signing key file; `None` only for `--alg none`.
    pub key: Option<PathBuf>,
    /// Signing algorithm.
    pub alg: MintAlg,
    /// `sub`.
    pub sub: Option<String>,
    /// `scope`.
    pub scope: Option<String>,
    /// `iss`.
    pub iss: Option<String>,
    /// `aud` values.
    pub audiences: Vec<String>,
    /// Header `kid`.
    pub kid: Option<String>,
    /// `jti`.
    pub jti: Option<String>,
    /// Seconds from now to `exp`; `None` with `--no-exp`.
    pub ttl: Option<i64>,
    /// Seconds from now to `nbf`.
    pub nbf_in: Option<i64>,
    /// Seconds from now to `iat`; `None` with `--no-iat`.
    pub iat_in: Option<i64>,
    /// `--claim` overrides, in order.
    pub claims: Vec<(String, Value)>,
    /// `--header` overrides, in order.
    pub headers: Vec<(String, Value)>,
    /// `--drop-claim` names.
    pub drop_claims: Vec<String>,
    /// `--drop-header` names.
    pub drop_headers: Vec<String>,
}

/// `inspect`'s arguments.
#[derive(Debug, PartialEq)]
pub struct InspectArgs {
    /// The token, or `-` for stdin.
    pub token: String,
    /// Machine-readable output.
    pub json: bool,
}

/// Default token lifetime: 15 minutes.
pub const DEFAULT_TTL: i64 = 15 * 60;

/// Parses the arguments after the program name.
pub fn parse(args: Vec<String>) -> Result<Command, CliError> {
    let mut args = args.into_iter();
    let Some(command) = args.next() else {
        return Err(CliError::usage("no command given; try 'credentialflow --help'"));
    };
    let rest: Vec<String> = args.collect();
    if command == "client" {
        return Ok(Command::Client(rest));
    }
    if command == "apikey" {
        return Ok(Command::ApiKey(rest));
    }
    let rest = Cursor::new(rest);
    match command.as_str() {
        "-h" | "--help" => Ok(Command::Help(None)),
        "-V" | "--version" | "version" => Ok(Command::Version),
        "help" => parse_help(rest),
        "keygen" => parse_keygen(rest),
        "mint" => parse_mint(rest),
        "inspect" => parse_inspect(rest),
        other => Err(CliError::usage(format!(
            "unknown command {other:?}; the commands are keygen, mint, inspect, client and apikey"
        ))),
    }
}

fn parse_help(mut args: Cursor) -> Result<Command, CliError> {
    let topic = match args.next() {
        None => None,
        Some(Arg::Positional(name)) => Some(match name.as_str() {
            "keygen" => HelpTopic::Keygen,
            "mint" => HelpTopic::Mint,
            "inspect" => HelpTopic::Inspect,
            _ => return Err(CliError::usage(format!("no help for {name:?}"))),
        }),
        Some(Arg::Option(name, _)) => return Err(unknown_option(&name, "help")),
    };
    Ok(Command::Help(topic))
}

fn parse_keygen(mut args: Cursor) -> Result<Command, CliError> {
    let (mut alg, mut out, mut kid, mut bits, mut force) = (None, None, None, None, false);
    while let Some(arg) = args.next() {
        match arg {
            Arg::Option(name, inline) => match name.as_str() {
                "--help" => return Ok(Command::Help(Some(HelpTopic::Keygen))),
                "--alg" => set_once(&mut alg, &name, parse_alg(&args.value(&name, inline)?)?)?,
                "--out" => set_once(&mut out, &name, PathBuf::from(args.value(&name, inline)?))?,
                "--kid" => {
                    set_once(&mut kid, &name, non_empty(&name, args.value(&name, inline)?)?)?
                }
                "--bits" => {
                    let value = args.value(&name, inline)?;
                    let parsed = value
                        .parse::<usize>()
                        .map_err(|_| CliError::usage(format!("--bits: not a number: {value:?}")))?;
                    set_once(&mut bits, &name, parsed)?;
                }
                "--force" => {
                    no_value(&name, inline)?;
                    force = true;
                }
                _ => return Err(unknown_option(&name, "keygen")),
            },
            Arg::Positional(value) => return Err(unexpected(&value, "keygen")),
        }
    }
    let alg = alg.ok_or_else(|| missing("--alg", "keygen"))?;
    if bits.is_some() && !matches!(alg.family(), jsonwebtoken::AlgorithmFamily::Rsa) {
        return Err(CliError::usage("--bits only applies to RSA algorithms (RS*, PS*)"));
    }
    let bits = bits.unwrap_or(2048);
    if !crate::keys::RSA_BITS.contains(&bits) {
        return Err(CliError::usage(format!("--bits must be 2048, 3072 or 4096, not {bits}")));
    }
    let out = out.ok_or_else(|| missing("--out", "keygen"))?;
    Ok(Command::Keygen(KeygenArgs { alg, out, kid, bits, force }))
}

fn parse_mint(mut args: Cursor) -> Result<Command, CliError> {
    let mut key = None;
    let mut alg = None;
    let (mut sub, mut scope, mut iss, mut kid, mut jti) = (None, None, None, None, None);
    let (mut ttl, mut nbf_in, mut iat_in) = (None, None, None);
    let (mut no_exp, mut no_iat) = (false, false);
    let mut audiences = Vec::new();
    let (mut claims, mut headers) = (Vec::new(), Vec::new());
    let (mut drop_claims, mut drop_headers) = (Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        let (name, inline) = match arg {
            Arg::Option(name, inline) => (name, inline),
            Arg::Positional(value) => return Err(unexpected(&value, "mint")),
        };
        match name.as_str() {
            "--help" => return Ok(Command::Help(Some(HelpTopic::Mint))),
            "--key" => set_once(&mut key, &name, PathBuf::from(args.value(&name, inline)?))?,
            "--alg" => {
                let value = args.value(&name, inline)?;
                let parsed = if value == "none" {
                    MintAlg::None
                } else {
                    MintAlg::Signed(parse_alg(&value)?)
                };
                set_once(&mut alg, &name, parsed)?;
            }
            "--sub" => set_once(&mut sub, &name, args.value(&name, inline)?)?,
            "--scope" => set_once(&mut scope, &name, args.value(&name, inline)?)?,
            "--iss" => set_once(&mut iss, &name, args.value(&name, inline)?)?,
            "--kid" => set_once(&mut kid, &name, args.value(&name, inline)?)?,
            "--jti" => set_once(&mut jti, &name, args.value(&name, inline)?)?,
            "--aud" => audiences.push(args.value(&name, inline)?),
            "--ttl" => set_once(&mut ttl, &name, duration(&name, &args.value(&name, inline)?)?)?,
            "--nbf-in" => {
                set_once(&mut nbf_in, &name, duration(&name, &args.value(&name, inline)?)?)?
            }
            "--iat-in" => {
                set_once(&mut iat_in, &name, duration(&name, &args.value(&name, inline)?)?)?
            }
            "--no-exp" => {
                no_value(&name, inline)?;
                no_exp = true;
            }
            "--no-iat" => {
                no_value(&name, inline)?;
                no_iat = true;
            }
            "--claim" => claims.push(name_value(&name, &args.value(&name, inline)?)?),
            "--header" => headers.push(name_value(&name, &args.value(&name, inline)?)?),
            "--drop-claim" => drop_claims.push(non_empty(&name, args.value(&name, inline)?)?),
            "--drop-header" => drop_headers.push(non_empty(&name, args.value(&name, inline)?)?),
            _ => return Err(unknown_option(&name, "mint")),
        }
    }
    let alg = alg.ok_or_else(|| missing("--alg", "mint"))?;
    match (alg, &key) {
        (MintAlg::Signed(_), None) => return Err(missing("--key", "mint")),
        (MintAlg::None, Some(_)) => {
            return Err(CliError::usage("--alg none makes an unsigned token; drop --key"));
        }
        _ => {}
    }
    if no_exp && ttl.is_some() {
        return Err(CliError::usage("--no-exp and --ttl contradict each other"));
    }
    if no_iat && iat_in.is_some() {
        return Err(CliError::usage("--no-iat and --iat-in contradict each other"));
    }
    Ok(Command::Mint(Box::new(MintArgs {
        key,
        alg,
        sub,
        scope,
        iss,
        audiences,
        kid,
        jti,
        ttl: if no_exp { None } else { Some(ttl.unwrap_or(DEFAULT_TTL)) },
        nbf_in,
        iat_in: if no_iat { None } else { Some(iat_in.unwrap_or(0)) },
        claims,
        headers,
        drop_claims,
        drop_headers,
    })))
}

fn parse_inspect(mut args: Cursor) -> Result<Command, CliError> {
    let (mut token, mut json) = (None, false);
    while let Some(arg) = args.next() {
        match arg {
            Arg::Option(name, inline) => match name.as_str() {
                "--help" => return Ok(Command::Help(Some(HelpTopic::Inspect))),
                "--json" => {
                    no_value(&name, inline)?;
                    json = true;
                }
                _ => return Err(unknown_option(&name, "inspect")),
            },
            Arg::Positional(value) => set_once(&mut token, "TOKEN", value)?,
        }
    }
    let token = token.ok_or_else(|| missing("TOKEN (or - for stdin)", "inspect"))?;
    Ok(Command::Inspect(InspectArgs { token, json }))
}

/// One command-line word, classified.
#[derive(Debug, PartialEq)]
enum Arg {
    /// `--name` or `--name=value` (the value inline); `-h` becomes `--help`.
    Option(String, Option<String>),
    /// Anything else, and everything after `--`.
    Positional(String),
}

struct Cursor {
    args: std::vec::IntoIter<String>,
    only_positionals: bool,
}

impl Cursor {
    fn new(args: Vec<String>) -> Self {
        Self { args: args.into_iter(), only_positionals: false }
    }

    fn next(&mut self) -> Option<Arg> {
        let arg = self.args.next()?;
        if self.only_positionals {
            return Some(Arg::Positional(arg));
        }
        if arg == "--" {
            self.only_positionals = true;
            return self.next();
        }
        if arg == "-h" {
            return Some(Arg::Option("--help".to_owned(), None));
        }
        if arg.starts_with("--") {
            return Some(match arg.split_once('=') {
                Some((name, value)) => Arg::Option(name.to_owned(), Some(value.to_owned())),
                None => Arg::Option(arg, None),
            });
        }
        // A lone "-" means stdin; any other dash word is an option we do not know.
        if arg.len() > 1 && arg.starts_with('-') {
            return Some(Arg::Option(arg, None));
        }
        Some(Arg::Positional(arg))
    }

    /// An option's value: inline after `=`, else the next word taken verbatim, so that
    /// `--ttl -1h` works.
    fn value(&mut self, name: &str, inline: Option<String>) -> Result<String, CliError> {
        match inline {
            Some(value) => Ok(value),
            None => {
                self.args.next().ok_or_else(|| CliError::usage(format!("{name} needs a value")))
            }
        }
    }
}

fn no_value(name: &str, inline: Option<String>) -> Result<(), CliError> {
    match inline {
        None => Ok(()),
        Some(_) => Err(CliError::usage(format!("{name} takes no value"))),
    }
}

fn set_once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), CliError> {
    if slot.is_some() {
        return Err(CliError::usage(format!("{name} given more than once")));
    }
    *slot = Some(value);
    Ok(())
}

fn non_empty(name: &str, value: String) -> Result<String, CliError> {
    if value.is_empty() {
        return Err(CliError::usage(format!("{name} must not be empty")));
    }
    Ok(value)
}

fn parse_alg(value: &str) -> Result<Algorithm, CliError> {
    Algorithm::from_str(value).map_err(|_| {
        CliError::usage(format!(
            "unknown algorithm {value:?}; use one of HS256 HS384 HS512 RS256 RS384 RS512 \
             PS256 PS384 PS512 ES256 ES384 EdDSA"
        ))
    })
}

fn duration(name: &str, value: &str) -> Result<i64, CliError> {
    parse_duration(value).map_err(|e| CliError::usage(format!("{name}: {e}")))
}

/// `NAME=VALUE`, the value parsed as JSON when it is JSON and kept as a string otherwise.
fn name_value(option: &str, text: &str) -> Result<(String, Value), CliError> {
    let (name, raw) = text
        .split_once('=')
        .ok_or_else(|| CliError::usage(format!("{option} wants NAME=VALUE, got {text:?}")))?;
    if name.is_empty() {
        return Err(CliError::usage(format!("{option} wants NAME=VALUE, got {text:?}")));
    }
    let value = serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()));
    Ok((name.to_owned(), value))
}

fn unknown_option(name: &str, command: &str) -> CliError {
    CliError::usage(format!("unknown option {name} for {command}; see '{command} --help'"))
}

fn unexpected(value: &str, command: &str) -> CliError {
    CliError::usage(format!("unexpected argument {value:?} for {command}"))
}

fn missing(what: &str, command: &str) -> CliError {
    CliError::usage(format!("{command} needs {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_words(words: &[&str]) -> Result<Command, CliError> {
        parse(words.iter().map(|w| (*w).to_owned()).collect())
    }

    fn mint(words: &[&str]) -> MintArgs {
        let mut all = vec!["mint"];
        all.extend_from_slice(words);
        match parse_words(&all) {
            Ok(Command::Mint(args)) => *args,
            other => panic!("{words:?} parsed as {other:?}"),
        }
    }

    fn usage_error(words: &[&str]) -> String {
        match parse_words(words) {
            Err(CliError::Usage(message)) => message,
            other => panic!("{words:?} gave {other:?}, not a usage error"),
        }
    }

    #[test]
    fn help_everywhere() {
        assert_eq!(parse_words(&["--help"]), Ok(Command::Help(None)));
        assert_eq!(parse_words(&["-h"]), Ok(Command::Help(None)));
        assert_eq!(parse_words(&["help"]), Ok(Command::Help(None)));
        assert_eq!(parse_words(&["help", "mint"]), Ok(Command::Help(Some(HelpTopic::Mint))));
        assert_eq!(parse_words(&["keygen", "-h"]), Ok(Command::Help(Some(HelpTopic::Keygen))));
        assert_eq!(
            parse_words(&["inspect", "--help"]),
            Ok(Command::Help(Some(HelpTopic::Inspect)))
        );
        // --help wins over missing required options.
        assert_eq!(parse_words(&["mint", "--help"]), Ok(Command::Help(Some(HelpTopic::Mint))));
        usage_error(&["help", "frob"]);
    }

    #[test]
    fn version_spellings() {
        for word in ["--version", "-V", "version"] {
            assert_eq!(parse_words(&[word]), Ok(Command::Version));
        }
    }

    #[test]
    fn keygen_arguments() {
        let parsed = parse_words(&["keygen", "--alg", "RS384", "--out=/tmp/k", "--bits", "3072"]);
        assert_eq!(
            parsed,
            Ok(Command::Keygen(KeygenArgs {
                alg: Algorithm::RS384,
                out: PathBuf::from("/tmp/k"),
                kid: None,
                bits: 3072,
                force: false,
            }))
        );
        let Ok(Command::Keygen(args)) =
            parse_words(&["keygen", "--alg", "EdDSA", "--out", "d", "--kid", "k1", "--force"])
        else {
            panic!("keygen did not parse");
        };
        assert_eq!(
            (args.alg, args.kid.as_deref(), args.bits, args.force),
            (Algorithm::EdDSA, Some("k1"), 2048, true)
        );
    }

    #[test]
    fn keygen_usage_errors() {
        usage_error(&["keygen", "--out", "d"]);
        usage_error(&["keygen", "--alg", "ES256"]);
        usage_error(&["keygen", "--alg", "ES512", "--out", "d"]);
        usage_error(&["keygen", "--alg", "none", "--out", "d"]);
        usage_error(&["keygen", "--alg", "es256", "--out", "d"]);
        usage_error(&["keygen", "--alg", "ES256", "--out", "d", "--bits", "2048"]);
        usage_error(&["keygen", "--alg", "RS256", "--out", "d", "--bits", "1024"]);
        usage_error(&["keygen", "--alg", "RS256", "--out", "d", "--bits", "big"]);
        usage_error(&["keygen", "--alg", "RS256", "--alg", "RS256", "--out", "d"]);
        usage_error(&["keygen", "--alg", "RS256", "--out", "d", "--force=yes"]);
        usage_error(&["keygen", "--alg", "RS256", "--out", "d", "extra"]);
        usage_error(&["keygen", "--alg", "RS256", "--out", "d", "--kid", ""]);
        usage_error(&["keygen", "--alg", "RS256", "--out"]);
        usage_error(&["keygen", "--alg", "RS256", "--out", "d", "-x"]);
    }

    #[test]
    fn mint_defaults() {
        let args = mint(&["--key", "k.pem", "--alg", "ES256"]);
        assert_eq!(args.key, Some(PathBuf::from("k.pem")));
        assert_eq!(args.alg, MintAlg::Signed(Algorithm::ES256));
        assert_eq!((args.ttl, args.iat_in, args.nbf_in), (Some(DEFAULT_TTL), Some(0), None));
        assert!(args.audiences.is_empty() && args.claims.is_empty() && args.headers.is_empty());
    }

    #[test]
    fn mint_options() {
        let args = mint(&[
            "--key",
            "s",
            "--alg",
            "HS512",
            "--sub",
            "alice",
            "--scope",
            "read write",
            "--iss",
            "https://issuer",
            "--aud",
            "a",
            "--aud=b",
            "--kid",
            "k1",
            "--jti",
            "j1",
            "--ttl",
            "-1h",
            "--nbf-in",
            "5m",
            "--iat-in=-30",
            "--claim",
            "exp=\"123\"",
            "--claim",
            "n=5",
            "--claim",
            "s=hello",
            "--claim",
            "e=",
            "--claim",
            "eq=a=b",
            "--header",
            "typ=at+jwt",
            "--drop-claim",
            "jti",
            "--drop-header",
            "kid",
        ]);
        assert_eq!(args.sub.as_deref(), Some("alice"));
        assert_eq!(args.scope.as_deref(), Some("read write"));
        assert_eq!(args.iss.as_deref(), Some("https://issuer"));
        assert_eq!(args.audiences, ["a", "b"]);
        assert_eq!((args.kid.as_deref(), args.jti.as_deref()), (Some("k1"), Some("j1")));
        assert_eq!((args.ttl, args.nbf_in, args.iat_in), (Some(-3600), Some(300), Some(-30)));
        assert_eq!(
            args.claims,
            [
                ("exp".to_owned(), json!("123")),
                ("n".to_owned(), json!(5)),
                ("s".to_owned(), json!("hello")),
                ("e".to_owned(), json!("")),
                ("eq".to_owned(), json!("a=b")),
            ]
        );
        assert_eq!(args.headers, [("typ".to_owned(), json!("at+jwt"))]);
        assert_eq!(
            (args.drop_claims.as_slice(), args.drop_headers.as_slice()),
            (&["jti".to_owned()][..], &["kid".to_owned()][..])
        );
    }

    #[test]
    fn mint_switches_and_none() {
        let args = mint(&["--key", "k", "--alg", "RS256", "--no-exp", "--no-iat"]);
        assert_eq!((args.ttl, args.iat_in), (None, None));
        let args = mint(&["--alg", "none", "--sub", "x"]);
        assert_eq!((args.alg, args.key), (MintAlg::None, None));
    }

    #[test]
    fn mint_usage_errors() {
        usage_error(&["mint", "--alg", "RS256"]);
        usage_error(&["mint", "--key", "k"]);
        usage_error(&["mint", "--key", "k", "--alg", "none"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--ttl", "soon"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--ttl", "1h", "--no-exp"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--iat-in", "1h", "--no-iat"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--claim", "novalue"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--claim", "=v"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--header"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--sub", "a", "--sub", "b"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--no-exp=1"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "token"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--", "--sub"]);
        usage_error(&["mint", "--key", "k", "--alg", "RS256", "--bogus"]);
    }

    #[test]
    fn inspect_arguments() {
        let expect =
            |token: &str, json| Ok(Command::Inspect(InspectArgs { token: token.to_owned(), json }));
        assert_eq!(parse_words(&["inspect", "-"]), expect("-", false));
        assert_eq!(parse_words(&["inspect", "a.b.c", "--json"]), expect("a.b.c", true));
        assert_eq!(parse_words(&["inspect", "--", "-a.b.c"]), expect("-a.b.c", false));
        usage_error(&["inspect"]);
        usage_error(&["inspect", "a", "b"]);
        usage_error(&["inspect", "--json=1", "a"]);
        usage_error(&["inspect", "-x"]);
    }

    #[test]
    fn unknown_or_missing_command() {
        usage_error(&[]);
        usage_error(&["frob"]);
        usage_error(&["--frob"]);
    }
}
