//! The registered claims CredentialFlow checks, read once with strict types.
//!
//! A registered claim of the wrong JSON type makes the token invalid; it is never treated as
//! absent (the mistake behind CVE-2026-25537). The claims are parsed straight into typed
//! fields (no intermediate JSON map) and laid out, with the token itself, in one allocation,
//! because the cache holds many of them.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::jose::json::{self, JsonStr};
use crate::reject::Rejection;

/// `null` is a wrong type, not an absent claim: `Option<T>` would take it as `None`.
fn present_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JsonStr<'de>>, D::Error> {
    JsonStr::deserialize(d).map(Some)
}

/// `scope`: a space-separated string (RFC 8693 §4.2, RFC 9068 §2.2.3), or an array of
/// scope-tokens as Duende IdentityServer and Spring Authorization Server send it by default,
/// each a non-empty string without a space (RFC 6749 §3.3), kept joined by single spaces so that
/// everything after parsing sees one string. Anything else (`null`, a number, an empty or
/// spaced item) is a wrong type.
fn scope_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JsonStr<'de>>, D::Error> {
    struct ScopeVisitor;
    impl<'de> Visitor<'de> for ScopeVisitor {
        type Value = JsonStr<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an array of scope-tokens")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(JsonStr(Cow::Borrowed(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(JsonStr(Cow::Owned(v.to_string())))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut joined = String::new();
            while let Some(item) = seq.next_element::<JsonStr<'de>>()? {
                if item.0.is_empty() || item.0.contains(' ') {
                    return Err(de::Error::custom("a scope-token is not empty and has no space"));
                }
                if !joined.is_empty() {
                    joined.push(' ');
                }
                joined.push_str(&item.0);
            }
            Ok(JsonStr(Cow::Owned(joined)))
        }
    }
    d.deserialize_any(ScopeVisitor).map(Some)
}

/// A NumericDate (RFC 7519 §2): any finite JSON number, floored and saturated to i64, so
/// 2^64 never wraps to 0 and 2^63 never wraps negative. Anything else (`null` included) fails.
fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct DateVisitor;
    impl Visitor<'_> for DateVisitor {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a NumericDate")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            Ok(i64::try_from(v).unwrap_or(i64::MAX))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            match v.is_finite() {
                // `as` saturates: 1e300 is i64::MAX, -1e300 is i64::MIN.
                true => Ok(v.floor() as i64),
                false => Err(E::custom("not a NumericDate")),
            }
        }
    }
    d.deserialize_any(DateVisitor).map(Some)
}

/// `aud` as written: one string, or an array of strings (RFC 7519 §4.1.3). The one string
/// needs no vector, so the usual token allocates nothing for it.
enum Audience<'a> {
    One(JsonStr<'a>),
    Many(Vec<JsonStr<'a>>),
}

impl<'a> Audience<'a> {
    fn as_slice(&self) -> &[JsonStr<'a>] {
        match self {
            Audience::One(one) => std::slice::from_ref(one),
            Audience::Many(many) => many,
        }
    }
}

/// `aud`: a string or an array of strings (RFC 7519 §4.1.3).
fn audience<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Audience<'de>>, D::Error> {
    struct AudienceVisitor;
    impl<'de> Visitor<'de> for AudienceVisitor {
        type Value = Audience<'de>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an array of strings")
        }
        fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Audience::One(JsonStr(Cow::Borrowed(v))))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Audience::One(JsonStr(Cow::Owned(v.to_string()))))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<JsonStr<'de>>()? {
                items.push(item);
            }
            Ok(Audience::Many(items))
        }
    }
    d.deserialize_any(AudienceVisitor).map(Some)
}

/// The registered claims as they appear in the JSON; unknown members are skipped, a repeated
/// registered member is an error (serde refuses duplicate fields, escaped spellings included).
#[derive(Deserialize)]
struct RawClaims<'a> {
    #[serde(default, deserialize_with = "numeric_date")]
    exp: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    nbf: Option<i64>,
    #[serde(default, deserialize_with = "numeric_date")]
    iat: Option<i64>,
    #[serde(default, borrow, deserialize_with = "present_text")]
    iss: Option<JsonStr<'a>>,
    #[serde(default, borrow, deserialize_with = "present_text")]
    sub: Option<JsonStr<'a>>,
    #[serde(default, borrow, deserialize_with = "present_text")]
    jti: Option<JsonStr<'a>>,
    #[serde(default, borrow, deserialize_with = "scope_text")]
    scope: Option<JsonStr<'a>>,
    /// RFC 9068 §2.2: the client the token was issued to (revocation by client reads it).
    #[serde(default, borrow, deserialize_with = "present_text")]
    client_id: Option<JsonStr<'a>>,
    #[serde(default, borrow, deserialize_with = "audience")]
    aud: Option<Audience<'a>>,
}

