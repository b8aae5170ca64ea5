//! `credentialflow_redis`, read at configuration time: the address resolved (in the master,
//! like `proxy_pass`), the password read, the names under the prefix.

use std::ffi::CStr;

use credentialflow_core::redis::{handshake, Address, Command, Credentials, Names, RedisOptions};
use ngx::ffi::{
    ngx_parse_time, ngx_parse_url, ngx_sockaddr_t, ngx_str_t, ngx_url_t, sockaddr, socklen_t,
    NGX_ERROR, NGX_OK,
};

use crate::conf::args::{Directive, DirectiveError};

/// The settings every connection of this configuration uses.
pub struct RedisSettings {
    /// The address as configured (for messages).
    pub address: Address,
    /// The resolved socket address, as nginx's connect takes it.
    sockaddr: Box<ngx_sockaddr_t>,
    socklen: socklen_t,
    /// The address as nginx names it in messages (`127.0.0.1:6379`).
    name: Box<[u8]>,
    credentials: Option<Credentials>,
    db: u32,
    /// The key and channel names.
    pub names: Names,
    /// What every name starts with (`prefix=`).
    pub prefix: String,
    /// The longest wait for a connection or a reply, in milliseconds.
    pub timeout_ms: u64,
}

// SAFETY: plain bytes; the socket address is only read, on one thread at a time.
unsafe impl Send for RedisSettings {}
// SAFETY: as above.
unsafe impl Sync for RedisSettings {}

impl RedisSettings {
    /// The socket address for `ngx_peer_connection_t.sockaddr`.
    pub fn sockaddr(&self) -> *const sockaddr {
        std::ptr::from_ref(&*self.sockaddr).cast()
    }

    /// Its length.
    pub fn socklen(&self) -> socklen_t {
        self.socklen
    }

    /// The name for `ngx_peer_connection_t.name` (points into these settings).
    pub fn name_str(&self) -> ngx_str_t {
        ngx_str_t { len: self.name.len(), data: self.name.as_ptr().cast_mut() }
    }

    /// What a new connection sends first.
    pub fn handshake(&self) -> Vec<Command> {
        handshake(self.credentials.as_ref(), self.db)
    }
}

/// Reads the directive: options, password file, address.
pub fn read(d: &Directive<'_>) -> Result<RedisSettings, DirectiveError> {
    let parse_ms = |text: &str| {
        let mut line = ngx_str_t { len: text.len(), data: text.as_ptr().cast_mut() };
        // SAFETY: ngx_parse_time only reads `len` bytes of `data`.
        let ms = unsafe { ngx_parse_time(&mut line, 0) };
        (ms != NGX_ERROR as isize).then_some(ms as u64)
    };
    let options =
        RedisOptions::parse(&d.args, parse_ms).map_err(|e| d.invalid(&e.value, &e.why))?;
    let credentials = match &options.password_file {
        None => None,
        Some(name) => {
            let path = d.full_path(name);
            let fail = |why: String| {
                DirectiveError::Invalid(format!("{} password_file=\"{name}\": {why}", d.name))
            };
            let bytes = std::fs::read(&path).map_err(|e| fail(d.cannot_read(name, &path, &e)))?;
            Some(Credentials::from_file(&bytes).map_err(|e| fail(e.to_string()))?)
        }
    };
    let (sockaddr, socklen, name) = resolve(d, &options.address)?;
    Ok(RedisSettings {
        address: options.address,
        sockaddr,
        socklen,
        name,
        credentials,
        db: options.db,
        names: Names::new(&options.prefix),
        prefix: options.prefix,
        timeout_ms: options.timeout_ms,
    })
}

/// A resolved address: the socket address, its length, and nginx's name for it.
type Resolved = (Box<ngx_sockaddr_t>, socklen_t, Box<[u8]>);

/// Resolves the address with nginx's own parser (names are looked up once, now).
fn resolve(d: &Directive<'_>, address: &Address) -> Result<Resolved, DirectiveError> {
    let text = address.url();
    // SAFETY: ngx_url_t is a plain C struct; zero is how nginx's callers start it.
    let mut url: ngx_url_t = unsafe { std::mem::zeroed() };
    url.url = ngx_str_t { len: text.len(), data: text.as_ptr().cast_mut() };
    url.default_port = credentialflow_core::defaults::REDIS_PORT;
    // SAFETY: cf is the configuration being read; the URL text outlives the call, and what
    // nginx allocates for the result is in the configuration's pool, copied out below.
    let rc = unsafe { ngx_parse_url((*d.cf).pool, &mut url) };
    if rc != NGX_OK as isize || url.naddrs == 0 || url.addrs.is_null() {
        let why = if url.err.is_null() {
            "host not found".to_string()
        } else {
            // SAFETY: nginx sets err to a static C string.
            unsafe { CStr::from_ptr(url.err) }.to_string_lossy().into_owned()
        };
        return Err(d.invalid(d.arg(0)?, &format!("the address cannot be used: {why}")));
    }
    // SAFETY: naddrs > 0: the first address is filled in, its sockaddr `socklen` bytes long.
    unsafe {
        let first = &*url.addrs;
        let mut storage: Box<ngx_sockaddr_t> = Box::new(std::mem::zeroed());
        let len = (first.socklen as usize).min(size_of::<ngx_sockaddr_t>());
        std::ptr::copy_nonoverlapping(
            first.sockaddr.cast::<u8>(),
            std::ptr::from_mut(&mut *storage).cast::<u8>(),
            len,
        );
        Ok((storage, len as socklen_t, first.name.as_bytes().into()))
    }
}
