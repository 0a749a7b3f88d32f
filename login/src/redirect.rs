//! `login_url` and `make_next_param`: the redirect to the login view, with
//! the query strings Flask-Login writes.

use std::borrow::Cow;

/// The parts of a URL as Python's `urllib.parse.urlsplit` sees them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Split<'a> {
    scheme: &'a str,
    netloc: &'a str,
    path: &'a str,
    query: &'a str,
    fragment: &'a str,
}

fn urlsplit(url: &str) -> Split<'_> {
    let mut rest = url;
    let mut out = Split::default();
    if let Some(colon) = rest.find(':') {
        let scheme = &rest[..colon];
        if !scheme.is_empty()
            && scheme.as_bytes()[0].is_ascii_alphabetic()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            out.scheme = scheme;
            rest = &rest[colon + 1..];
        }
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        out.netloc = &after[..end];
        rest = &after[end..];
    }
    if let Some(hash) = rest.find('#') {
        out.fragment = &rest[hash + 1..];
        rest = &rest[..hash];
    }
    if let Some(q) = rest.find('?') {
        out.query = &rest[q + 1..];
        rest = &rest[..q];
    }
    out.path = rest;
    out
}

fn urlunsplit(scheme: &str, netloc: &str, path: &str, query: &str) -> String {
    urlunsplit_fragment(scheme, netloc, path, query, "")
}

fn urlunsplit_fragment(
    scheme: &str,
    netloc: &str,
    path: &str,
    query: &str,
    fragment: &str,
) -> String {
    let mut url = String::with_capacity(scheme.len() + netloc.len() + path.len() + query.len() + 8);
    if !scheme.is_empty() {
        url.push_str(scheme);
        url.push(':');
    }
    if !netloc.is_empty() {
        url.push_str("//");
        url.push_str(netloc);
        if !path.is_empty() && !path.starts_with('/') {
            url.push('/');
        }
    }
    url.push_str(path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

/// Python's `quote_plus` with `safe=''`: everything but `A-Z a-z 0-9 _ . - ~`
/// is percent-encoded (UTF-8), a space becomes `+`.
pub(crate) fn quote_plus(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
}

/// Python's `unquote_plus`: `+` is a space, `%XX` a byte, invalid UTF-8
/// replaced.
fn unquote_plus(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let h = |c: u8| (c as char).to_digit(16);
                match (h(bytes[i + 1]), h(bytes[i + 2])) {
                    (Some(a), Some(b)) => {
                        out.push((a * 16 + b) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Python's `parse_qs(query, keep_blank_values=True)`: keys in the order
/// they first appear, each with all its values.
fn parse_qs(query: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (unquote_plus(k), unquote_plus(v));
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some((_, values)) => values.push(v),
            None => out.push((k, vec![v])),
        }
    }
    out
}

/// How the login URL's query is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QueryOrder {
    /// Flask-Login 0.6.3: the login view's keys in their order, `next`
    /// replaced in place or appended.
    Insertion,
    /// Flask-Login 0.2.4 (Werkzeug `url_encode(sort=True)`): pairs sorted.
    Sorted,
}

/// Flask-Login's `make_next_param`: drops the scheme and host of
/// `current_url` when the login URL has none or the same ones, so `next` is a
/// path (plus query).
///
/// ```
/// use actix_login::make_next_param;
/// assert_eq!(make_next_param("/login", "http://localhost/profile"), "/profile");
/// assert_eq!(
///     make_next_param("https://localhost/login", "http://localhost/profile"),
///     "http://localhost/profile"
/// );
/// ```
pub fn make_next_param<'a>(login_url: &str, current_url: &'a str) -> Cow<'a, str> {
    let l = urlsplit(login_url);
    let c = urlsplit(current_url);
    if (l.scheme.is_empty() || l.scheme == c.scheme)
        && (l.netloc.is_empty() || l.netloc == c.netloc)
    {
        if c.scheme.is_empty()
            && c.netloc.is_empty()
            && !current_url.contains('#')
            && !current_url.ends_with('?')
        {
            return Cow::Borrowed(current_url);
        }
        return Cow::Owned(urlunsplit("", "", c.path, c.query));
    }
    Cow::Borrowed(current_url)
}

/// Flask-Login's `login_url`: the login view's URL with `next_field` set to
/// [`make_next_param(login_view, next_url)`](make_next_param), in Flask-Login
/// 0.6.3's exact form (`quote_plus` encoding, the view's own query keys
/// first).
///
/// ```
/// use actix_login::login_url;
/// assert_eq!(login_url("/login", Some("http://localhost/protected"), "next"), "/login?next=%2Fprotected");
/// assert_eq!(login_url("/login?affil=cgnu", Some("/protected"), "next"), "/login?affil=cgnu&next=%2Fprotected");
/// assert_eq!(login_url("/foo", None, "next"), "/foo");
/// ```
pub fn login_url(login_view: &str, next_url: Option<&str>, next_field: &str) -> String {
    build_login_url(
        login_view,
        next_url,
        next_field,
        QueryOrder::Insertion,
        None,
    )
}

pub(crate) fn build_login_url(
    base: &str,
    next_url: Option<&str>,
    next_field: &str,
    order: QueryOrder,
    force_host: Option<&str>,
) -> String {
    let Some(next_url) = next_url else {
        return base.to_owned();
    };
    let next = make_next_param(base, next_url);
    let parts = urlsplit(base);
    let mut md = parse_qs(parts.query);
    match md.iter_mut().find(|(k, _)| k == next_field) {
        Some((_, values)) => *values = vec![next.into_owned()],
        None => md.push((next_field.to_owned(), vec![next.into_owned()])),
    }
    let mut pairs: Vec<(&str, &str)> = md
        .iter()
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
        .collect();
    if order == QueryOrder::Sorted {
        pairs.sort();
    }
    let mut query = String::with_capacity(64);
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            query.push('&');
        }
        quote_plus(k, &mut query);
        query.push('=');
        quote_plus(v, &mut query);
    }
    let netloc = force_host.filter(|h| !h.is_empty()).unwrap_or(parts.netloc);
    urlunsplit_fragment(parts.scheme, netloc, parts.path, &query, parts.fragment)
}

