//! nginx complex values (text with `$variables` in it), compiled once at configuration time
//! and evaluated per request: the token source of `credentialflow_token` and the conditions
//! of `credentialflow_require`.

use std::ptr::NonNull;

use ngx::ffi::{
    ngx_conf_t, ngx_http_compile_complex_value, ngx_http_compile_complex_value_t,
    ngx_http_complex_value_t, ngx_pcalloc, ngx_str_t, NGX_OK,
};
use ngx::http::Request;

/// A compiled complex value, in the configuration pool.
#[derive(Clone, Copy, Debug)]
pub struct ComplexValue(NonNull<ngx_http_complex_value_t>);

// SAFETY: the value is written once while the configuration is read, then only read; nginx
// runs each worker's requests on one thread, and the configuration pool outlives them.
unsafe impl Send for ComplexValue {}
// SAFETY: as above: never written after configuration.
unsafe impl Sync for ComplexValue {}

impl ComplexValue {
    /// Compiles `text` (copied into the configuration pool, which the compiled value points
    /// into). `Err` carries nginx's own complaint, already logged by it, or an allocation
    /// failure.
    ///
    /// # Safety
    /// `cf` must be the configuration nginx passed to a directive handler.
    pub unsafe fn compile(cf: *mut ngx_conf_t, text: &str) -> Result<ComplexValue, String> {
        let failed = || format!("cannot compile \"{text}\"");
        // SAFETY: cf->pool is the live configuration pool.
        let pool = unsafe { (*cf).pool };
        // SAFETY: as above; ngx_str_t::from_bytes copies into the pool.
        let value = unsafe { ngx_str_t::from_bytes(pool, text.as_bytes()) }.ok_or_else(failed)?;
        // SAFETY: zeroed memory of the right size from the pool (pcalloc).
        let raw_value = unsafe { ngx_pcalloc(pool, size_of::<ngx_str_t>()) }.cast::<ngx_str_t>();
        let raw_cv = unsafe { ngx_pcalloc(pool, size_of::<ngx_http_complex_value_t>()) }
            .cast::<ngx_http_complex_value_t>();
        let (Some(raw_value), Some(cv)) = (NonNull::new(raw_value), NonNull::new(raw_cv)) else {
            return Err(failed());
        };
        // SAFETY: raw_value is a fresh, aligned ngx_str_t slot in the pool.
        unsafe { raw_value.as_ptr().write(value) };
        // SAFETY: a plain C struct of pointers and bit flags: all zeroes is its empty value.
        let mut ccv: ngx_http_compile_complex_value_t = unsafe { std::mem::zeroed() };
        ccv.cf = cf;
        ccv.value = raw_value.as_ptr();
        ccv.complex_value = cv.as_ptr();
        // SAFETY: ccv is filled as nginx's own modules fill it; the pointers live in the pool.
        match unsafe { ngx_http_compile_complex_value(&mut ccv) } == NGX_OK as isize {
            true => Ok(ComplexValue(cv)),
            false => Err(failed()),
        }
    }

    /// The value for `r` (in the request pool), `None` when nginx cannot evaluate it (out of
    /// memory).
    pub fn evaluate<'r>(&self, r: &'r Request) -> Option<&'r [u8]> {
        // SAFETY: compiled at configuration time and never changed since.
        let cv = unsafe { self.0.as_ref() };
        r.get_complex_value(cv).map(|value| value.as_bytes())
    }
}
