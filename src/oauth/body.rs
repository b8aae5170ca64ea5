//! What the token, revocation and introspection endpoints share: POST only, a form body of at
//! most 8 KiB read in full before the decision, the request as the core reads it, and the
//! answer to a refused client (RFC 6749 §5.2, with a `Basic` challenge on a 401).

use std::sync::Arc;

use credentialflow_core::defaults;
use credentialflow_core::oauth::{ErrorCode, Refusal, TokenRequest};
use ngx::core::Status;
use ngx::ffi::{
    ngx_cached_time, ngx_http_discard_request_body, ngx_http_finalize_request,
    ngx_http_read_client_request_body, ngx_http_request_t, ngx_int_t, ngx_read_file,
    ngx_table_elt_t, ngx_uint_t, NGX_HTTP_INTERNAL_SERVER_ERROR, NGX_HTTP_NOT_ALLOWED,
    NGX_HTTP_REQUEST_ENTITY_TOO_LARGE, NGX_HTTP_SPECIAL_RESPONSE, NGX_LOG_INFO,
};
use ngx::http::{HttpModuleLocationConf, Method, Request};
use ngx::ngx_log_error;

use super::{respond, Endpoint};
use crate::ffi_guard::guarded;
use crate::Module;

/// `Cache-Control: no-store`: every answer of these endpoints (RFC 6749 §5.1, RFC 7009 §2.2,
/// RFC 7662 §2.2 carry credentials or facts about them).
pub const NO_STORE: (&str, &str) = ("Cache-Control", "no-store");
/// `Pragma: no-cache`, for HTTP/1.0 caches (RFC 6749 §5.1).
pub const NO_CACHE: (&str, &str) = ("Pragma", "no-cache");

/// What an endpoint's decision did with the request.
pub enum Outcome {
    /// Answered: finalize with this code.
    Answered(ngx_int_t),
    /// Handed on (a durable write in progress); whoever took it finalizes the request.
    Pending,
}

/// The body is over the limit.
pub struct TooLarge;

/// The cached second of nginx's clock.
pub fn now() -> i64 {
    // SAFETY: ngx_cached_time always points at a valid, current ngx_time_t in a worker.
    unsafe { (*std::ptr::read_volatile(&raw const ngx_cached_time)).sec }
}

/// The endpoint the request's location serves.
pub fn endpoint(r: &Request) -> Option<Arc<Endpoint>> {
    Module::location_conf(r).and_then(|conf| conf.oauth.endpoint_ready.clone())
}

/// A 500, for what cannot happen in a well-formed configuration.
pub fn internal_error() -> ngx_int_t {
    NGX_HTTP_INTERNAL_SERVER_ERROR as ngx_int_t
}

/// Answers a refusal the body was not read for (method, size): the body is discarded first.
fn refuse_unread(
    r: &mut Request,
    status: ngx_uint_t,
    headers: &[(&str, &str)],
    body: &str,
) -> ngx_int_t {
    // SAFETY: r is the live request of this content handler.
    let rc = unsafe { ngx_http_discard_request_body(r.as_mut()) };
    if rc != 0 {
        return rc;
    }
    respond::json(r, status, headers, body)
}

