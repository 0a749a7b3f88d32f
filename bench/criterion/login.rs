//! Criterion benchmarks of actix-login's per-request pieces and of whole
//! requests through the middleware, in-process (`actix_web::test`).
//!
//! ```sh
//! cargo bench -p actix-login-bench                 # everything
//! cargo bench -p actix-login-bench -- request/     # whole requests only
//! ```
//!
//! These are wall-clock figures of one noisy machine; the instruction
//! counts of `bench/compare.sh` (callgrind) are the ones to compare. The
//! request cases mirror that script's: logged in through the session with
//! protection off / basic / strong, restored from a remember cookie (0.6.3
//! and 0.2.4 profiles), an anonymous request to a page that never asks for
//! the user, and an anonymous request to a guarded page (401, and the
//! redirect to a login view). `request/floor-*` is the same request through
//! actix-session alone, the floor a login library cannot beat.

use std::{collections::HashMap, hint::black_box, net::SocketAddr, sync::LazyLock};

use actix_login::{
    login_required, login_url, login_user, session_identifier, user_loader, CurrentUser,
    LoginManager, LoginOptions, Profile, SessionProtection, User,
};
use actix_session::{
    config::CookieContentSecurity, storage::CookieSessionStore, Session, SessionMiddleware,
};
use actix_web::{
    body::MessageBody,
    cookie::Key,
    dev::{Service, ServiceResponse},
    get,
    http::header::{COOKIE, SET_COOKIE, USER_AGENT},
    rt::{System, SystemRunner},
    test::{self, TestRequest},
    App, HttpRequest, HttpResponse,
};
use criterion::{criterion_group, criterion_main, Criterion};

const SECRET: &str = "parity-secret";
const SESSION_KEY: &[u8; 64] = b"actix-login-bench: fixed session key, 64 bytes, never for prod!!";
const UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";

#[derive(Debug, Clone, Copy)]
struct Account {
    id: &'static str,
    active: bool,
}

impl User for Account {
    fn get_id(&self) -> String {
        self.id.to_owned()
    }

    fn is_active(&self) -> bool {
        self.active
    }
}

static USERS: LazyLock<HashMap<&'static str, Account>> = LazyLock::new(|| {
    [
        Account {
            id: "1",
            active: true,
        },
        Account {
            id: "2",
            active: false,
        },
        Account {
            id: "3",
            active: true,
        },
    ]
    .into_iter()
    .map(|a| (a.id, a))
    .collect()
});

#[user_loader]
async fn load_user(id: &str) -> Option<Account> {
    USERS.get(id).copied()
}

fn manager(
    profile: Profile,
    protection: SessionProtection,
    login_view: Option<&str>,
) -> LoginManager<Account> {
    let mut b = LoginManager::builder(load_user, SECRET)
        .profile(profile)
        .session_protection(protection);
    if let Some(v) = login_view {
        b = b.login_view(v);
    }
    b.build()
}

fn session() -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), Key::from(SESSION_KEY))
        .cookie_name("session".to_owned())
        .cookie_content_security(CookieContentSecurity::Signed)
        .cookie_secure(false)
        .build()
}

fn text(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

fn query_arg<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

// --- the actix-login app (as src/bin/actix-login.rs) ---

#[get("/login")]
async fn login(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let query = req.query_string();
    let user = query_arg(query, "id").and_then(|id| USERS.get(id)).copied();
    let Some(user) = user else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let options = LoginOptions::new().remember(query_arg(query, "remember") == Some("1"));
    Ok(text(
        if login_user(&req, user, options)? {
            "ok"
        } else {
            "refused"
        }
        .to_owned(),
    ))
}

#[get("/protected")]
#[login_required]
async fn protected(user: CurrentUser<Account>) -> HttpResponse {
    text(format!("protected {}", user.user().map_or("", |u| u.id)))
}

#[get("/anon")]
async fn anon() -> HttpResponse {
    text("anon".to_owned())
}

// --- the floor app (as src/bin/floor-session.rs) ---

#[get("/login")]
async fn floor_login(req: HttpRequest, session: Session) -> actix_web::Result<HttpResponse> {
    let Some(user) = query_arg(req.query_string(), "id").and_then(|id| USERS.get(id)) else {
        return Ok(HttpResponse::NotFound().finish());
    };
    session.insert("_user_id", user.id)?;
    session.renew();
    Ok(text("ok".to_owned()))
}

#[get("/protected")]
async fn floor_protected(session: Session) -> HttpResponse {
    let id = session.get::<String>("_user_id").ok().flatten();
    match id
        .as_deref()
        .and_then(|id| USERS.get(id))
        .filter(|u| u.active)
    {
        Some(user) => text(format!("protected {}", user.id)),
        None => HttpResponse::Unauthorized()
            .content_type("text/plain; charset=utf-8")
            .body("401 Unauthorized"),
    }
}

fn peer() -> SocketAddr {
    "127.0.0.1:40000".parse().expect("address")
}

/// A GET with the bench client's address and user agent, and `cookie`.
fn get(uri: &str, cookie: Option<&str>) -> TestRequest {
    let mut r = TestRequest::get()
        .uri(uri)
        .peer_addr(peer())
        .insert_header((USER_AGENT, UA));
    if let Some(c) = cookie {
        r = r.insert_header((COOKIE, c.to_owned()));
    }
    r
}

/// The `name=value` part of the response's `Set-Cookie` for `name`.
fn set_cookie<B>(res: &ServiceResponse<B>, name: &str) -> String {
    res.headers()
        .get_all(SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie set"))
}

/// Logs user 1 in and returns the cookie(s) to send: the session cookie, or
/// only the remember cookie for `remember`.
fn log_in<S, B>(rt: &SystemRunner, app: &S, remember: bool) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let uri = if remember {
        "/login?id=1&remember=1"
    } else {
        "/login?id=1"
    };
    let res = rt.block_on(test::call_service(app, get(uri, None).to_request()));
    assert!(res.status().is_success(), "login failed: {}", res.status());
    set_cookie(
        &res,
        if remember {
            "remember_token"
        } else {
            "session"
        },
    )
}

fn bench_case<S, B>(
    c: &mut Criterion,
    rt: &SystemRunner,
    name: &str,
    app: &S,
    uri: &str,
    cookie: Option<&str>,
    status: u16,
) where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let res = rt.block_on(test::call_service(app, get(uri, cookie).to_request()));
    assert_eq!(res.status().as_u16(), status, "{name}: unexpected status");
    c.bench_function(name, |b| {
        b.iter(|| {
            let res = rt.block_on(test::call_service(app, get(uri, cookie).to_request()));
            black_box(res.status())
        })
    });
}