/// Bits of the record's `present` field.
const EXP: u32 = 0;
const NBF: u32 = 1;
const IAT: u32 = 2;
/// Text fields, in record order: `iss`, `sub`, `jti`, `scope`, the header's `kid`, `typ`,
/// then `client_id`.
const ISS: usize = 0;
const SUB: usize = 1;
const JTI: usize = 2;
const SCOPE: usize = 3;
const KID: usize = 4;
const TYP: usize = 5;
const CLIENT_ID: usize = 6;
/// Fixed text fields before the audiences.
const FIXED: usize = 7;
/// The bit of text field `i` is `TEXT_BIT + i`; `aud` itself follows them.
const TEXT_BIT: u32 = 3;
const AUD: u32 = TEXT_BIT + FIXED as u32;

/// The typed registered claims and their presence bits.
const REGISTERED: [(&str, u32); 9] = [
    ("exp", EXP),
    ("nbf", NBF),
    ("iat", IAT),
    ("iss", TEXT_BIT + ISS as u32),
    ("sub", TEXT_BIT + SUB as u32),
    ("jti", TEXT_BIT + JTI as u32),
    ("scope", TEXT_BIT + SCOPE as u32),
    ("client_id", TEXT_BIT + CLIENT_ID as u32),
    ("aud", AUD),
];

/// Byte offsets of the record's fixed part (little-endian integers).
const EXP_AT: usize = 0;
const NBF_AT: usize = 8;
const IAT_AT: usize = 16;
const PRESENT_AT: usize = 24;
const AUDIENCES_AT: usize = 28;
const TOKEN_LEN_AT: usize = 32;
const EXTRAS_AT: usize = 36;
/// Then one `u32` end offset (into the text) per text field, per audience and per stored
/// custom claim (name, then value), the token, and the text: every string, one after another.
const ENDS_AT: usize = 40;
/// In a stored custom claim's value end: the claim is present.
const PRESENT_FLAG: u32 = 1 << 31;
/// The end offset without the flag.
const END_MASK: u32 = PRESENT_FLAG - 1;

/// Typed registered claims of a verified token, with the header's `kid` and `typ` and the
/// compact token they were read from, all in one shared allocation: the cache holds many of
/// these (one allocation per entry), and a request keeps its own reference cheaply.
#[derive(Clone, PartialEq, Eq)]
pub struct Claims {
    record: Arc<[u8]>,
}

impl Default for Claims {
    fn default() -> Self {
        let none: Option<std::iter::Empty<&str>> = None;
        build([None; 3], [None; FIXED], none, &[], b"")
            .unwrap_or_else(|_| Claims { record: Arc::new([]) })
    }
}

/// A custom claim kept in the record: its name and its value as text (`None`: absent).
pub type StoredClaim<'a> = (&'a str, Option<&'a str>);

impl fmt::Debug for Claims {
    // Never the token: a Debug print may reach a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("exp", &self.exp())
            .field("nbf", &self.nbf())
            .field("iat", &self.iat())
            .field("iss", &self.iss())
            .field("sub", &self.sub())
            .field("aud", &self.audiences().map(Iterator::collect::<Vec<_>>))
            .field("token_len", &self.token().len())
            .finish_non_exhaustive()
    }
}

/// Writes the record's parts one after another into its (exactly sized) buffer.
struct Writer<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl Writer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Rejection> {
        let end = self.at + bytes.len();
        self.buf.get_mut(self.at..end).ok_or(Rejection::Malformed)?.copy_from_slice(bytes);
        self.at = end;
        Ok(())
    }
}

