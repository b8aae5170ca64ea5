//! Sending a small JSON answer with its headers: the one way the endpoints reply.

use std::ptr;

use ngx::core::{Buffer, Status};
use ngx::ffi::{ngx_chain_t, ngx_int_t, ngx_uint_t, NGX_ERROR, NGX_OK};
use ngx::http::Request;
use ngx::ngx_string;

/// Sends `status` with a JSON `body` and `headers`; returns what nginx's output gave back
/// (`NGX_OK`, `NGX_AGAIN` for a slow client, or an error) for the caller to finalize with.
pub fn json(
    r: &mut Request,
    status: ngx_uint_t,
    headers: &[(&str, &str)],
    body: &str,
) -> ngx_int_t {
    send(r, status, ngx_string!("application/json"), headers, body)
}

/// Sends `status` with a `body` of `content_type` and `headers` (see [`json`]).
pub fn send(
    r: &mut Request,
    status: ngx_uint_t,
    content_type: ngx::ffi::ngx_str_t,
    headers: &[(&str, &str)],
    body: &str,
) -> ngx_int_t {
    let raw = r.as_mut();
    raw.headers_out.status = status;
    raw.headers_out.content_type = content_type;
    raw.headers_out.content_type_len = raw.headers_out.content_type.len;
    r.set_content_length_n(body.len());
    for (name, value) in headers {
        if r.add_header_out(name, value).is_none() {
            return NGX_ERROR as ngx_int_t;
        }
    }
    let rc = r.send_header();
    if rc == Status::NGX_ERROR || rc.0 > NGX_OK as ngx_int_t || r.header_only() {
        return rc.0;
    }
    let Some(mut buf) = r.pool().create_buffer_from_str(body) else {
        return NGX_ERROR as ngx_int_t;
    };
    buf.set_last_buf(r.is_main());
    buf.set_last_in_chain(true);
    let mut out = ngx_chain_t { buf: buf.as_ngx_buf_mut(), next: ptr::null_mut() };
    r.output_filter(&mut out).0
}
