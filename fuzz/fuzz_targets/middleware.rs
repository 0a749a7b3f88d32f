//! The whole middleware stack (actix-session's cookie store + the login
//! manager + guarded handlers) fed one arbitrary request per input through
//! an in-process service (`actix_web::test::init_service`).
//!
//! Input, a text format so that seeds can be written by hand:
//!
//! ```text
//! GET /whoami?x=1            <- method, space, request target (raw bytes)
//! cookie: a=b; remember_token={R1}
//! user-agent: ...            <- any header; invalid names are dropped,
//! x-fuzz-app: 2              <- picks one of four app configurations
//! ```
//!
//! `{R1}`, `{R2}`, `{Rfail}` become a validly signed remember cookie value
//! for that id, `{S1}`, `{S2}`, `{Sfail}` a valid session cookie value of a
//! session logged in as that id, `{P}` the 0.2.4-signed value for id 1.
//! Header values keep their raw bytes (non-UTF-8 included); only the bytes
//! HTTP forbids in a header (CR, LF, NUL, other controls but tab) are
//! dropped, as a real server would never pass them on. A target that is not
//! a valid request target is skipped (the HTTP parser answers 400 before
//! any middleware runs).
//!
//! Checked: no panic; no 5xx unless the loader failed (id `fail`); a
//! response that names a user, or a guarded page that answers 200, only
//! when the input held that user's valid signature (a signed remember
//! value, or a session cookie issued for them); a remember cookie set in
//! the response only for such a user.
#![no_main]

#[path = "common.rs"]
mod common;

use std::{cell::RefCell, collections::HashMap};

use actix_http::Request;
use actix_login::{
    fresh_login_required, login_remembered, login_required, login_user, logout_user, CurrentUser,
    LoginManager, LoginOptions, Profile, RememberCookie, SessionProtection,
};
use actix_service::boxed::{self, RcService};
use actix_session::{storage::CookieSessionStore, SessionMiddleware};
use actix_web::{
    body::{BoxBody, MessageBody},
    cookie::Key,
    dev::{Service, ServiceResponse},
    http::{
        header::{HeaderName, HeaderValue},
        Method, Uri,
    },
    test, web, App, HttpRequest, HttpResponse,
};
use common::{contains, percent_decode, unescape_all, FuzzUser, Loader, LOADER_FAILED, SECRET};
use libfuzzer_sys::fuzz_target;

type Svc = RcService<Request, ServiceResponse<BoxBody>, actix_web::Error>;

const REMEMBER: &str = "remember_token";
const SESSION: &str = "session";
const IDS: [&str; 3] = ["1", "2", "fail"];

fn key() -> Key {
    Key::from(&[7u8; 64])
}

/// The four configurations the fuzzer can pick.
fn manager(variant: u8) -> LoginManager<FuzzUser> {
    let b = LoginManager::builder(Loader, SECRET);
    match variant {
        0 => b.login_view("/login?lang=en").build(),
        1 => b
            .session_protection(SessionProtection::Strong)
            .json_for_api_clients(true)
            .remember_cookie(RememberCookie::new().refresh_each_request(true))
            .build(),
        2 => b
            .profile(Profile::V0_2_4)
            .login_view("/login")
            .session_protection(SessionProtection::Strong)
            .build(),
        _ => b
            .profile(Profile::V0_2_4)
            .use_session_for_next(true)
            .login_view("http://auth.example/login")
            .build(),
    }
}

fn named(user: &CurrentUser<FuzzUser>) -> String {
    match user.user() {
        Some(u) if user.is_authenticated() => format!("user={}", u.id),
        _ => "anonymous".to_owned(),
    }
}

async fn whoami(user: CurrentUser<FuzzUser>) -> HttpResponse {
    HttpResponse::Ok().body(named(&user))
}

#[login_required]
async fn protected(user: CurrentUser<FuzzUser>) -> HttpResponse {
    HttpResponse::Ok().body(format!("protected {}", named(&user)))
}

#[fresh_login_required]
async fn fresh(user: CurrentUser<FuzzUser>) -> HttpResponse {
    HttpResponse::Ok().body(format!("fresh {}", named(&user)))
}

async fn remembered(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(if login_remembered(&req)? {
        "remembered"
    } else {
        "not"
    }))
}

async fn logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    logout_user(&req).await?;
    Ok(HttpResponse::Ok().body("bye"))
}

async fn plain() -> HttpResponse {
    HttpResponse::Ok().body("hello")
}

