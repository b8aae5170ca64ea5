// Included by the build scripts of the module (build.rs) and of the CLI (crates/cli/build.rs):
// the commit a build was made from, for `credentialflow --version` and the module's start line.

/// `git rev-parse --short HEAD` of the tree at `dir`; else $CREDENTIALFLOW_GIT_COMMIT (a build
/// from a tarball or a Debian source package may set it); else "unknown". Asks cargo to rerun
/// the build script when HEAD moves.
fn git_commit(dir: &std::path::Path) -> String {
    println!("cargo::rerun-if-env-changed=CREDENTIALFLOW_GIT_COMMIT");
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    if let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) {
        // HEAD, the branch it names and packed-refs: a commit changes one of them (in a
        // worktree, HEAD is the worktree's own and the refs are the common directory's).
        let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watched.push(branch);
        }
        for name in watched {
            if let Some(path) = git(&["rev-parse", "--path-format=absolute", "--git-path", &name]) {
                if std::path::Path::new(&path).exists() {
                    println!("cargo::rerun-if-changed={path}");
                }
            }
        }
        return commit;
    }
    match std::env::var("CREDENTIALFLOW_GIT_COMMIT") {
        Ok(commit) if !commit.trim().is_empty() => commit.trim().to_owned(),
        _ => "unknown".to_owned(),
    }
}
