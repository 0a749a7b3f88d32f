//! Shared by the fuzz targets: a user type, a loader, and an independent
//! implementation of Werkzeug's cookie quoting (the oracle for the
//! library's unquoting).
#![allow(dead_code)]

use actix_login::{LoaderError, LoginManager, Profile, User, UserLoader};
use actix_web::HttpRequest;

#[derive(Clone, Debug)]
pub struct FuzzUser {
    pub id: String,
}

impl User for FuzzUser {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

/// Knows ids `1`, `2` and `fail`; `fail` makes the loader return an error
/// (a database that is down), which is the only permitted 5xx.
pub struct Loader;

thread_local! {
    /// Set when the loader failed during the current input.
    pub static LOADER_FAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl UserLoader for Loader {
    type User = FuzzUser;

    async fn load_user(
        &self,
        id: &str,
        _req: &HttpRequest,
    ) -> Result<Option<FuzzUser>, LoaderError> {
        match id {
            "1" | "2" => Ok(Some(FuzzUser { id: id.to_owned() })),
            "fail" => {
                LOADER_FAILED.with(|f| f.set(true));
                Err(LoaderError::from("database is down"))
            }
            _ => Ok(None),
        }
    }
}

pub const SECRET: &str = "fuzzing secret: the fuzzer never sees it";

pub fn manager(profile: Profile) -> LoginManager<FuzzUser> {
    LoginManager::builder(Loader, SECRET)
        .profile(profile)
        .build()
}

/// Werkzeug 3's `_cookie_quote` (the 0.6.3 profile's Set-Cookie value),
/// written from Werkzeug's source, not from actix-login's.
pub fn werkzeug_quote(value: &str) -> String {
    let bare = |b: u8| b.is_ascii_alphanumeric() || b"_!#$%&'()*+-./:<=>?@[]^`{|}~".contains(&b);
    if value.bytes().all(bare) {
        return value.to_owned();
    }
    let mut out = String::from("\"");
    for b in value.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b if b == b',' || b == b';' || !(0x1a..0x7f).contains(&b) => {
                out.push_str(&format!("\\{b:03o}"))
            }
            b => out.push(b as char),
        }
    }
    out.push('"');
    out
}

/// Every `\ooo` (first digit 0–3, as Werkzeug reads them) and `\c` escape
/// undone, anywhere in `raw`: a deliberately over-generous reading, used only to decide whether an input *could*
/// have carried a valid signature.
pub fn unescape_all(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() {
            let r = &raw[i + 1..];
            if r.len() >= 3
                && (b'0'..=b'3').contains(&r[0])
                && r[1..3].iter().all(|c| (b'0'..=b'7').contains(c))
            {
                out.push(((r[0] - b'0') << 6) | ((r[1] - b'0') << 3) | (r[2] - b'0'));
                i += 4;
                continue;
            }
            out.push(r[0]);
            i += 2;
            continue;
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

/// `%XX` decoded once, everything else kept.
pub fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'%' && i + 2 < raw.len() {
            let h = |c: u8| (c as char).to_digit(16);
            if let (Some(a), Some(b)) = (h(raw[i + 1]), h(raw[i + 2])) {
                out.push((a * 16 + b) as u8);
                i += 3;
                continue;
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