/// Setup only (never reachable by the fuzzer: it is not in the fuzzed app).
/// A static path: actix-router leaks (by design) the capture names of
/// dynamic ones, which LeakSanitizer would report.
async fn login_as(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let user = FuzzUser {
        id: req.query_string().to_owned(),
    };
    login_user(&req, user, LoginOptions::new().remember(true))?;
    Ok(HttpResponse::Ok().finish())
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(plain))
        .route("/whoami", web::to(whoami))
        .service(web::resource("/protected").to(protected))
        .service(web::resource("/fresh").to(fresh))
        .route("/remembered", web::get().to(remembered))
        .route("/logout", web::to(logout))
        .default_service(web::to(whoami));
}

fn session() -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), key())
        .cookie_name(SESSION.to_owned())
        .cookie_secure(false)
        .build()
}

struct World {
    rt: actix_web::rt::System,
    runner: actix_web::rt::SystemRunner,
    apps: Vec<Svc>,
    /// Placeholder -> value.
    values: Vec<(&'static str, Vec<u8>)>,
    /// Per id: the byte strings whose presence proves a valid signature.
    proofs: HashMap<&'static str, Vec<Vec<u8>>>,
}

thread_local! {
    /// Leaked on purpose: dropping the services at exit would run after
    /// actix-http's own thread-locals are gone, and panic.
    static WORLD: RefCell<Option<&'static World>> = const { RefCell::new(None) };
}

fn session_cookie_of(res: &ServiceResponse<impl MessageBody>) -> Vec<u8> {
    res.response()
        .cookies()
        .find(|c| c.name() == SESSION)
        .map(|c| c.value().as_bytes().to_vec())
        .expect("the setup login sets a session cookie")
}

fn world() -> World {
    let runner = actix_web::rt::System::new();
    let rt = actix_web::rt::System::current();
    let (apps, values, proofs) = runner.block_on(async {
        let mut apps = Vec::new();
        for v in 0..4u8 {
            let app = test::init_service(
                App::new()
                    .wrap(manager(v))
                    .wrap(session())
                    .configure(routes),
            )
            .await;
            apps.push(boxed::rc_service(app));
        }
        let setup = test::init_service(
            App::new()
                .wrap(manager(0))
                .wrap(session())
                .route("/login-as", web::get().to(login_as)),
        )
        .await;
        let m063 = manager(0);
        let m024 = manager(2);
        let mut values = Vec::new();
        let mut proofs: HashMap<&'static str, Vec<Vec<u8>>> = HashMap::new();
        for (id, r, s) in [
            ("1", "{R1}", "{S1}"),
            ("2", "{R2}", "{S2}"),
            ("fail", "{Rfail}", "{Sfail}"),
        ] {
            let req = test::TestRequest::get()
                .uri(&format!("/login-as?{id}"))
                .peer_addr("127.0.0.1:4000".parse().unwrap())
                .to_request();
            let res = test::call_service(&setup, req).await;
            let sess = session_cookie_of(&res);
            let signed = m063.encode_cookie(id);
            let digest = |v: &str| v.rsplit('|').next().unwrap().as_bytes().to_vec();
            let proof = proofs.entry(id).or_default();
            proof.push(digest(&signed));
            proof.push(digest(&m024.encode_cookie(id)));
            proof.push(sess.clone());
            values.push((r, signed.into_bytes()));
            values.push((s, sess));
        }
        values.push(("{P}", m024.encode_cookie("1").into_bytes()));
        (apps, values, proofs)
    });
    World {
        rt,
        runner,
        apps,
        values,
        proofs,
    }
}

fn substitute(raw: &[u8], values: &[(&'static str, Vec<u8>)]) -> Vec<u8> {
    let mut out = raw.to_vec();
    for (name, value) in values {
        let name = name.as_bytes();
        let mut i = 0;
        let mut next = Vec::with_capacity(out.len());
        while i < out.len() {
            if out[i..].starts_with(name) {
                next.extend_from_slice(value);
                i += name.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    out
}

/// Bytes a header value can carry on the wire.
fn header_bytes(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .copied()
        .filter(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
        .collect()
}

struct Parsed {
    method: Method,
    uri: Uri,
    headers: Vec<(HeaderName, HeaderValue)>,
    variant: u8,
}

fn parse(data: &[u8], values: &[(&'static str, Vec<u8>)]) -> Option<Parsed> {
    let mut lines = data.split(|&b| b == b'\n');
    let first = lines.next()?;
    let (method, target) = match first.iter().position(|&b| b == b' ') {
        Some(p) => (&first[..p], &first[p + 1..]),
        None => (&b"GET"[..], first),
    };
    let method = Method::from_bytes(method).unwrap_or(Method::GET);
    let target = target.strip_suffix(b"\r").unwrap_or(target);
    let uri = Uri::try_from(target).ok()?;
    // Only what a server hands to the app: origin-form or absolute-form.
    uri.path_and_query()?;
    let mut headers = Vec::new();
    let mut variant = 0;
    for line in lines {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = &line[..colon];
        let mut value = &line[colon + 1..];
        while let [b' ', rest @ ..] = value {
            value = rest;
        }
        if name.eq_ignore_ascii_case(b"x-fuzz-app") {
            variant = value.first().map_or(0, |b| b % 4);
            continue;
        }
        let Ok(name) = HeaderName::from_bytes(name) else {
            continue;
        };
        let value = header_bytes(&substitute(value, values));
        if let Ok(value) = HeaderValue::from_bytes(&value) {
            headers.push((name, value));
        }
    }
    Some(Parsed {
        method,
        uri,
        headers,
        variant,
    })
}

/// Could the request have proved it is `id`? Generous on purpose: the
/// proof may sit anywhere in any header, raw, unescaped or percent-decoded.
fn holds_proof(headers: &[(HeaderName, HeaderValue)], proofs: &[Vec<u8>]) -> bool {
    headers.iter().any(|(_, v)| {
        let raw = v.as_bytes();
        let readings = [raw.to_vec(), unescape_all(raw), percent_decode(raw)];
        readings
            .iter()
            .any(|r| proofs.iter().any(|p| contains(r, p)))
    })
}

fuzz_target!(
    init: {
        // Built once, before any input, so that its one-time allocations
        // are not taken for leaks of an input.
        WORLD.with(|w| *w.borrow_mut() = Some(Box::leak(Box::new(world()))));
    },
    |data: &[u8]| {
    WORLD.with(|w| {
        let w: &World = w.borrow().expect("initialized");
        let Some(p) = parse(data, &w.values) else {
            return;
        };
        LOADER_FAILED.with(|f| f.set(false));
        let mut req = test::TestRequest::default()
            .method(p.method.clone())
            .peer_addr("127.0.0.1:4000".parse().unwrap())
            .to_request();
        req.head_mut().uri = p.uri.clone();
        for (name, value) in &p.headers {
            req.headers_mut().append(name.clone(), value.clone());
        }
        let app = w.apps[usize::from(p.variant)].clone();
        let (status, set_cookies, body) = w.runner.block_on(async move {
            match app.call(req).await {
                Ok(res) => {
                    let status = res.status();
                    let set_cookies: Vec<Vec<u8>> = res
                        .headers()
                        .get_all(actix_web::http::header::SET_COOKIE)
                        .map(|v| v.as_bytes().to_vec())
                        .collect();
                    let body = test::read_body(res).await;
                    (status, set_cookies, body.to_vec())
                }
                Err(err) => {
                    let res = err.error_response();
                    (res.status(), Vec::new(), Vec::new())
                }
            }
        });
        let loader_failed = LOADER_FAILED.with(|f| f.get());
        assert!(
            !status.is_server_error() || loader_failed,
            "{status} without a failing loader: {:?}",
            String::from_utf8_lossy(&body)
        );
        let body = String::from_utf8_lossy(&body);
        let authenticated_as = IDS.iter().find(|id| {
            body.contains(&format!("user={id}"))
        });
        let guarded = p.uri.path() == "/protected" || p.uri.path() == "/fresh";
        if guarded && status.is_success() && p.method != Method::OPTIONS {
            assert!(authenticated_as.is_some(), "a guarded page answered {status} anonymously: {body:?}");
        }
        if let Some(id) = authenticated_as {
            assert!(
                holds_proof(&p.headers, &w.proofs[id]),
                "authenticated as {id} without a valid signature: {body:?}"
            );
        }
        for sc in &set_cookies {
            let Some(value) = sc.strip_prefix(format!("{REMEMBER}=").as_bytes()) else {
                continue;
            };
            let value = value.split(|&b| b == b';').next().unwrap_or_default();
            if value.is_empty() {
                continue; // a deletion
            }
            let owner = IDS.iter().find(|id| {
                let signed = manager(p.variant).encode_cookie(id);
                contains(&unescape_all(value), signed.as_bytes())
            });
            let owner = owner.unwrap_or_else(|| {
                panic!("a remember cookie for nobody known: {:?}", String::from_utf8_lossy(sc))
            });
            assert!(
                holds_proof(&p.headers, &w.proofs[owner]),
                "issued a remember cookie for {owner} without proof: {:?}",
                String::from_utf8_lossy(sc)
            );
        }
        let _ = &w.rt;
    });
});
