//! Embeds the git commit for `credentialflow --version`.

include!("../../build-support/git_commit.rs");

fn main() {
    let dir = std::path::PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo::rustc-env=CREDENTIALFLOW_GIT_COMMIT={}", git_commit(&dir));
}
