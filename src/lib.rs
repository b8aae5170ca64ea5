//! `ngx_http_credentialflow_module`: validates JWT bearer tokens in nginx's access phase.
//!
//! This file is the module's whole FFI surface: the module static, its context table and its
//! process hooks. Directives live in `conf/`, the access handler in `handler.rs`, variables in
//! `variables.rs`; the decisions themselves are made by the `credentialflow-core` crate.

mod complex_value;
mod conf;
mod disk_file;
mod ffi_guard;
mod handler;
mod headers;
mod metrics;
mod oauth;
mod redis;
mod remote_keys;
mod request_ctx;
mod variables;
mod watch_timer;
mod worker_state;
mod worker_user;
mod zone;

use std::ptr::{addr_of, addr_of_mut};

use credentialflow_core::jose::crypto;
use ngx::core::Status;
use ngx::ffi::{
    ngx_array_push, ngx_conf_t, ngx_cycle, ngx_cycle_t, ngx_http_handler_pt, ngx_http_module_t,
    ngx_http_phases_NGX_HTTP_ACCESS_PHASE, ngx_http_phases_NGX_HTTP_REWRITE_PHASE,
    ngx_http_request_t, ngx_int_t, ngx_module_t, ngx_test_config, NGINX_VER, NGX_HTTP_MODULE,
    NGX_LOG_EMERG, NGX_LOG_NOTICE,
};
use ngx::http::{HttpModuleMainConf, NgxHttpCoreModule};
use ngx::ngx_log_error;

use crate::conf::{LocConf, MainConf};
use crate::ffi_guard::guarded;

/// The module's marker type, tying its configuration types to the module static.
pub struct Module;

impl ngx::http::HttpModule for Module {
    fn module() -> &'static ngx_module_t {
        // SAFETY: the static is only mutated by nginx while loading modules, before any use.
        unsafe { &*addr_of!(ngx_http_credentialflow_module) }
    }
}

// SAFETY: the types named are exactly the ones create_main_conf/create_loc_conf allocate.
unsafe impl HttpModuleMainConf for Module {
    type MainConf = MainConf;
}

// SAFETY: as above.
unsafe impl ngx::http::HttpModuleLocationConf for Module {
    type LocationConf = LocConf;
}

static CTX: ngx_http_module_t = ngx_http_module_t {
    preconfiguration: Some(preconfiguration),
    postconfiguration: Some(postconfiguration),
    create_main_conf: Some(conf::create_main_conf),
    init_main_conf: None,
    create_srv_conf: None,
    merge_srv_conf: None,
    create_loc_conf: Some(conf::create_loc_conf),
    merge_loc_conf: Some(conf::merge_loc_conf),
};

#[cfg(feature = "export-modules")]
ngx::ngx_modules!(ngx_http_credentialflow_module);

/// The module, as nginx sees it.
#[used]
#[allow(non_upper_case_globals)]
#[cfg_attr(not(feature = "export-modules"), no_mangle)]
pub static mut ngx_http_credentialflow_module: ngx_module_t = ngx_module_t {
    ctx: addr_of!(CTX) as _,
    // SAFETY: only the address is taken; nginx reads the table during configuration.
    commands: unsafe { addr_of_mut!(conf::COMMANDS[0]) },
    type_: NGX_HTTP_MODULE as _,
    init_module: Some(init_module),
    init_process: Some(init_process),
    exit_process: Some(exit_process),
    ..ngx_module_t::default()
};

/// Installs jsonwebtoken's crypto provider for this build's backend (before any fork, so every
/// worker has it) and registers the variables, which must exist before the configuration that
/// uses them is parsed. Verification never goes through jsonwebtoken's provider (keys are
/// prepared by the core); the install only keeps any jsonwebtoken call from meeting the
/// panicking placeholder it falls back to without one (ring builds).
unsafe extern "C" fn preconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
    guarded((*cf).log, "preconfiguration", Status::NGX_ERROR.into(), || {
        credentialflow_core::jose::crypto::install_provider();
        // SAFETY: nginx passes a valid configuration context.
        match unsafe { variables::register(cf) } {
            Ok(()) => Status::NGX_OK.into(),
            Err(()) => Status::NGX_ERROR.into(),
        }
    })
}

/// Adds the phase handlers and asks for the shared zone. In the access phase the module is last in the module list, and
/// phase handlers run in reverse order, so it runs before `allow`/`deny` and `auth_basic`. In
/// the rewrite phase it removes client copies of forwarded headers before any access module
/// can grant access.
unsafe extern "C" fn postconfiguration(cf: *mut ngx_conf_t) -> ngx_int_t {
    guarded((*cf).log, "postconfiguration", Status::NGX_ERROR.into(), || {
        // SAFETY: nginx passes a valid configuration context whose http core conf exists.
        let cf = unsafe { &mut *cf };
        let Some(cmcf) = NgxHttpCoreModule::main_conf_mut(cf) else {
            return Status::NGX_ERROR.into();
        };
        let handlers = [
            (ngx_http_phases_NGX_HTTP_REWRITE_PHASE, handler::strip_handler as HandlerFn),
            (ngx_http_phases_NGX_HTTP_ACCESS_PHASE, handler::access_handler),
        ];
        for (phase, handler) in handlers {
            let phase = &mut cmcf.phases[phase as usize].handlers;
            // SAFETY: the phase array holds ngx_http_handler_pt elements.
            let slot: *mut ngx_http_handler_pt = unsafe { ngx_array_push(phase).cast() };
            if slot.is_null() {
                return Status::NGX_ERROR.into();
            }
            // SAFETY: slot points at a freshly pushed element of the right type.
            unsafe { *slot = Some(handler) };
        }
        // SAFETY: postconfiguration runs once per configuration read, in one thread.
        unsafe { oauth::body_limit::install() };
        // Every location is merged by now: the zone exists only where the module is on.
        if let Some(main) = Module::main_conf_mut(cf) {
            if main.protects_somewhere {
                // SAFETY: cf is the configuration being read.
                let size = main.zone_size();
                let main_ptr: *mut conf::MainConf = main;
                match unsafe { zone::add(cf, size, main_ptr) } {
                    Ok(shm_zone) => main.zone = Some(shm_zone),
                    Err(()) => return Status::NGX_ERROR.into(),
                }
            }
        }
        Status::NGX_OK.into()
    })
}

