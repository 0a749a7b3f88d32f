//! Byte-exact interoperability with Flask-Login: every vector of
//! `tests/data/cookie-vectors.json` (a copy of the reference's
//! `shared/reference/cookie-vectors.json`, kept here so the suite runs
//! without `../shared`).
//!
//! * Remember cookies, both profiles (and "main", identical to 0.6.3):
//!   `LoginManager::encode_cookie` gives the value, `decode_cookie` reads it
//!   back (bare and in the quoted `Set-Cookie` form), a real
//!   `login_user(remember=True)` request sends the vector's `Set-Cookie`
//!   (apart from the date), and the vector's cookie sent back with no
//!   session logs that user in.
//! * The decode failure cases (§2.2, `decode_rules`): anonymous through
//!   HTTP, `None` from `decode_cookie`.
//! * Session identifiers: `session_identifier` against the "0.6.3" vectors
//!   (0.6.3 profile; since commit ec27fd8 the port uses 0.6.3's own formula,
//!   still without trusting X-Forwarded-For; the brief and README.md still
//!   say Flask-Login main's, whose vectors are checked *not* to match) and
//!   the "0.2.4" vectors, directly and as the `_id` a login stores.
//!
//! Not used: `flask_session_cookie_example` (Flask's own signed session
//! cookie; actix-login keeps its state in actix-session's cookie, whose
//! format is actix-session's).

use std::time::Duration;

use crate::common::*;
use actix_login::{session_identifier, LoginManager, Profile, RememberCookie, SessionProtection};
use actix_web::{
    http::{header, header::HeaderValue, StatusCode},
    test::TestRequest,
};
use serde_json::Value;

const COOKIE_NAME: &str = "remember_token";

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/cookie-vectors.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).expect("cookie-vectors.json is JSON")
}

fn profile_of(name: &str) -> Profile {
    match name {
        "0.2.4" => Profile::V0_2_4,
        "0.6.3" | "main" => Profile::V0_6_3,
        other => panic!("unknown profile {other}"),
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A remember-cookie vector.
struct CookieVector {
    profile: Profile,
    label: String,
    secret: Secret,
    user_id: String,
    cookie_value: String,
    set_cookie_header: String,
}

#[derive(Clone)]
enum Secret {
    Text(String),
    Bytes(Vec<u8>),
}

fn cookie_vectors() -> Vec<CookieVector> {
    let v = vectors();
    let mut out = Vec::new();
    for profile in ["0.2.4", "0.6.3", "main"] {
        let list = v["remember_cookie"][profile]["vectors"]
            .as_array()
            .expect("vectors");
        assert_eq!(list.len(), 5, "{profile}");
        for (i, vec) in list.iter().enumerate() {
            let secret = match (vec.get("secret_key"), vec.get("secret_key_hex")) {
                (Some(k), None) => Secret::Text(k.as_str().unwrap().to_owned()),
                (None, Some(h)) => Secret::Bytes(hex_decode(h.as_str().unwrap())),
                _ => panic!("vector without a key"),
            };
            out.push(CookieVector {
                profile: profile_of(profile),
                label: format!("{profile} #{}", i + 1),
                secret,
                user_id: vec["user_id"].as_str().unwrap().to_owned(),
                cookie_value: vec["cookie_value"].as_str().unwrap().to_owned(),
                set_cookie_header: vec["set_cookie_header"].as_str().unwrap().to_owned(),
            });
        }
    }
    out
}

fn builder_for(profile: Profile, secret: &Secret) -> actix_login::LoginManagerBuilder<TestUser> {
    let secret = match secret {
        Secret::Text(t) => actix_login::SecretKey::from(t.as_str()),
        Secret::Bytes(bytes) => actix_login::SecretKey::bytes(bytes.clone()),
    };
    LoginManager::builder(load_user, secret)
        .profile(profile)
        .session_protection(SessionProtection::Off)
        .remember_cookie(
            RememberCookie::new()
                .name(COOKIE_NAME)
                .secure(false)
                .same_site(None),
        )
}

/// The cookie value as the vector's `Set-Cookie` carries it (quoted or not).
fn header_value(set_cookie: &str) -> String {
    SetCookie::parse(set_cookie)
        .expect("a Set-Cookie header")
        .value
}

fn without_expires(header: &str) -> String {
    let c = SetCookie::parse(header).unwrap();
    let expires = c.attr("expires").expect("Expires").to_owned();
    header.replace(&format!("Expires={expires}"), "Expires=*")
}

#[test]
fn the_copy_of_the_vectors_matches_the_reference_when_present() {
    let reference = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/reference/cookie-vectors.json"
    );
    if let Ok(text) = std::fs::read_to_string(reference) {
        let reference: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            reference,
            vectors(),
            "tests/data/cookie-vectors.json is out of date"
        );
    }
}