/// Returns `target` if following it keeps the user on this site, `None`
/// otherwise: the check a login view must make before redirecting to a
/// `next` that came from the client (Flask-Login leaves it to the app, and
/// an unchecked `next` is an open redirect).
///
/// Accepted: paths (`/account?tab=1`), relative references without a scheme
/// (`page`, `?q=1`, `#top`), and — only when `allowed_host` is given —
/// absolute `http`/`https` URLs whose authority is exactly that host
/// (compared case-insensitively, port included: `example.com:8443`).
///
/// Rejected, because some browser would leave the site:
/// scheme-relative URLs (`//evil.com`, `///evil.com`), any backslash
/// (`/\evil.com`, `\\evil.com`: browsers read `\` as `/`), other schemes
/// (`javascript:`, `data:`, `ftp:`…), a scheme without `//`
/// (`http:evil.com`), user info (`https://good.com@evil.com`), control,
/// whitespace and invisible formatting characters anywhere, an empty
/// target, and any of these hidden behind percent-encoding, however many
/// times encoded (`%2F%2Fevil.com`, `/%5Cevil.com`, `%252F%252F`…), since
/// some layer may decode `next` once more.
///
/// ```
/// use actix_login::safe_next;
///
/// assert_eq!(safe_next("/account?tab=2", None).as_deref(), Some("/account?tab=2"));
/// assert_eq!(safe_next("https://example.com/x", Some("example.com")).as_deref(), Some("https://example.com/x"));
/// for evil in ["//evil.com", "/\\evil.com", "https://example.com@evil.com", "javascript:alert(1)",
///              "%2F%2Fevil.com", "https://evil.com/", " //evil.com", "/%09/evil.com"] {
///     assert_eq!(safe_next(evil, Some("example.com")), None, "{evil}");
/// }
/// ```
pub fn safe_next(target: &str, allowed_host: Option<&str>) -> Option<String> {
    // Longer than any URL a browser keeps; also bounds the work below.
    const MAX_LEN: usize = 8192;
    if target.is_empty() || target.len() > MAX_LEN {
        return None;
    }
    let mut layer = Cow::Borrowed(target);
    // Each round checks one decoding of the target; five rounds of
    // percent-encoding is already absurd, so more is refused.
    for _ in 0..6 {
        if !layer_is_safe(&layer, allowed_host) {
            return None;
        }
        match percent_decode_once(&layer) {
            Some(decoded) => layer = Cow::Owned(decoded),
            None => return Some(target.to_owned()),
        }
    }
    None
}