type HandlerFn = unsafe extern "C" fn(*mut ngx_http_request_t) -> ngx_int_t;

/// The module's version, the commit it was built from and the nginx it was built for, as
/// `nginx -V` names nginx's own: `credentialflow/0.1.0 (git 1a2b3c4; nginx/1.28.3; aws-lc)`.
fn version_line() -> String {
    format!(
        "credentialflow/{} (git {}; {}; {})",
        env!("CARGO_PKG_VERSION"),
        env!("CREDENTIALFLOW_GIT_COMMIT"),
        NGINX_VER.to_string_lossy(),
        crypto::BACKEND_NAME
    )
}

/// In the master, once the whole configuration (the `user` directive included) is settled:
/// log the module's version (at start, reload and `nginx -t`), warn about revocation files
/// the workers will not be able to re-read, and refuse those a revocation endpoint cannot
/// append to.
///
/// A panic here refuses the configuration where refusing is safe (see
/// [`init_module_may_refuse`]): the checks it would skip (FIPS mode, files a revocation
/// endpoint appends to) are not optional.
unsafe extern "C" fn init_module(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    // SAFETY: nginx calls init_module in the master while it configures.
    let refuse: ngx_int_t = match unsafe { init_module_may_refuse() } {
        true => Status::NGX_ERROR.into(),
        false => Status::NGX_OK.into(),
    };
    guarded((*cycle).log, "init_module", refuse, || {
        // SAFETY: nginx passes the new, fully configured cycle.
        let cycle = unsafe { &*cycle };
        ngx_log_error!(NGX_LOG_NOTICE, cycle.log, "{}", version_line());
        // Test-only (scripts/panic-test.sh): a panic where the FIPS check would run, while the
        // file the variable names exists.
        #[cfg(feature = "panic-test")]
        if std::env::var_os("CREDENTIALFLOW_PANIC_IN_INIT_MODULE")
            .is_some_and(|flag| std::path::Path::new(&flag).exists())
        {
            panic!("credentialflow_panic_test in init_module");
        }
        // A FIPS build never runs outside FIPS mode (nginx -t included). The mode is settled
        // when the process starts, so a reload cannot find it otherwise.
        if let Err(why) = crypto::check_fips_mode() {
            ngx_log_error!(NGX_LOG_EMERG, cycle.log, "credentialflow: {why}");
            return refuse;
        }
        if let Some(main) = Module::main_conf(cycle) {
            // SAFETY: called from init_module with nginx's cycle.
            unsafe { worker_user::check_revocation_files(cycle, &main.revocation_sources) };
            // SAFETY: as above.
            if unsafe { worker_user::check_appended_files(cycle, &main.appended_files) }.is_err() {
                return Status::NGX_ERROR.into();
            }
        }
        Status::NGX_OK.into()
    })
}

/// Whether `init_module` may refuse the configuration: at `nginx -t` and at start, where a
/// refusal is an error message. On a reload an error there ends the running master
/// (`ngx_cycle.c`: "fatal"), so a reload is only told, with an alert.
///
/// # Safety
/// Call in the master while it configures (from `init_module`).
pub(crate) unsafe fn init_module_may_refuse() -> bool {
    // SAFETY: nginx's globals, read in the master while it configures.
    unsafe {
        let current = std::ptr::read_volatile(&raw const ngx_cycle);
        ngx_test_config != 0 || current.is_null() || (*current).conf_ctx.is_null()
    }
}

/// Per worker: size the token cache, start watching revocation files, and (worker 0) follow
/// Redis.
unsafe extern "C" fn init_process(cycle: *mut ngx_cycle_t) -> ngx_int_t {
    guarded((*cycle).log, "init_process", Status::NGX_ERROR.into(), || {
        // SAFETY: nginx passes the current, fully configured cycle.
        let cycle = unsafe { &mut *cycle };
        if let Some(main) = Module::main_conf(cycle) {
            worker_state::init(main.cache_size());
            // SAFETY: called once per worker, on the worker's own event loop.
            unsafe {
                watch_timer::start(
                    cycle,
                    main.zone,
                    &main.revocation_sources,
                    &main.oauth_registries,
                    &main.api_key_registries,
                )
            };
            // SAFETY: as above.
            unsafe { redis::start(cycle, main) };
        }
        Status::NGX_OK.into()
    })
}

unsafe extern "C" fn exit_process(cycle: *mut ngx_cycle_t) {
    guarded((*cycle).log, "exit_process", (), || {
        watch_timer::stop();
        redis::stop();
        worker_state::clear();
    })
}