/// Lays out one record: times, presence bits, string ends, token, strings. The strings are
/// the fixed text fields, the audiences, then each stored claim's name and value.
fn build<'s>(
    dates: [Option<i64>; 3],
    texts: [Option<&'s str>; FIXED],
    audiences: Option<impl Iterator<Item = &'s str> + Clone>,
    extras: &[StoredClaim<'s>],
    token: &[u8],
) -> Result<Claims, Rejection> {
    let has_audiences = audiences.is_some();
    let audiences = audiences.into_iter().flatten();
    let (audience_count, audience_len) =
        audiences.clone().fold((0, 0), |(count, len), aud| (count + 1, len + aud.len()));
    let texts_len: usize = texts.iter().map(|t| t.map_or(0, str::len)).sum();
    let extras_len: usize =
        extras.iter().map(|(name, value)| name.len() + value.map_or(0, str::len)).sum();
    let text_len = texts_len + audience_len + extras_len;
    let ends_len = 4 * (FIXED + audience_count + 2 * extras.len());
    let total = ENDS_AT + ends_len + token.len() + text_len;
    if total > END_MASK as usize {
        return Err(Rejection::Malformed);
    }
    let small = |n: usize| u32::try_from(n).map_err(|_| Rejection::Malformed);
    let mut record: Arc<[u8]> = std::iter::repeat_n(0u8, total).collect();
    let buf = Arc::get_mut(&mut record).ok_or(Rejection::Malformed)?;
    let mut present = 0u32;
    let mut w = Writer { buf, at: 0 };
    for (bit, date) in [EXP, NBF, IAT].into_iter().zip(dates) {
        present |= u32::from(date.is_some()) << bit;
        w.put(&date.unwrap_or_default().to_le_bytes())?;
    }
    for (i, text) in texts.iter().enumerate() {
        present |= u32::from(text.is_some()) << (TEXT_BIT + i as u32);
    }
    present |= u32::from(has_audiences) << AUD;
    w.put(&present.to_le_bytes())?;
    w.put(&small(audience_count)?.to_le_bytes())?;
    w.put(&small(token.len())?.to_le_bytes())?;
    w.put(&small(extras.len())?.to_le_bytes())?;
    // Every string's end offset into the text; a stored claim's value carries PRESENT_FLAG
    // when the token has the claim.
    let mut end = 0;
    let mut put_end = |w: &mut Writer<'_>, len: usize, flag: u32| {
        end += len;
        w.put(&(small(end)? | flag).to_le_bytes())
    };
    for text in &texts {
        put_end(&mut w, text.map_or(0, str::len), 0)?;
    }
    for aud in audiences.clone() {
        put_end(&mut w, aud.len(), 0)?;
    }
    for (name, value) in extras {
        put_end(&mut w, name.len(), 0)?;
        let flag = if value.is_some() { PRESENT_FLAG } else { 0 };
        put_end(&mut w, value.map_or(0, str::len), flag)?;
    }
    w.put(token)?;
    for text in &texts {
        w.put(text.unwrap_or_default().as_bytes())?;
    }
    for aud in audiences {
        w.put(aud.as_bytes())?;
    }
    for (name, value) in extras {
        w.put(name.as_bytes())?;
        w.put(value.unwrap_or_default().as_bytes())?;
    }
    Ok(Claims { record })
}

