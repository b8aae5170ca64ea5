//! `credentialflow`: generate keys, mint test tokens and inspect tokens for CredentialFlow.
#![forbid(unsafe_code)]

mod apikey;
mod cli;
mod client;
mod duration;
mod error;
mod inspect;
mod keygen;
mod keys;
mod mint;
mod options;
mod timefmt;

use std::io::Write;
use std::process::ExitCode;

use cli::Command;
use error::CliError;

fn main() -> ExitCode {
    let args: Vec<String> = match std::env::args_os().skip(1).map(|a| a.into_string()).collect() {
        Ok(args) => args,
        Err(_) => return report(&CliError::usage("arguments must be valid UTF-8")),
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => report(&error),
    }
}

fn report(error: &CliError) -> ExitCode {
    eprintln!("credentialflow: {error}");
    ExitCode::from(error.exit_code())
}

fn run(args: Vec<String>) -> Result<(), CliError> {
    let command = cli::parse(args)?;
    // keygen's self-test goes through jsonwebtoken's JWK helpers and its crypto: make them use
    // this build's backend (with ring, jsonwebtoken has no provider of its own).
    // A FIPS build signs and verifies nothing outside FIPS mode.
    credentialflow_core::jose::crypto::check_fips_mode().map_err(CliError::failed)?;
    if !credentialflow_core::jose::crypto::install_provider() {
        return Err(CliError::failed("internal error: the crypto provider is not in force"));
    }
    let output = match command {
        Command::Help(None) => cli::USAGE.to_owned(),
        Command::Help(Some(topic)) => topic.text().to_owned(),
        Command::Version => version(),
        Command::Keygen(args) => keygen::run(&args)?.join("\n") + "\n",
        Command::Mint(args) => mint::run(&args)? + "\n",
        Command::Inspect(args) => inspect::run(&args, mint::unix_now()?)?,
        Command::Client(args) => client::run(&args)?,
        Command::ApiKey(args) => apikey::run(&args, mint::unix_now()?)?,
    };
    print(&output)
}

/// `credentialflow 0.1.0 (git 1a2b3c4; aws-lc)`: the version, the commit this build was made
/// from and its crypto backend, as the module's start line names them.
fn version() -> String {
    format!(
        "credentialflow {} (git {}; {})\n",
        env!("CARGO_PKG_VERSION"),
        env!("CREDENTIALFLOW_GIT_COMMIT"),
        credentialflow_core::jose::crypto::BACKEND_NAME
    )
}

fn print(text: &str) -> Result<(), CliError> {
    let mut stdout = std::io::stdout().lock();
    let mut text = text.to_owned();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    // A closed pipe (`credentialflow inspect ... | head -1`) is not worth a panic.
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::failed(format!("cannot write output: {e}")))
}