/// One percent-decoding of `s`, or `None` when it has no escape.
fn percent_decode_once(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut changed = false;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let h = |c: u8| (c as char).to_digit(16);
            if let (Some(a), Some(b)) = (
                bytes.get(i + 1).and_then(|&c| h(c)),
                bytes.get(i + 2).and_then(|&c| h(c)),
            ) {
                out.push((a * 16 + b) as u8);
                changed = true;
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    changed.then(|| String::from_utf8_lossy(&out).into_owned())
}

/// Characters no legitimate redirect target contains raw, and that browsers
/// strip or reinterpret: controls, whitespace, invisible formatting marks,
/// and the backslash.
fn is_forbidden_char(c: char) -> bool {
    c == '\\'
        || c.is_control()
        || c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
            | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
}

fn layer_is_safe(url: &str, allowed_host: Option<&str>) -> bool {
    if url.is_empty() || url.chars().any(is_forbidden_char) {
        return false;
    }
    if let Some(rest) = url.strip_prefix('/') {
        // `//host` and `///host` are scheme-relative for browsers.
        return !rest.starts_with('/');
    }
    // The first segment decides whether there is a scheme.
    let first_end = url.find(['/', '?', '#']).unwrap_or(url.len());
    let Some(colon) = url[..first_end].find(':') else {
        // A relative reference: `page`, `?q=1`, `#top`.
        return true;
    };
    let scheme = &url[..colon];
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return false;
    }
    let Some(after) = url[colon + 1..].strip_prefix("//") else {
        return false;
    };
    let end = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..end];
    match allowed_host {
        Some(host) => {
            !authority.is_empty()
                && !authority.contains('@')
                && authority.eq_ignore_ascii_case(host)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_next_table() {
        let p = "http://localhost/protected";
        assert_eq!(login_url("/login", Some(p), "n"), "/login?n=%2Fprotected");
        assert_eq!(
            login_url("https://auth.localhost/login", Some(p), "next"),
            "https://auth.localhost/login?next=http%3A%2F%2Flocalhost%2Fprotected"
        );
        assert_eq!(
            build_login_url(
                "/login?z=1&a=2&next=old",
                Some("/protected"),
                "next",
                QueryOrder::Sorted,
                None
            ),
            "/login?a=2&next=%2Fprotected&z=1"
        );
        assert_eq!(
            login_url("/login?z=1&a=2&next=old", Some("/protected"), "next"),
            "/login?z=1&a=2&next=%2Fprotected"
        );
        assert_eq!(
            login_url("/login?a=1&a=2&b=", Some("/x"), "next"),
            "/login?a=1&a=2&b=&next=%2Fx"
        );
        assert_eq!(
            login_url(
                "http://localhost/login",
                Some("http://localhost/x?y=1"),
                "next"
            ),
            "http://localhost/login?next=%2Fx%3Fy%3D1"
        );
        assert_eq!(
            login_url("/login", Some("https://localhost/x"), "next"),
            "/login?next=%2Fx"
        );
        assert_eq!(
            build_login_url(
                "/login",
                Some("http://bad.com/protected"),
                "next",
                QueryOrder::Insertion,
                Some("good.com")
            ),
            "//good.com/login?next=%2Fprotected"
        );
        assert_eq!(
            login_url("/login", Some("/protected?"), "next"),
            "/login?next=%2Fprotected"
        );
        assert_eq!(
            login_url("/login#top", Some("/p#frag"), "next"),
            "/login?next=%2Fp#top"
        );
        assert_eq!(
            login_url("/login", Some("/protected?b=2&a=x%20y"), "next"),
            "/login?next=%2Fprotected%3Fb%3D2%26a%3Dx%2520y"
        );
    }

    #[test]
    fn unquote_plus_handles_bad_escapes() {
        assert_eq!(unquote_plus("a+b%2"), "a b%2");
        assert_eq!(unquote_plus("%zz%41"), "%zzA");
        assert_eq!(unquote_plus("%"), "%");
    }
}

#[cfg(test)]
mod safe_next_tests {
    use super::safe_next;

    #[test]
    fn keeps_local_targets() {
        for ok in [
            "/",
            "/a/b?c=d&e=%2F#x",
            "page",
            "?q=1",
            "#top",
            "/files/a%2Fb",
            "/caf%C3%A9",
            "/café",
        ] {
            assert_eq!(safe_next(ok, None).as_deref(), Some(ok), "{ok}");
        }
        assert!(safe_next("HTTPS://Example.COM/x", Some("example.com")).is_some());
        assert!(safe_next("http://example.com:8443/x", Some("example.com:8443")).is_some());
    }

    #[test]
    fn rejects_leaving_targets() {
        let evil = [
            "",
            "//evil.com",
            "///evil.com",
            "////evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "\\/evil.com",
            "/\\/evil.com",
            "https://evil.com",
            "http://evil.com",
            "https://example.com@evil.com",
            "https://user:pw@example.com/",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "ftp://example.com/",
            "http:/evil.com",
            "http:evil.com",
            "http:///evil.com",
            "https:\\\\evil.com",
            " /x",
            "\t//evil.com",
            "/\t/evil.com",
            "\n//evil.com",
            "/x\r\nSet-Cookie:a",
            "\u{0}//evil.com",
            "\u{200B}//evil.com",
            "\u{FEFF}/x",
            "/\u{2028}/evil.com",
            "%2F%2Fevil.com",
            "/%2Fevil.com",
            "/%5Cevil.com",
            "%5C%5Cevil.com",
            "%252F%252Fevil.com",
            "/%252F/evil.com",
            "javascript%3Aalert(1)",
            "%6A%61%76%61%73%63%72%69%70%74:alert(1)",
            "/%09/evil.com",
            "/%0D%0A//evil.com",
            "%00//evil.com",
            "https://example.com.evil.com/",
            "https://evil.com#@example.com",
            "https://evil.com\\@example.com",
            "https:example.com",
            "//example.com",
            "a:b",
            "%25252F%25252Fevil.com",
            "%2525252525252F%2F",
        ];
        for e in evil {
            assert_eq!(safe_next(e, Some("example.com")), None, "{e:?}");
        }
    }
}