/// Little-endian `u32` at `at`, if the record is long enough.
fn read_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// Whether `bytes` is a record [`build`] could have written (see [`Claims::from_record`]).
fn check_record(bytes: &[u8]) -> Option<()> {
    if bytes.len() > END_MASK as usize {
        return None;
    }
    let present = read_u32(bytes, PRESENT_AT)?;
    if present >> (AUD + 1) != 0 {
        return None;
    }
    let has = |bit: u32| present & (1 << bit) != 0;
    for (bit, at) in [(EXP, EXP_AT), (NBF, NBF_AT), (IAT, IAT_AT)] {
        // An absent date is written as zero.
        if !has(bit) && bytes.get(at..at + 8)? != [0; 8] {
            return None;
        }
    }
    let audiences = read_u32(bytes, AUDIENCES_AT)? as usize;
    if !has(AUD) && audiences != 0 {
        return None;
    }
    let token_len = read_u32(bytes, TOKEN_LEN_AT)? as usize;
    let extras = read_u32(bytes, EXTRAS_AT)? as usize;
    let strings = FIXED.checked_add(audiences)?.checked_add(extras.checked_mul(2)?)?;
    let token_at = ENDS_AT.checked_add(strings.checked_mul(4)?)?;
    let text_at = token_at.checked_add(token_len)?;
    let text = bytes.get(text_at..)?;
    let first_extra = FIXED + audiences;
    let mut start = 0usize;
    for index in 0..strings {
        let raw = read_u32(bytes, ENDS_AT + 4 * index)?;
        let flagged = raw & PRESENT_FLAG != 0;
        let is_extra_value = index >= first_extra && (index - first_extra) % 2 == 1;
        if flagged && !is_extra_value {
            return None;
        }
        let end = (raw & END_MASK) as usize;
        let span = text.get(start..end)?;
        std::str::from_utf8(span).ok()?;
        // An absent fixed field, or an absent stored claim, is written as "".
        let absent = match index {
            i if i < FIXED => !has(TEXT_BIT + i as u32),
            _ if is_extra_value => !flagged,
            _ => false,
        };
        if absent && !span.is_empty() {
            return None;
        }
        start = end;
    }
    (start == text.len()).then_some(())
}