fn requests(c: &mut Criterion) {
    let rt = System::new();

    let floor = rt.block_on(test::init_service(
        App::new()
            .wrap(session())
            .service(floor_login)
            .service(floor_protected)
            .service(anon),
    ));
    let cookie = log_in(&rt, &floor, false);
    bench_case(
        c,
        &rt,
        "request/floor-session/logged-in",
        &floor,
        "/protected",
        Some(&cookie),
        200,
    );
    bench_case(
        c,
        &rt,
        "request/floor-session/anon-page",
        &floor,
        "/anon",
        None,
        200,
    );
    bench_case(
        c,
        &rt,
        "request/floor-session/unauthorized",
        &floor,
        "/protected",
        None,
        401,
    );

    for (label, protection) in [
        ("off", SessionProtection::Off),
        ("basic", SessionProtection::Basic),
        ("strong", SessionProtection::Strong),
    ] {
        let app = rt.block_on(test::init_service(
            App::new()
                .wrap(manager(Profile::V0_6_3, protection, None))
                .wrap(session())
                .service(login)
                .service(protected)
                .service(anon),
        ));
        let cookie = log_in(&rt, &app, false);
        bench_case(
            c,
            &rt,
            &format!("request/actix-login/session-{label}"),
            &app,
            "/protected",
            Some(&cookie),
            200,
        );
        if protection == SessionProtection::Basic {
            bench_case(
                c,
                &rt,
                "request/actix-login/anon-page",
                &app,
                "/anon",
                None,
                200,
            );
            bench_case(
                c,
                &rt,
                "request/actix-login/anon-page-logged-in",
                &app,
                "/anon",
                Some(&cookie),
                200,
            );
            bench_case(
                c,
                &rt,
                "request/actix-login/unauthorized",
                &app,
                "/protected",
                None,
                401,
            );
        }
    }

    for (label, profile) in [("0.6.3", Profile::V0_6_3), ("0.2.4", Profile::V0_2_4)] {
        let app = rt.block_on(test::init_service(
            App::new()
                .wrap(manager(profile, SessionProtection::Basic, None))
                .wrap(session())
                .service(login)
                .service(protected)
                .service(anon),
        ));
        let remember = log_in(&rt, &app, true);
        bench_case(
            c,
            &rt,
            &format!("request/actix-login/remember-{label}"),
            &app,
            "/protected",
            Some(&remember),
            200,
        );
    }

    let app = rt.block_on(test::init_service(
        App::new()
            .wrap(manager(
                Profile::V0_6_3,
                SessionProtection::Basic,
                Some("/login-page"),
            ))
            .wrap(session())
            .service(login)
            .service(protected)
            .service(anon),
    ));
    bench_case(
        c,
        &rt,
        "request/actix-login/unauthorized-redirect",
        &app,
        "/protected",
        None,
        302,
    );
}

fn pieces(c: &mut Criterion) {
    for (label, profile) in [("sha512", Profile::V0_6_3), ("sha1", Profile::V0_2_4)] {
        let m = manager(profile, SessionProtection::Basic, None);
        let value = m.encode_cookie("1");
        assert_eq!(m.decode_cookie(&value).as_deref(), Some("1"));
        c.bench_function(&format!("remember_cookie/encode/{label}"), |b| {
            b.iter(|| m.encode_cookie(black_box("1")))
        });
        c.bench_function(&format!("remember_cookie/verify/{label}"), |b| {
            b.iter(|| m.decode_cookie(black_box(&value)))
        });
    }
    for (label, profile) in [
        ("0.6.3-sha512", Profile::V0_6_3),
        ("0.2.4-md5", Profile::V0_2_4),
    ] {
        c.bench_function(&format!("session_identifier/{label}"), |b| {
            b.iter(|| {
                session_identifier(
                    profile,
                    black_box(Some("127.0.0.1")),
                    black_box(Some(UA.as_bytes())),
                )
            })
        });
    }
    c.bench_function("login_url/path", |b| {
        b.iter(|| {
            login_url(
                black_box("/login"),
                black_box(Some("http://localhost/protected")),
                "next",
            )
        })
    });
    c.bench_function("login_url/with-query", |b| {
        b.iter(|| {
            login_url(
                black_box("/login?affil=cgnu"),
                black_box(Some("/protected?b=2&a=x%20y")),
                "next",
            )
        })
    });
}

criterion_group!(benches, pieces, requests);
criterion_main!(benches);
