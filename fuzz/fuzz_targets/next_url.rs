//! `login_url` and `make_next_param` over arbitrary login views, current
//! URLs and field names.
//!
//! Input: `view \0 next \0 field` (lossy UTF-8; missing parts default to
//! `/login`, `/` and `next`). Checked: no panic; `make_next_param` returns
//! the current URL or a part of it (never longer); `login_url`'s output is
//! bounded (each input byte at most 3 output bytes, as percent-encoding
//! does); and for a plain login path, the output is exactly
//! `path?quote_plus(field)=quote_plus(make_next_param(path, next))`, with
//! the quoting re-implemented here from Python's `quote_plus`.
#![no_main]

use actix_login::{login_url, make_next_param};
use libfuzzer_sys::fuzz_target;

fn quote_plus(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\0');
    let view = parts.next().filter(|s| !s.is_empty()).unwrap_or("/login");
    let next = parts.next().unwrap_or("/");
    let field = parts.next().filter(|s| !s.is_empty()).unwrap_or("next");

    let param = make_next_param(view, next);
    assert!(
        param.len() <= next.len(),
        "make_next_param grew {next:?} into {param:?}"
    );

    assert_eq!(login_url(view, None, field), view);
    let url = login_url(view, Some(next), field);
    let bound = 3 * (view.len() + next.len() + field.len()) + 16;
    assert!(
        url.len() <= bound,
        "login_url({view:?}, {next:?}, {field:?}) is {} bytes",
        url.len()
    );

    // A plain path (what `login_view("/login")` gives): an exact oracle.
    let plain = view.starts_with('/')
        && !view.starts_with("//")
        && !view.contains(['?', '#', ':'])
        && !view.is_empty();
    if plain {
        let want = format!("{view}?{}={}", quote_plus(field), quote_plus(&param));
        assert_eq!(url, want, "login_url({view:?}, {next:?}, {field:?})");
    }
    // The next parameter is always percent-encoded: whatever the client put
    // in the URL, the part `login_url` adds holds no raw byte that could
    // end the query or start a new header.
    if let Some(q) = url.find('?') {
        let added = &url[q..];
        if plain {
            assert!(
                added
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"?=&%+_.-~".contains(&b)),
                "raw bytes in {added:?}"
            );
        }
    }
});