impl Claims {
    /// Parses a decoded claims segment: depth-checked, a JSON object, typed registered claims.
    /// The header's `kid` and `typ` are kept alongside, and so is `token`, the compact token
    /// the claims came from (the cache compares it in full).
    pub fn parse_for_token(
        bytes: &[u8],
        kid: Option<&str>,
        typ: Option<&str>,
        token: &[u8],
    ) -> Result<Claims, Rejection> {
        json::check_depth(bytes, json::MAX_DEPTH).map_err(|_| Rejection::Malformed)?;
        // serde would also take a JSON array as a struct: only an object is a claims set.
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            return Err(Rejection::Malformed);
        }
        let json_text = json::utf8(bytes).map_err(|_| Rejection::Malformed)?;
        let raw: RawClaims<'_> =
            serde_json::from_str(json_text).map_err(|e| match e.classify() {
                serde_json::error::Category::Data => Rejection::BadClaims,
                _ => Rejection::Malformed,
            })?;
        fn text<'a>(t: &'a Option<JsonStr<'_>>) -> Option<&'a str> {
            t.as_ref().map(|t| &*t.0)
        }
        let texts = [
            text(&raw.iss),
            text(&raw.sub),
            text(&raw.jti),
            text(&raw.scope),
            kid,
            typ,
            text(&raw.client_id),
        ];
        let audiences = raw.aud.as_ref().map(|aud| aud.as_slice().iter().map(|t| &*t.0));
        build([raw.exp, raw.nbf, raw.iat], texts, audiences, &[], token)
    }

    /// The same claims with `extras` stored alongside (replacing any stored before): custom
    /// claims a location reads on every request, so that a cache hit needs no JSON.
    pub fn with_stored(&self, extras: &[StoredClaim<'_>]) -> Result<Claims, Rejection> {
        let dates = [self.exp(), self.nbf(), self.iat()];
        let texts = [ISS, SUB, JTI, SCOPE, KID, TYP, CLIENT_ID].map(|field| self.text(field));
        build(dates, texts, self.audiences(), extras, self.token())
    }

    /// The stored custom claim `name`: `Some(value)` when stored (`value` is `None` when the
    /// token does not have it), `None` when not stored.
    pub fn stored(&self, name: &str) -> Option<Option<&str>> {
        let first = FIXED + self.audience_count();
        (0..self.u32_at(EXTRAS_AT)).find_map(|extra| {
            let at = first + 2 * extra;
            (self.span(at) == name).then(|| {
                let present = self.raw_end(at + 1) & PRESENT_FLAG != 0;
                present.then(|| self.span(at + 1))
            })
        })
    }

    /// The record these claims are laid out in: the bytes [`Claims::from_record`] reads back
    /// (how a verification is kept outside this process, e.g. in nginx shared memory).
    pub fn record(&self) -> &[u8] {
        &self.record
    }

    /// Where [`Claims::token`] sits in [`Claims::record`]: a store can compare a token
    /// against its records without decoding them.
    pub fn token_span(&self) -> std::ops::Range<usize> {
        let at = self.token_at();
        at..at + self.token().len()
    }

    /// Claims from bytes that [`Claims::record`] once returned, checked in full: every
    /// length, offset and presence bit must be consistent and every string UTF-8, exactly as
    /// [`Claims::parse_for_token`] lays them out. Other bytes (a torn write, another layout)
    /// are refused; nothing here panics.
    pub fn from_record(bytes: &[u8]) -> Result<Claims, Rejection> {
        check_record(bytes).ok_or(Rejection::Malformed)?;
        Ok(Claims { record: Arc::from(bytes) })
    }

    /// Whether `name` is a registered claim that [`Claims::has_registered`] answers for.
    pub fn is_registered(name: &str) -> bool {
        REGISTERED.iter().any(|(registered, _)| *registered == name)
    }

    /// [`Claims::parse_for_token`] without a token.
    pub fn parse_with_header(
        bytes: &[u8],
        kid: Option<&str>,
        typ: Option<&str>,
    ) -> Result<Claims, Rejection> {
        Claims::parse_for_token(bytes, kid, typ, b"")
    }

    /// [`Claims::parse_with_header`] without header fields.
    pub fn parse(bytes: &[u8]) -> Result<Claims, Rejection> {
        Claims::parse_for_token(bytes, None, None, b"")
    }

    fn bytes_at<const N: usize>(&self, at: usize) -> [u8; N] {
        self.record.get(at..at + N).and_then(|b| b.try_into().ok()).unwrap_or([0; N])
    }

    fn u32_at(&self, at: usize) -> usize {
        u32::from_le_bytes(self.bytes_at(at)) as usize
    }

    fn has(&self, bit: u32) -> bool {
        self.u32_at(PRESENT_AT) & (1 << bit) != 0
    }

    fn date(&self, bit: u32, at: usize) -> Option<i64> {
        self.has(bit).then(|| i64::from_le_bytes(self.bytes_at(at)))
    }

    fn audience_count(&self) -> usize {
        self.u32_at(AUDIENCES_AT)
    }

    fn token_at(&self) -> usize {
        ENDS_AT + 4 * (FIXED + self.audience_count() + 2 * self.u32_at(EXTRAS_AT))
    }

    fn text_at(&self) -> usize {
        self.token_at() + self.u32_at(TOKEN_LEN_AT)
    }

    /// Text field `index` (the fixed fields, then the audiences), as bytes: the per-request
    /// checks compare bytes and need no UTF-8 validation (the text was a `str` when stored).
    fn raw_end(&self, index: usize) -> u32 {
        u32::from_le_bytes(self.bytes_at(ENDS_AT + 4 * index))
    }

    fn span_bytes(&self, index: usize) -> &[u8] {
        let end = |i: usize| (self.raw_end(i) & END_MASK) as usize;
        let start = index.checked_sub(1).map_or(0, end);
        let base = self.text_at();
        self.record.get(base + start..base + end(index)).unwrap_or_default()
    }

    fn span(&self, index: usize) -> &str {
        std::str::from_utf8(self.span_bytes(index)).unwrap_or_default()
    }

    fn text(&self, index: usize) -> Option<&str> {
        self.has(TEXT_BIT + index as u32).then(|| self.span(index))
    }

    fn text_bytes(&self, index: usize) -> Option<&[u8]> {
        self.has(TEXT_BIT + index as u32).then(|| self.span_bytes(index))
    }

    /// `iss` as bytes.
    pub fn iss_bytes(&self) -> Option<&[u8]> {
        self.text_bytes(ISS)
    }

    /// `sub` as bytes.
    pub fn sub_bytes(&self) -> Option<&[u8]> {
        self.text_bytes(SUB)
    }

    /// `jti` as bytes.
    pub fn jti_bytes(&self) -> Option<&[u8]> {
        self.text_bytes(JTI)
    }

    /// The audiences as bytes.
    pub fn audience_bytes(&self) -> Option<impl Iterator<Item = &[u8]>> {
        let count = self.audience_count();
        self.has(AUD).then(|| (FIXED..FIXED + count).map(move |index| self.span_bytes(index)))
    }

    /// The compact token these claims were read from (empty when parsed without one).
    pub fn token(&self) -> &[u8] {
        let at = self.token_at();
        self.record.get(at..at + self.u32_at(TOKEN_LEN_AT)).unwrap_or_default()
    }

    /// `exp` as whole seconds since the epoch (fractions dropped, saturating).
    pub fn exp(&self) -> Option<i64> {
        self.date(EXP, EXP_AT)
    }

    /// `nbf`, likewise.
    pub fn nbf(&self) -> Option<i64> {
        self.date(NBF, NBF_AT)
    }

    /// `iat`, likewise.
    pub fn iat(&self) -> Option<i64> {
        self.date(IAT, IAT_AT)
    }

    /// `iss`.
    pub fn iss(&self) -> Option<&str> {
        self.text(ISS)
    }

    /// `sub`.
    pub fn sub(&self) -> Option<&str> {
        self.text(SUB)
    }

    /// `jti`.
    pub fn jti(&self) -> Option<&str> {
        self.text(JTI)
    }

    /// `scope`, the space-separated string of RFC 8693 §4.2 / RFC 9068.
    pub fn scope(&self) -> Option<&str> {
        self.text(SCOPE)
    }

    /// `client_id` (RFC 9068 §2.2).
    pub fn client_id(&self) -> Option<&str> {
        self.text(CLIENT_ID)
    }

    /// `client_id` as bytes.
    pub fn client_id_bytes(&self) -> Option<&[u8]> {
        self.text_bytes(CLIENT_ID)
    }

    /// The header's `kid` as bytes.
    pub fn kid_bytes(&self) -> Option<&[u8]> {
        self.text_bytes(KID)
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.text(KID)
    }

    /// The header's `typ`.
    pub fn typ(&self) -> Option<&str> {
        self.text(TYP)
    }

    /// The audiences (`aud` as a string counts as one), or `None` without `aud`.
    pub fn audiences(&self) -> Option<impl Iterator<Item = &str> + Clone> {
        let count = self.audience_count();
        self.has(AUD).then(|| (FIXED..FIXED + count).map(move |index| self.span(index)))
    }

    /// Whether the named registered claim is present; `None` for a name that is not one of
    /// the typed claims (the caller must then look at the whole claims object).
    pub fn has_registered(&self, name: &str) -> Option<bool> {
        REGISTERED.iter().find(|(registered, _)| *registered == name).map(|&(_, bit)| self.has(bit))
    }

    /// Whether `scope` lists `wanted` as one exact space-separated item.
    pub fn has_scope(&self, wanted: &str) -> bool {
        let wanted = wanted.as_bytes();
        self.text_bytes(SCOPE)
            .is_some_and(|scope| scope.split(|&b| b == b' ').any(|item| item == wanted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: &str) -> Result<Claims, Rejection> {
        Claims::parse(json.as_bytes())
    }

    #[test]
    fn numeric_dates() {
        let c = claims(r#"{"exp": 1.9e9, "nbf": -5, "iat": 18446744073709551615}"#).unwrap();
        assert_eq!(c.exp(), Some(1_900_000_000));
        assert_eq!(c.nbf(), Some(-5));
        assert_eq!(c.iat(), Some(i64::MAX));
        assert_eq!(claims(r#"{"nbf": 18446744073709551616}"#).unwrap().nbf(), Some(i64::MAX));
        assert_eq!(claims(r#"{"exp": -0}"#).unwrap().exp(), Some(0));
        assert_eq!(claims(r#"{"exp": 1.5}"#).unwrap().exp(), Some(1));
    }

    #[test]
    fn wrong_types_are_invalid_not_absent() {
        for bad in [
            r#"{"exp": "99999999999"}"#,
            r#"{"exp": null}"#,
            r#"{"nbf": true}"#,
            r#"{"iat": [1]}"#,
            r#"{"iss": ["a"]}"#,
            r#"{"iss": null}"#,
            r#"{"aud": {"a": 1}}"#,
            r#"{"aud": 5}"#,
            r#"{"aud": null}"#,
            r#"{"aud": ["a", 1]}"#,
            r#"{"sub": {"x": 1}}"#,
            r#"{"scope": ["a b"]}"#,
            r#"{"scope": [""]}"#,
            r#"{"scope": ["a", 1]}"#,
            r#"{"scope": null}"#,
            r#"{"scope": 7}"#,
            r#"{"scope": {"a": true}}"#,
        ] {
            assert_eq!(claims(bad), Err(Rejection::BadClaims), "{bad}");
        }
    }

    #[test]
    fn duplicates_and_non_objects_are_refused() {
        assert!(claims(r#"{"exp":1,"exp":2}"#).is_err());
        assert!(claims(r#"{"exp":1,"\u0065xp":2}"#).is_err());
        assert!(claims(r#"{"iss":"a","iss":"b"}"#).is_err());
        for bad in ["[]", "[1,2]", "\"x\"", "{", "{}x", "\u{feff}{}", r#"{"a":NaN}"#, ""] {
            assert!(claims(bad).is_err(), "{bad:?}");
        }
        // JSON is UTF-8, in members nobody reads too.
        assert_eq!(Claims::parse(b"{\"x\":\"\xff\"}"), Err(Rejection::Malformed));
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(claims(&deep), Err(Rejection::Malformed));
    }

    #[test]
    fn stored_claims_ride_along() {
        let json = br#"{"sub":"s","aud":["a","b"],"exp":5}"#;
        let c = Claims::parse_for_token(json, Some("k"), None, b"t.o.k").unwrap();
        assert_eq!(c.stored("email"), None);
        let s = c.with_stored(&[("email", Some("e@x")), ("tenant", None), ("", Some(""))]).unwrap();
        assert_eq!(s.stored("email"), Some(Some("e@x")));
        assert_eq!(s.stored("tenant"), Some(None));
        assert_eq!(s.stored(""), Some(Some("")));
        assert_eq!(s.stored("x"), None);
        assert_eq!((s.sub(), s.kid(), s.typ()), (Some("s"), Some("k"), None));
        assert_eq!((s.exp(), s.nbf(), s.token()), (Some(5), None, &b"t.o.k"[..]));
        assert!(s.audiences().unwrap().eq(["a", "b"]));
        assert_eq!(s.with_stored(&[]).unwrap(), c);
        assert!(Claims::is_registered("aud") && !Claims::is_registered("email"));
    }

    fn sample_records() -> Vec<Claims> {
        let full = br#"{"iss":"i","sub":"s\u00e9","jti":"j","scope":"a b","aud":["x","yy"],"exp":9,"nbf":1,"iat":2}"#;
        let full = Claims::parse_for_token(full, Some("kid"), Some("JWT"), b"h.p.sig").unwrap();
        let stored = full.with_stored(&[("email", Some("e@x")), ("tenant", None)]).unwrap();
        let one_aud = Claims::parse_for_token(br#"{"aud":"a","exp":5}"#, None, None, b"t").unwrap();
        vec![full, stored, one_aud, claims("{}").unwrap(), Claims::default()]
    }

    /// The record is a format (kept in shared memory, read back by `from_record`): these are
    /// the bytes `build` wrote before it was reworked to lay strings out without iterator
    /// chains, and they must not change.
    #[test]
    fn records_keep_their_layout() {
        let full = br#"{"iss":"i","sub":"s\u00e9","jti":"j","scope":"a b","client_id":"c","aud":["x","yy"],"exp":9,"nbf":1,"iat":2}"#;
        let full = Claims::parse_for_token(full, Some("kid"), Some("JWT"), b"h.p.sig").unwrap();
        let extras = [("email", Some("e@x")), ("tenant", None), ("n", Some(""))];
        let stored = full.with_stored(&extras).unwrap();
        let one = Claims::parse_for_token(br#"{"aud":"a","exp":5}"#, None, None, b"t").unwrap();
        let expected = [
            "090000000000000001000000000000000200000000000000ff070000020000000700000000000000010000000400000005000000080000000b0000000e0000000f0000001000000012000000682e702e7369676973c3a96a6120626b69644a575463787979",
            "090000000000000001000000000000000200000000000000ff070000020000000700000003000000010000000400000005000000080000000b0000000e0000000f0000001000000012000000170000001a00008020000000200000002100000021000080682e702e7369676973c3a96a6120626b69644a575463787979656d61696c65407874656e616e746e",
            "0500000000000000000000000000000000000000000000000104000001000000010000000000000000000000000000000000000000000000000000000000000000000000010000007461",
            "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        ];
        let records = [full, stored, one, claims("{}").unwrap(), Claims::default()];
        for (claims, expected) in records.iter().zip(expected) {
            let hex: String = claims.record().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(hex, expected, "{claims:?}");
        }
    }

    #[test]
    fn records_round_trip() {
        for c in sample_records() {
            let back = Claims::from_record(c.record()).unwrap();
            assert_eq!(back, c);
            assert_eq!(back.token(), c.token());
            assert_eq!(&back.record()[back.token_span()], c.token());
            assert_eq!((back.sub(), back.exp(), back.kid()), (c.sub(), c.exp(), c.kid()));
            assert_eq!(back.stored("email"), c.stored("email"));
        }
    }

    #[test]
    fn damaged_records_are_refused_never_a_panic() {
        for c in sample_records() {
            let record = c.record();
            // Every truncation and extension is refused.
            for len in 0..record.len() {
                assert!(Claims::from_record(&record[..len]).is_err(), "truncated to {len}");
            }
            let mut longer = record.to_vec();
            longer.push(b'x');
            assert!(Claims::from_record(&longer).is_err());
            // Every single-bit flip either is refused or reads back as a consistent record.
            for at in 0..record.len() {
                for bit in 0..8 {
                    let mut bad = record.to_vec();
                    bad[at] ^= 1 << bit;
                    if let Ok(read) = Claims::from_record(&bad) {
                        let _ = (read.iss(), read.sub(), read.jti(), read.scope(), read.kid());
                        let _ = (read.typ(), read.exp(), read.token(), read.stored("email"));
                        let _ = read.audiences().map(Iterator::count);
                        assert_eq!(Claims::from_record(read.record()), Ok(read.clone()));
                    }
                }
            }
        }
        assert!(Claims::from_record(&[0xff; 64]).is_err());
        assert!(Claims::from_record(b"").is_err());
    }

    #[test]
    fn strings_audiences_and_scopes() {
        let c = claims(
            r#"{"iss":"https:\/\/i","sub":"al\u0069ce","aud":["a","b"],"scope":"orders:read  profile","x":{"y":[1]}}"#,
        )
        .unwrap();
        assert_eq!(c.iss(), Some("https://i"));
        assert_eq!(c.sub(), Some("alice"));
        assert_eq!(c.jti(), None);
        assert_eq!(c.audiences().unwrap().collect::<Vec<_>>(), ["a", "b"]);
        assert!(c.has_scope("orders:read") && c.has_scope("profile"));
        assert!(!c.has_scope("orders") && !c.has_scope("orders:read profile"));
        assert_eq!(c.has_registered("aud"), Some(true));
        assert_eq!(c.has_registered("tenant"), None);
        let empty = claims(r#"{"aud": []}"#).unwrap();
        assert_eq!(empty.audiences().unwrap().count(), 0);
        assert!(claims(r#"{"aud": "one"}"#).unwrap().audiences().unwrap().eq(["one"]));
        assert!(claims("{}").unwrap().audiences().is_none());
        let many = claims(r#"{"aud":["a","bb","ccc"],"sub":"s"}"#).unwrap();
        assert_eq!(many.audiences().unwrap().collect::<Vec<_>>(), ["a", "bb", "ccc"]);
        let token = b"h.p.s";
        let with_header =
            Claims::parse_for_token(br#"{"sub":"s"}"#, Some("k1"), None, token).unwrap();
        assert_eq!(with_header.token(), token);
        assert_eq!(claims("{}").unwrap().token(), b"");
        assert_eq!(
            (with_header.sub(), with_header.kid(), with_header.typ()),
            (Some("s"), Some("k1"), None)
        );
    }

    #[test]
    fn a_scope_array_of_scope_tokens_reads_as_the_space_separated_string() {
        // Duende IdentityServer and Spring Authorization Server send `scope` as an array.
        let array = claims(r#"{"scope":["orders:read","orders:write"]}"#).unwrap();
        assert_eq!(array.scope(), Some("orders:read orders:write"));
        assert!(array.has_scope("orders:write") && !array.has_scope("orders"));
        assert_eq!(claims(r#"{"scope":[]}"#).unwrap().scope(), Some(""));
        assert_eq!(claims(r#"{"scope":["a\u0020b"]}"#), Err(Rejection::BadClaims), "escaped space");
    }
}
