//! Reading directive arguments and reporting problems in nginx's voice.

use std::path::{Path, PathBuf};

use ngx::ffi::{ngx_conf_t, ngx_parse_size, ngx_parse_time, ngx_str_t, NGX_ERROR};
use ngx::http::HttpModuleLocationConf;

/// Why a directive is refused.
pub enum DirectiveError {
    /// Set twice at one level: nginx prints `"<name>" directive is duplicate in <file>:<line>`.
    Duplicate,
    /// Anything else, printed as `[emerg] <message> in <file>:<line>`.
    Invalid(String),
}

impl From<String> for DirectiveError {
    fn from(message: String) -> Self {
        DirectiveError::Invalid(message)
    }
}

/// Where a directive was written, for errors found later (at merge time), which nginx would
/// otherwise report at the end of the `http` block.
#[derive(Clone, Debug)]
pub struct ConfSite {
    file: Box<str>,
    line: usize,
}

impl std::fmt::Display for ConfSite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// One directive occurrence: its name and its arguments, as UTF-8.
pub struct Directive<'a> {
    /// The configuration being read.
    pub cf: *mut ngx_conf_t,
    /// The directive's name.
    pub name: &'a str,
    /// The arguments after the name.
    pub args: Vec<&'a str>,
}

impl<'a> Directive<'a> {
    /// Reads the current directive's words.
    ///
    /// # Safety
    /// `cf` must be the configuration nginx passed to a directive handler.
    pub unsafe fn read(cf: *mut ngx_conf_t) -> Result<Directive<'a>, DirectiveError> {
        // SAFETY: during a directive handler, cf->args holds the directive's ngx_str_t words,
        // which live in the configuration pool for the whole configuration.
        let words: &[ngx_str_t] = unsafe { (*(*cf).args).as_slice() };
        let mut words = words.iter().map(|word| std::str::from_utf8(word.as_bytes()));
        let name = words.next().and_then(Result::ok).unwrap_or("credentialflow");
        let args = words
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| format!("\"{name}\" directive has an argument that is not valid UTF-8"))?;
        Ok(Directive { cf, name, args })
    }

    /// The file and line of this directive, as `ngx_conf_log_error` would print them (none for
    /// `-g` directives, which have no file).
    pub fn site(&self) -> Option<ConfSite> {
        // SAFETY: cf is the configuration being read; conf_file, when set, is the file being
        // parsed, whose name is a valid string for the whole parse.
        let conf_file = unsafe { (*self.cf).conf_file.as_ref()? };
        let name = String::from_utf8_lossy(conf_file.file.name.as_bytes());
        Some(ConfSite { file: name.into(), line: conf_file.line })
    }

    /// The `n`th argument (nginx has already checked the count).
    pub fn arg(&self, n: usize) -> Result<&'a str, DirectiveError> {
        self.args.get(n).copied().ok_or_else(|| {
            format!("invalid number of arguments in \"{}\" directive", self.name).into()
        })
    }

    /// The first argument as a flag: `on` or `off`.
    pub fn on_off(&self) -> Result<bool, DirectiveError> {
        match self.arg(0)? {
            "on" => Ok(true),
            "off" => Ok(false),
            other => Err(self.invalid(other, "it must be \"on\" or \"off\"")),
        }
    }

    /// Makes `handler` the content handler of the location this directive is in, and returns
    /// that location's core configuration; a location that already has one (`proxy_pass`,
    /// `return` aside: those run in other phases or are refused by nginx itself) is an error.
    pub fn claim_content_handler(
        &self,
        handler: ngx::ffi::ngx_http_handler_pt,
    ) -> Result<&'a mut ngx::ffi::ngx_http_core_loc_conf_t, DirectiveError> {
        // SAFETY: cf is the configuration being read, inside a location; the location's core
        // configuration lives in the configuration pool for the whole configuration.
        let cf: &'a ngx_conf_t = unsafe { &*self.cf };
        let clcf = ngx::http::NgxHttpCoreModule::location_conf_mut(cf)
            .ok_or_else(|| format!("\"{}\" directive outside a location", self.name))?;
        if clcf.handler.is_some() {
            return Err(DirectiveError::Invalid(format!(
                "\"{}\": the location already has a content handler",
                self.name
            )));
        }
        clcf.handler = handler;
        Ok(clcf)
    }

    /// An "invalid value" error.
    pub fn invalid(&self, value: &str, why: &str) -> DirectiveError {
        DirectiveError::Invalid(format!(
            "invalid value \"{value}\" in \"{}\" directive, {why}",
            self.name
        ))
    }

    /// A path made absolute against nginx's prefix (`-p`), like `error_log` and `pid` paths.
    pub fn full_path(&self, value: &str) -> PathBuf {
        let path = PathBuf::from(value);
        if path.is_absolute() {
            return path;
        }
        // SAFETY: cf->cycle is the cycle being configured; its prefix is a valid string.
        let prefix = unsafe { (*(*self.cf).cycle).prefix.as_bytes() };
        PathBuf::from(String::from_utf8_lossy(prefix).into_owned()).join(path)
    }

    /// Why a file named by this directive cannot be read, naming the path it resolved to when
    /// the configuration gave a relative one.
    pub fn cannot_read(&self, value: &str, path: &Path, error: &dyn std::fmt::Display) -> String {
        if Path::new(value) == path {
            format!("cannot read: {error}")
        } else {
            format!("cannot read \"{}\": {error}", path.display())
        }
    }

    /// A time argument in seconds (`30s`, `5m`, `1h`...), as nginx's own directives parse it.
    pub fn seconds(&self, value: &str) -> Result<i64, DirectiveError> {
        let mut line = ngx_str_t { len: value.len(), data: value.as_ptr().cast_mut() };
        // SAFETY: ngx_parse_time only reads `len` bytes of `data`.
        let parsed = unsafe { ngx_parse_time(&mut line, 1) };
        if parsed == NGX_ERROR as isize {
            return Err(self.invalid(value, "it must be a time such as 30s or 5m"));
        }
        Ok(parsed as i64)
    }

    /// A size argument in bytes (`8k`, `1m`...).
    pub fn size(&self, value: &str) -> Result<usize, DirectiveError> {
        let mut line = ngx_str_t { len: value.len(), data: value.as_ptr().cast_mut() };
        // SAFETY: ngx_parse_size only reads `len` bytes of `data`.
        let parsed = unsafe { ngx_parse_size(&mut line) };
        usize::try_from(parsed)
            .ok()
            .filter(|size| *size > 0)
            .ok_or_else(|| self.invalid(value, "it must be a size such as 8k"))
    }
}

/// RFC 9110 `token` characters: what a header name may contain.
pub fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A value that can sit inside a quoted challenge attribute without escaping.
pub fn is_quotable(value: &str) -> bool {
    value.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}