#[test]
fn main_cookies_are_byte_identical_to_063() {
    let all = cookie_vectors();
    let of = |p: &str| {
        all.iter()
            .filter(|v| v.label.starts_with(p))
            .map(|v| v.cookie_value.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(of("main"), of("0.6.3"));
    assert_ne!(of("0.2.4"), of("0.6.3"));
}

#[test]
fn encode_cookie_gives_every_vector() {
    for v in cookie_vectors() {
        let m = builder_for(v.profile, &v.secret).build();
        assert_eq!(m.encode_cookie(&v.user_id), v.cookie_value, "{}", v.label);
    }
}

#[test]
fn decode_cookie_reads_every_vector_bare_and_quoted() {
    for v in cookie_vectors() {
        let m = builder_for(v.profile, &v.secret).build();
        assert_eq!(
            m.decode_cookie(&v.cookie_value).as_deref(),
            Some(v.user_id.as_str()),
            "{}",
            v.label
        );
        let sent = header_value(&v.set_cookie_header);
        assert_eq!(
            m.decode_cookie(&sent).as_deref(),
            Some(v.user_id.as_str()),
            "{} as {sent}",
            v.label
        );
    }
}

#[test]
fn vectors_do_not_verify_under_the_other_profile_or_key() {
    for v in cookie_vectors() {
        let other = match v.profile {
            Profile::V0_2_4 => Profile::V0_6_3,
            Profile::V0_6_3 => Profile::V0_2_4,
        };
        let m = builder_for(other, &v.secret).build();
        assert_eq!(m.decode_cookie(&v.cookie_value), None, "{}", v.label);
        let m = builder_for(v.profile, &Secret::Text("another key".to_owned())).build();
        assert_eq!(m.decode_cookie(&v.cookie_value), None, "{}", v.label);
    }
}

/// §2.4: under 0.6.3 a text key is Latin-1; encoding vector 4's key as
/// UTF-8 gives a digest beginning `6548b3fa`, which is wrong.
#[test]
fn the_063_text_key_is_latin1_not_utf8() {
    let utf8 = builder_for(
        Profile::V0_6_3,
        &Secret::Bytes("clé-secrète".as_bytes().to_vec()),
    )
    .build();
    let cookie = utf8.encode_cookie("ünïcödé");
    assert!(cookie.starts_with("ünïcödé|6548b3fa"), "{cookie}");
    let latin1 = builder_for(Profile::V0_6_3, &Secret::Text("clé-secrète".to_owned())).build();
    assert_eq!(latin1.decode_cookie(&cookie), None);
    // `SecretKeyTestCase.test_native`: str "\x9e\x8f\x14" is b"\x9e\x8f\x14".
    let text = builder_for(
        Profile::V0_6_3,
        &Secret::Text("\u{9e}\u{8f}\u{14}".to_owned()),
    )
    .build();
    let bytes = builder_for(Profile::V0_6_3, &Secret::Bytes(vec![0x9e, 0x8f, 0x14])).build();
    assert_eq!(text.encode_cookie("1"), bytes.encode_cookie("1"));
    // 0.2.4 encoded a text key as UTF-8.
    let v024 = builder_for(
        Profile::V0_2_4,
        &Secret::Text("\u{9e}\u{8f}\u{14}".to_owned()),
    )
    .build();
    let v024_utf8 = builder_for(
        Profile::V0_2_4,
        &Secret::Bytes("\u{9e}\u{8f}\u{14}".as_bytes().to_vec()),
    )
    .build();
    assert_eq!(v024.encode_cookie("1"), v024_utf8.encode_cookie("1"));
}

/// `CookieEncodingTestCase.test_cookie_encoding` / `..._with_key`.
#[test]
fn upstream_cookie_encoding_test() {
    let m = builder_for(Profile::V0_6_3, &Secret::Text("deterministic".to_owned())).build();
    let cookie = m.encode_cookie("1");
    assert_eq!(
        cookie,
        "1|0e9e6e9855fbe6df7906ec4737578a1d491b38d3fd5246c1561016e189d6516043286501ca43257c938e60aad77acec5ce916b94ca9d00c0bb6f9883ae4b82ae"
    );
    assert_eq!(m.decode_cookie(&cookie).as_deref(), Some("1"));
    assert_eq!(m.decode_cookie("Foo|BAD_BASH"), None);
    assert_eq!(m.decode_cookie("no bar"), None);
    let other = builder_for(Profile::V0_6_3, &Secret::Text("not-used".to_owned())).build();
    assert_eq!(other.decode_cookie(&cookie), None);
}

/// A real `login_user(remember=True)` sends the vector's header (the date
/// aside: it is now + 365 days).
#[actix_web::test]
async fn login_sends_every_vectors_set_cookie_header() {
    for v in cookie_vectors() {
        let users = Users::data();
        users.insert(TestUser::new(&v.user_id, "Vector", true));
        let mut c = start(builder_for(v.profile, &v.secret).build(), users, |_| {}).await;
        c.remember_name = COOKIE_NAME.to_owned();
        let r = c
            .get(&format!("/login-as?id={}&remember=1", quote(&v.user_id)))
            .await;
        assert_eq!(r.body, "True", "{}", v.label);
        let raw = r
            .set_cookie_raw(COOKIE_NAME)
            .unwrap_or_else(|| panic!("{}: no cookie", v.label));
        assert_eq!(
            without_expires(&raw),
            without_expires(&v.set_cookie_header),
            "{}",
            v.label
        );
        let sent = SetCookie::parse(&raw).unwrap();
        assert_expires_in(&sent, Duration::from_secs(365 * 24 * 3600));
        // Werkzeug's date formats: 0.16 dashes the date, 3.x does not.
        let expires = sent.attr("expires").unwrap();
        let want = SetCookie::parse(&v.set_cookie_header).unwrap();
        let want = want.attr("expires").unwrap();
        assert_eq!(
            expires.len(),
            want.len(),
            "{}: {expires} vs {want}",
            v.label
        );
        assert_eq!(
            expires.matches('-').count(),
            want.matches('-').count(),
            "{}",
            v.label
        );
    }
}

/// The vector's cookie, sent by a browser that has no session, logs its
/// user in: bare value, and the quoted `Set-Cookie` form.
#[actix_web::test]
async fn every_vectors_cookie_logs_its_user_in() {
    for v in cookie_vectors() {
        for sent in [v.cookie_value.clone(), header_value(&v.set_cookie_header)] {
            // A raw `;` cannot travel in a Cookie header: only the quoted form.
            if sent.contains(';') && !sent.starts_with('"') {
                continue;
            }
            // Werkzeug 3 reads raw non-ASCII bytes as Latin-1: see
            // `raw_utf8_cookie_is_latin1_in_063`.
            if v.profile == Profile::V0_6_3 && !sent.is_ascii() {
                continue;
            }
            let users = Users::data();
            users.insert(TestUser::new(&v.user_id, "Vector", true));
            let mut c = start(builder_for(v.profile, &v.secret).build(), users, |_| {}).await;
            c.remember_name = COOKIE_NAME.to_owned();
            c.set_remember(&sent);
            let r = c.get("/userid").await;
            assert_eq!(r.status, StatusCode::OK);
            assert_eq!(r.body, v.user_id, "{} sent as {sent}", v.label);
            assert_eq!(c.body("/is-fresh").await, "False");
            assert_eq!(c.body("/is-remembered").await, "True");
        }
    }
}

/// A browser sending vector 4 unquoted (raw UTF-8): Werkzeug 3 reads the
/// bytes as Latin-1 (`ü` becomes `Ã¼`), so the digest does not match and
/// 0.6.3 is anonymous; Werkzeug 0.16 decoded UTF-8, so 0.2.4 logs in.
#[actix_web::test]
async fn raw_utf8_cookie_is_latin1_in_063() {
    for v in cookie_vectors()
        .into_iter()
        .filter(|v| !v.cookie_value.is_ascii() && !v.cookie_value.contains(';'))
    {
        let users = Users::data();
        users.insert(TestUser::new(&v.user_id, "Vector", true));
        let mut c = start(builder_for(v.profile, &v.secret).build(), users, |_| {}).await;
        c.remember_name = COOKIE_NAME.to_owned();
        c.set_remember(&v.cookie_value);
        let r = c.get("/userid").await;
        let expected = match v.profile {
            Profile::V0_6_3 => "Anonymous",
            Profile::V0_2_4 => v.user_id.as_str(),
        };
        assert_eq!(
            (r.status, r.body.as_str()),
            (StatusCode::OK, expected),
            "{}",
            v.label
        );
    }
}

/// `decode_rules`: `'|' + hmac('')` decodes to the empty id, and the loader
/// is asked for `""`, as in Flask-Login (commit ec27fd8; README.md still
/// says "refused").
#[actix_web::test]
async fn a_signed_empty_id_is_accepted_as_flask_login_does() {
    for profile in [Profile::V0_6_3, Profile::V0_2_4] {
        let m = builder_for(profile, &Secret::Text("deterministic".to_owned())).build();
        let cookie = m.encode_cookie("");
        assert_eq!(m.decode_cookie(&cookie).as_deref(), Some(""), "{profile:?}");
        let users = Users::data();
        users.insert(TestUser::new("", "Nobody", true));
        let mut c = start(m, users, |_| {}).await;
        c.remember_name = COOKIE_NAME.to_owned();
        c.set_remember(&cookie);
        assert_eq!(c.body("/username").await, "Nobody", "{profile:?}");
        // Without such a user it is just anonymous.
        let mut c = start(
            builder_for(profile, &Secret::Text("deterministic".to_owned())).build(),
            Users::data(),
            |_| {},
        )
        .await;
        c.remember_name = COOKIE_NAME.to_owned();
        c.set_remember(&cookie);
        assert_eq!(c.body("/username").await, "Anonymous", "{profile:?}");
    }
}

// ------------------------------------------------------------ decode rules

/// `decode_rules.failure_cases_0.6.3` (except the empty id, which decodes:
/// see above), plus a non-ASCII digest (DIFFERENCES F4) and a few more.
fn negative_values(profile: Profile) -> Vec<(&'static str, String)> {
    let m = builder_for(profile, &Secret::Text("deterministic".to_owned())).build();
    let valid = m.encode_cookie("1");
    let (_, digest) = valid.split_once('|').unwrap();
    vec![
        ("no '|'", format!("1{digest}")),
        ("empty string", String::new()),
        (
            "uppercase hex digest",
            format!("1|{}", digest.to_uppercase()),
        ),
        ("truncated digest", valid[..valid.len() - 1].to_owned()),
        ("digest one char too long", format!("{valid}0")),
        ("'x|' + valid cookie", format!("x|{valid}")),
        ("'|' only", "|".to_owned()),
        (
            "'|' + hmac('x') (empty id, digest of another)",
            format!("|{}", m.encode_cookie("x").split_once('|').unwrap().1),
        ),
        ("non-ASCII digest", "1|\u{e9}".to_owned()),
        (
            "non-ASCII char inside a valid digest",
            format!("1|{}\u{e9}{}", &digest[..10], &digest[11..]),
        ),
        ("quoted non-ASCII digest", "\"1|\\303\\251\"".to_owned()),
        ("'Foo|BAD_BASH'", "Foo|BAD_BASH".to_owned()),
        ("id changed", format!("2|{digest}")),
        (
            "digest of another id",
            format!("1|{}", m.encode_cookie("2").split_once('|').unwrap().1),
        ),
    ]
}

#[test]
fn decode_cookie_refuses_every_negative_vector() {
    for profile in [Profile::V0_6_3, Profile::V0_2_4] {
        let m = builder_for(profile, &Secret::Text("deterministic".to_owned())).build();
        for (label, value) in negative_values(profile) {
            assert_eq!(
                m.decode_cookie(&value),
                None,
                "{profile:?}: {label}: {value:?}"
            );
        }
        // Trailing space (the value as a whole, not trimmed by a cookie parser).
        assert_eq!(m.decode_cookie(&format!("{} ", m.encode_cookie("1"))), None);
    }
}

#[actix_web::test]
async fn every_negative_vector_is_anonymous_through_http() {
    for profile in [Profile::V0_6_3, Profile::V0_2_4] {
        for (label, value) in negative_values(profile) {
            let users = Users::data();
            // Were a forged empty id accepted, this user would be logged in.
            users.insert(TestUser::new("", "Nobody", true));
            users.insert(TestUser::new("x|1", "X", true));
            let m = builder_for(profile, &Secret::Text("deterministic".to_owned())).build();
            let mut c = start(m, users, |_| {}).await;
            let cookie = format!("{COOKIE_NAME}={value}");
            let r = c
                .send(TestRequest::get().uri("/username").insert_header((
                    header::COOKIE,
                    HeaderValue::from_bytes(cookie.as_bytes()).unwrap(),
                )))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{profile:?}: {label}");
            assert_eq!(r.body, "Anonymous", "{profile:?}: {label}");
            assert!(
                r.set_cookies().is_empty(),
                "{profile:?}: {label}: {:?}",
                r.set_cookies()
            );
            let r = c
                .send(TestRequest::get().uri("/protected").insert_header((
                    header::COOKIE,
                    HeaderValue::from_bytes(cookie.as_bytes()).unwrap(),
                )))
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{profile:?}: {label}");
        }
    }
}

// ------------------------------------------------------- session identifier

struct IdVector {
    remote_addr: String,
    /// The raw header bytes (the JSON gives their Latin-1 reading).
    user_agent: Option<Vec<u8>>,
    x_forwarded_for: Option<String>,
    identifier: String,
}

impl IdVector {
    /// The address Flask-Login 0.6.3 hashed: the first X-Forwarded-For
    /// element when there is one.
    fn upstream_063_addr(&self) -> String {
        match &self.x_forwarded_for {
            Some(xff) => xff.split(',').next().unwrap().trim().to_owned(),
            None => self.remote_addr.clone(),
        }
    }
}

fn id_vectors(profile: &str) -> Vec<IdVector> {
    let v = vectors();
    v["session_identifier"][profile]["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| IdVector {
            remote_addr: x["remote_addr"].as_str().unwrap().to_owned(),
            user_agent: x["user_agent"].as_str().map(|ua| {
                ua.chars()
                    .map(|c| u8::try_from(u32::from(c)).expect("a Latin-1 header"))
                    .collect()
            }),
            x_forwarded_for: x["x_forwarded_for"].as_str().map(str::to_owned),
            identifier: x["identifier"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// 0.6.3 profile: Flask-Login 0.6.3's formula (SHA-512 of the bytes reprs,
/// commit ec27fd8); 0.2.4 profile: MD5, X-Forwarded-For ignored.
#[test]
fn session_identifier_matches_flask_login_063_and_024() {
    for v in id_vectors("0.6.3") {
        assert_eq!(
            session_identifier(
                Profile::V0_6_3,
                Some(&v.upstream_063_addr()),
                v.user_agent.as_deref()
            ),
            v.identifier,
            "0.6.3: {} {:?}",
            v.remote_addr,
            v.user_agent
        );
    }
    for v in id_vectors("0.2.4") {
        assert_eq!(
            session_identifier(
                Profile::V0_2_4,
                Some(&v.remote_addr),
                v.user_agent.as_deref()
            ),
            v.identifier,
            "0.2.4: {} {:?}",
            v.remote_addr,
            v.user_agent
        );
    }
}

/// Flask-Login main's formula (`sha512("{addr}|{ua}")`) is not the 0.6.3
/// profile's.
#[test]
fn session_identifier_is_not_mains_formula() {
    let main = id_vectors("main");
    assert_eq!(main.len(), 4);
    for v in main {
        assert_ne!(
            session_identifier(
                Profile::V0_6_3,
                Some(&v.remote_addr),
                v.user_agent.as_deref()
            ),
            v.identifier
        );
    }
}

/// 0.6.3 hashes `None` for a missing `User-Agent` and `b''` for an empty
/// one; 0.2.4 writes `None` for a missing one.
#[test]
fn a_missing_user_agent_is_not_an_empty_one() {
    let missing = session_identifier(Profile::V0_6_3, Some("10.0.0.5"), None);
    assert_eq!(missing, id_vectors("0.6.3")[1].identifier);
    assert_ne!(
        session_identifier(Profile::V0_6_3, Some("10.0.0.5"), Some(b"")),
        missing
    );
    assert_eq!(
        session_identifier(Profile::V0_2_4, Some("10.0.0.5"), None),
        session_identifier(Profile::V0_2_4, Some("10.0.0.5"), Some(b"None"))
    );
}

/// The `_id` a login stores is the vector's, for the peer address and
/// `User-Agent` the request came with. X-Forwarded-For counts only from a
/// trusted proxy (CHANGELOG "Fixed", #700).
#[actix_web::test]
async fn login_stores_the_vectors_identifier() {
    for (name, profile) in [("0.6.3", Profile::V0_6_3), ("0.2.4", Profile::V0_2_4)] {
        for v in id_vectors(name) {
            for trusted in [false, true] {
                let mut b = builder_for(profile, &Secret::Text("deterministic".to_owned()))
                    .session_protection(SessionProtection::Basic);
                if trusted {
                    for proxy in [v.remote_addr.as_str(), "10.0.0.1"] {
                        b = b.trusted_proxy(proxy.parse().unwrap());
                    }
                }
                let mut c = start(b.build(), Users::data(), |_| {}).await;
                c.peer = std::net::SocketAddr::new(v.remote_addr.parse().unwrap(), 40000);
                c.user_agent = None;
                let with_headers = |uri: &str| {
                    let mut req = TestRequest::get().uri(uri);
                    if let Some(ua) = &v.user_agent {
                        req = req.insert_header((
                            header::USER_AGENT,
                            HeaderValue::from_bytes(ua).unwrap(),
                        ));
                    }
                    if let Some(xff) = &v.x_forwarded_for {
                        req = req.insert_header(("X-Forwarded-For", xff.as_str()));
                    }
                    req
                };
                let expected = match (&v.x_forwarded_for, trusted, profile) {
                    // Untrusted: the peer address is hashed, not the header's.
                    (Some(_), false, Profile::V0_6_3) => {
                        session_identifier(profile, Some(&v.remote_addr), v.user_agent.as_deref())
                    }
                    // 0.2.4 never read the header; with trusted proxies the
                    // port's 0.2.4 profile does, like any other.
                    (Some(_), true, Profile::V0_2_4) => {
                        session_identifier(profile, Some("203.0.113.7"), v.user_agent.as_deref())
                    }
                    _ => v.identifier.clone(),
                };
                assert_eq!(c.send(with_headers("/login-notch")).await.body, "True");
                let r = c.send(with_headers("/session/get?key=_id")).await;
                // The session keeps the digest's first 128 bits, base64url.
                assert_eq!(
                    r.body,
                    format!(
                        "\"{}\"",
                        stored_form_for(
                            profile,
                            &Secret::Text("deterministic".to_owned()),
                            &expected
                        )
                    ),
                    "{name}: {} trusted={trusted}",
                    v.remote_addr
                );
                // The same client passes protection.
                assert_eq!(c.send(with_headers("/username")).await.body, "Notch");
                assert_eq!(
                    c.send(with_headers("/is-fresh")).await.body,
                    "True",
                    "{name}: {}",
                    v.remote_addr
                );
            }
        }
    }
}

/// How the session stores the identifier with Flask digest `hex` under the
/// vector's secret.
fn stored_form_for(profile: Profile, secret: &Secret, hex: &str) -> String {
    actix_login::testing::stored_identifier(&builder_for(profile, secret).build(), hex)
}
