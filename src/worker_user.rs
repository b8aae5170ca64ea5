//! Files the worker processes must re-read (revocation files) are checked against the account
//! the workers will run as. nginx switches to the `user` directive's user and group, plus that
//! user's supplementary groups (`initgroups`), only when the master runs as root; the master
//! reads the configuration as root, so a file only root can read passes `nginx -t` and loads
//! at startup, and then no change to it is ever applied.
//!
//! The check runs from `init_module`, the first hook after the core module has settled the
//! `user` directive (it may follow `http {}`, or be absent and default to nobody), and it runs
//! for `nginx -t`, at start and on every reload, so the warning reaches `nginx -t`'s output.

use std::ffi::{c_char, c_int, CStr};
use std::ptr::addr_of;
use std::sync::Arc;

use credentialflow_core::file_access::{readable_by, writable_by, Identity};
use credentialflow_core::revocation::RevocationSource;
use ngx::ffi::{
    geteuid, getgrouplist, ngx_core_conf_t, ngx_core_module, ngx_cycle_t, ngx_gid_t, ngx_uid_t,
    NGX_LOG_ALERT, NGX_LOG_EMERG, NGX_LOG_WARN,
};
use ngx::ngx_log_error;

use crate::conf::args::ConfSite;

/// The workers' account as nginx will set it up, or `None` when the workers keep the master's
/// own identity (which has just read every file): the master is not root, the `user` is root,
/// or there are no worker processes (`master_process off`).
///
/// # Safety
/// `cycle` must be a cycle whose core module configuration has been initialised.
unsafe fn worker_identity(cycle: &ngx_cycle_t) -> Option<(String, Identity)> {
    // SAFETY: plain system call.
    if unsafe { geteuid() } != 0 {
        return None;
    }
    // SAFETY: the core module's index is set before any configuration is read; conf_ctx holds
    // one pointer per core module, the core module's being its ngx_core_conf_t.
    let ccf = unsafe {
        let index = (*addr_of!(ngx_core_module)).index;
        (*cycle.conf_ctx.add(index)).cast::<ngx_core_conf_t>().as_ref()?
    };
    // With master_process off, the single process never switches users.
    if ccf.master == 0 || ccf.user == ngx_uid_t::MAX || ccf.user == 0 || ccf.username.is_null() {
        return None;
    }
    // SAFETY: username points at the `user` directive's NUL-terminated word (or NGX_USER).
    let name = unsafe { CStr::from_ptr(ccf.username) };
    // SAFETY: as above; the group is the one nginx passes to initgroups.
    let gids = unsafe { groups_of(name.as_ptr(), ccf.group) };
    let identity = Identity { uid: ccf.user, gids };
    Some((name.to_string_lossy().into_owned(), identity))
}

/// The primary group and the supplementary groups `initgroups` would give the user.
///
/// # Safety
/// `name` must be a NUL-terminated string.
unsafe fn groups_of(name: *const c_char, group: ngx_gid_t) -> Vec<ngx_gid_t> {
    let mut groups: Vec<ngx_gid_t> = vec![0; 64];
    for _ in 0..2 {
        let mut count = c_int::try_from(groups.len()).unwrap_or(c_int::MAX);
        // SAFETY: groups has room for `count` entries; getgrouplist writes at most that many
        // and reports the number needed when it is not enough.
        let rc = unsafe { getgrouplist(name, group, groups.as_mut_ptr(), &mut count) };
        let count = usize::try_from(count).unwrap_or(0);
        if rc >= 0 {
            groups.truncate(count);
            return groups;
        }
        groups.resize(count.max(groups.len()) + 1, 0);
    }
    vec![group]
}

/// Warns about every revocation file the workers' account cannot read.
///
/// # Safety
/// Call from `init_module`, with the cycle nginx passes there.
pub unsafe fn check_revocation_files(cycle: &ngx_cycle_t, sources: &[Arc<RevocationSource>]) {
    if sources.is_empty() {
        return;
    }
    // SAFETY: forwarded from the caller.
    let Some((user, identity)) = (unsafe { worker_identity(cycle) }) else {
        return;
    };
    for source in sources {
        if let Err(denied) = readable_by(source.path(), &identity) {
            ngx_log_error!(
                NGX_LOG_WARN,
                cycle.log,
                "credentialflow_revocation_file \"{}\": worker processes run as user \"{user}\", \
                 who cannot read it ({denied}); its changes would never be applied",
                source.path().display()
            );
        }
    }
}

/// Refuses revocation files a revocation endpoint appends to that the workers cannot write:
/// a revocation answered 200 must be on disk. `Err` (the configuration is refused) where
/// [`crate::init_module_may_refuse`]; on a reload only an alert, and the endpoint then
/// answers 503 until the file is writable.
///
/// # Safety
/// Call from `init_module`, with the cycle nginx passes there.
pub unsafe fn check_appended_files(
    cycle: &ngx_cycle_t,
    files: &[(Arc<RevocationSource>, Option<ConfSite>)],
) -> Result<(), ()> {
    if files.is_empty() {
        return Ok(());
    }
    // SAFETY: forwarded from the caller.
    let workers = unsafe { worker_identity(cycle) };
    // SAFETY: forwarded from the caller (init_module).
    let may_refuse = unsafe { crate::init_module_may_refuse() };
    let mut result = Ok(());
    for (file, at) in files {
        let path = file.path();
        let (user, denied) = match &workers {
            Some((user, identity)) => (
                format!("user \"{user}\""),
                writable_by(path, identity).err().map(|d| d.to_string()),
            ),
            // The workers keep this process's identity: try it.
            None => (
                "nginx's own user".to_owned(),
                std::fs::OpenOptions::new().append(true).open(path).err().map(|e| e.to_string()),
            ),
        };
        let at = at.as_ref().map(|at| format!(" in {at}")).unwrap_or_default();
        let Some(denied) = denied else { continue };
        let level = if may_refuse { NGX_LOG_EMERG } else { NGX_LOG_ALERT };
        ngx_log_error!(
            level as usize,
            cycle.log,
            "credentialflow_oauth_revoke: the worker processes ({user}) cannot write the \
             revocation file \"{}\" ({denied}); a revocation would not survive a restart{at}",
            path.display()
        );
        if may_refuse {
            result = Err(());
        }
    }
    result
}