/// A content handler's start: refuses what is not a POST or is too large, else reads the body
/// and has `post` run once it is all there. `what` names the endpoint in messages.
///
/// # Safety
/// `r` is the live request nginx passed to the content handler.
pub unsafe fn start(
    r: *mut ngx_http_request_t,
    what: &str,
    post: unsafe extern "C" fn(*mut ngx_http_request_t),
) -> ngx_int_t {
    // SAFETY: nginx passes a live request.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let log = request.log();
    guarded(log, what, internal_error(), || {
        if request.method() != Method::POST {
            let body =
                format!(r#"{{"error":"invalid_request","error_description":"{what} takes POST"}}"#);
            return refuse_unread(
                request,
                NGX_HTTP_NOT_ALLOWED as ngx_uint_t,
                &[("Allow", "POST"), NO_STORE],
                &body,
            );
        }
        if request.as_ref().headers_in.content_length_n > defaults::OAUTH_MAX_BODY as i64 {
            return too_large(request, true);
        }
        // SAFETY: r is the live request; `post` runs once, now or from a read event.
        let rc = unsafe { ngx_http_read_client_request_body(r, Some(post)) };
        if rc >= NGX_HTTP_SPECIAL_RESPONSE as ngx_int_t {
            return rc;
        }
        Status::NGX_DONE.into()
    })
}

/// A body post-handler's work: runs `answer` (guarded) and finalizes the request exactly once,
/// unless `answer` handed it on.
///
/// # Safety
/// `r` is the live request whose body was read, passed by nginx to the post-handler.
pub unsafe fn post(r: *mut ngx_http_request_t, what: &str, answer: fn(&mut Request) -> Outcome) {
    // SAFETY: nginx passes the live request whose body was read.
    let request = unsafe { Request::from_ngx_http_request(r) };
    let log = request.log();
    let outcome = guarded(log, what, Outcome::Answered(internal_error()), || answer(request));
    if let Outcome::Answered(rc) = outcome {
        // SAFETY: the request took a reference for the body read; this gives it back.
        unsafe { ngx_http_finalize_request(r, rc) };
    }
}

/// The 413 for a body over the limit.
pub fn too_large(r: &mut Request, unread: bool) -> ngx_int_t {
    let body =
        r#"{"error":"invalid_request","error_description":"the request body is over 8 KiB"}"#;
    let status = NGX_HTTP_REQUEST_ENTITY_TOO_LARGE as ngx_uint_t;
    match unread {
        true => refuse_unread(r, status, &[NO_STORE], body),
        false => respond::json(r, status, &[NO_STORE], body),
    }
}

/// The request body, copied out of its buffers (in memory or, if nginx spooled it, on disk).
pub fn body(r: &Request) -> Result<Option<Vec<u8>>, TooLarge> {
    let request_body = r.as_ref().request_body;
    if request_body.is_null() {
        return Ok(Some(Vec::new()));
    }
    let mut body = Vec::new();
    // SAFETY: request_body is non-null once the post handler runs; bufs may be null.
    let mut link = unsafe { (*request_body).bufs };
    // SAFETY: each chain link and its buf are live for the request.
    while let Some(chain) = unsafe { link.as_ref() } {
        // SAFETY: a chain link always points at a buf.
        let Some(buf) = (unsafe { chain.buf.as_ref() }) else { break };
        let in_file = buf.in_file() != 0;
        let len = if in_file {
            usize::try_from(buf.file_last - buf.file_pos).unwrap_or(usize::MAX)
        } else if buf.pos.is_null() || buf.last.is_null() {
            0 // a chunked body ends with an empty last buf whose pos is null
        } else {
            // SAFETY: pos and last delimit this buf's data in one allocation.
            usize::try_from(unsafe { buf.last.offset_from(buf.pos) }).unwrap_or(0)
        };
        if len > 0 {
            if body.len() + len > defaults::OAUTH_MAX_BODY {
                return Err(TooLarge);
            }
            let at = body.len();
            body.resize(at + len, 0);
            let Some(target) = body.get_mut(at..) else { return Ok(None) };
            if in_file {
                // SAFETY: the buf's file is open for the request; target has len bytes.
                let read =
                    unsafe { ngx_read_file(buf.file, target.as_mut_ptr(), len, buf.file_pos) };
                if usize::try_from(read).ok() != Some(len) {
                    return Ok(None);
                }
            } else {
                // SAFETY: pos..last is len readable bytes.
                let data = unsafe { std::slice::from_raw_parts(buf.pos, len) };
                target.copy_from_slice(data);
            }
        }
        link = chain.next;
    }
    Ok(Some(body))
}

/// A header's value, if the request has it.
fn header(_r: &ngx_http_request_t, element: *mut ngx_table_elt_t) -> Option<&[u8]> {
    // SAFETY: a non-null headers_in element lives in the request's pool, as long as `_r`.
    let element = unsafe { element.as_ref() }?;
    Some(element.value.as_bytes())
}

/// The request as the core reads it, with its `body`.
pub fn client_request<'a>(r: &'a Request, body: &'a [u8]) -> TokenRequest<'a> {
    let raw = r.as_ref();
    TokenRequest {
        content_type: header(raw, raw.headers_in.content_type),
        authorization: header(raw, raw.headers_in.authorization),
        query: raw.args.as_bytes(),
        body,
    }
}

/// Reads the body, or answers why it cannot be read.
pub fn read_body(r: &mut Request) -> Result<Vec<u8>, ngx_int_t> {
    match body(r) {
        Ok(Some(body)) => Ok(body),
        Ok(None) => Err(internal_error()),
        Err(TooLarge) => Err(too_large(r, false)),
    }
}

/// Logs and answers a refused request (RFC 6749 §5.2, which RFC 7009 §2.2.1 and RFC 7662 §2.3
/// follow): a 401 carries a `Basic` challenge (RFC 9110 §15.5.2), the scheme the client may
/// use. `what` names the request in the log line.
pub fn refuse(r: &mut Request, endpoint: &Endpoint, what: &str, refusal: &Refusal) -> ngx_int_t {
    ngx_log_error!(
        NGX_LOG_INFO,
        r.log(),
        "credentialflow: {what} refused: {}, client id \"{}\"",
        refusal.code.name(),
        refusal.client_for_log()
    );
    let challenge;
    let mut headers = vec![NO_STORE, NO_CACHE];
    if refusal.code == ErrorCode::InvalidClient {
        challenge = format!("Basic realm=\"{}\"", endpoint.realm);
        headers.push(("WWW-Authenticate", challenge.as_str()));
    }
    let status = ngx_uint_t::from(refusal.code.status());
    respond::json(r, status, &headers, &refusal.json())
}
