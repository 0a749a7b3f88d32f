//! The parity app: the same small app as `shared/parity/twin/app.py` (the
//! real Flask-Login), written on actix-login, so the parity driver can
//! compare them response by response. Routes and variables: the parity
//! harness's ROUTES.md. A second example of the API, written as an app would
//! be.
//!
//! ```sh
//! cargo run --example parity            # then: curl -i 127.0.0.1:8080/login?id=1
//! ```

use std::{
    collections::HashSet,
    env,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_login::{
    confirm_login, fresh_login_required, get_flashed_messages, login_fresh, login_required,
    login_user, logout_user, set_permanent, user_loader, CurrentUser, FlaskSession, FlaskVersion,
    LoginManager, LoginOptions, Profile, RememberCookie, SessionProtection, Signal, User,
};
use actix_session::{storage::CookieSessionStore, SessionMiddleware};
use actix_web::{cookie::Key, get, web, App, HttpRequest, HttpResponse, HttpServer};

#[derive(Clone)]
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

const USERS: [Account; 3] = [
    Account {
        id: "1",
        active: true,
    }, // alice
    Account {
        id: "2",
        active: false,
    }, // bob
    Account {
        id: "3",
        active: true,
    }, // carol
];

fn find(id: &str) -> Option<Account> {
    USERS.iter().find(|u| u.id == id).cloned()
}

/// Ids the loader no longer knows (`/forget`).
type Forgotten = web::Data<Mutex<HashSet<String>>>;
/// Signal names received since the last `/signals`.
type Received = Arc<Mutex<Vec<&'static str>>>;

#[user_loader]
async fn load_user(id: &str, forgotten: Forgotten) -> Option<Account> {
    if forgotten.lock().unwrap().contains(id) {
        return None;
    }
    find(id)
}

fn text(body: impl Into<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body.into())
}

/// `request.args.get(name)`: the first value, `+` as space, percent-escapes
/// decoded. Bytes that are not UTF-8 come back re-escaped (Werkzeug 3) or as
/// U+FFFD (Werkzeug 0.16).
fn arg(req: &HttpRequest, name: &str) -> Option<String> {
    let werkzeug3 = PROFILE.get() == Some(&Profile::V0_6_3);
    req.query_string().split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k, werkzeug3) == name).then(|| decode(v, werkzeug3))
    })
}

fn decode(s: &str, reescape_invalid: bool) -> String {
    let bytes: Vec<u8> = percent_decode(&s.replace('+', " "));
    if !reescape_invalid {
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut out = String::new();
    let mut rest = &bytes[..];
    loop {
        match std::str::from_utf8(rest) {
            Ok(text) => return out + text,
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap());
                let n = e.error_len().unwrap_or(bad.len());
                bad[..n]
                    .iter()
                    .for_each(|b| out.push_str(&format!("%{b:02X}")));
                rest = &bad[n..];
            }
        }
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b[i],
            b.get(i + 1).and_then(|&c| hex(c)),
            b.get(i + 2).and_then(|&c| hex(c)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

static PROFILE: std::sync::OnceLock<Profile> = std::sync::OnceLock::new();

#[get("/")]
async fn index(req: HttpRequest, user: CurrentUser<Account>) -> actix_web::Result<HttpResponse> {
    Ok(match user.get_id() {
        Some(id) if user.is_authenticated() => {
            text(format!("user={id} fresh={}", u8::from(login_fresh(&req)?)))
        }
        _ => text("anonymous"),
    })
}

#[get("/login")]
async fn login(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let Some(user) = find(&arg(&req, "id").unwrap_or_default()) else {
        return Ok(HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such user"));
    };
    if arg(&req, "permanent").as_deref() == Some("1") {
        set_permanent(&req, true)?;
    }
    let options = LoginOptions::new()
        .remember(arg(&req, "remember").as_deref() == Some("1"))
        .force(arg(&req, "force").as_deref() == Some("1"));
    Ok(text(if login_user(&req, user, options)? {
        "ok"
    } else {
        "refused"
    }))
}

#[get("/logout")]
async fn logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    logout_user(&req).await?;
    Ok(text("bye"))
}

#[get("/protected")]
#[login_required]
async fn protected(user: CurrentUser<Account>) -> HttpResponse {
    text(format!("protected {}", user.get_id().unwrap_or_default()))
}

#[get("/fresh")]
#[fresh_login_required]
async fn fresh(user: CurrentUser<Account>) -> HttpResponse {
    text(format!("fresh {}", user.get_id().unwrap_or_default()))
}

#[get("/confirm")]
#[login_required]
async fn confirm(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    confirm_login(&req)?;
    Ok(text("confirmed"))
}

fn flash_page(label: &str, req: &HttpRequest) -> HttpResponse {
    let flashes: Vec<String> = get_flashed_messages(req)
        .into_iter()
        .map(|(category, message)| format!("{category}:{message}"))
        .collect();
    let next = arg(req, "next").unwrap_or_default();
    text(format!("{label} next={next} flashes={}", flashes.join(";")))
}

#[get("/login-page")]
async fn login_page(req: HttpRequest) -> HttpResponse {
    flash_page("login-page", &req)
}

#[get("/reauth")]
async fn reauth(req: HttpRequest) -> HttpResponse {
    flash_page("reauth", &req)
}

#[get("/forget")]
async fn forget(req: HttpRequest, forgotten: Forgotten) -> HttpResponse {
    forgotten
        .lock()
        .unwrap()
        .insert(arg(&req, "id").unwrap_or_default());
    text("forgotten")
}

#[get("/signals")]
async fn signals(received: web::Data<Received>) -> HttpResponse {
    let names = std::mem::take(&mut *received.lock().unwrap());
    text(format!("signals={}", names.join(",")))
}

fn var(name: &str, default: &str) -> String {
    env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = var("PARITY_PORT", "8080")
        .parse()
        .expect("PARITY_PORT is a port number");
    let profile: Profile = var("PARITY_PROFILE", "0.6.3")
        .parse()
        .expect("PARITY_PROFILE");
    let protection: SessionProtection = var("PARITY_SESSION_PROTECTION", "basic")
        .parse()
        .expect("PARITY_SESSION_PROTECTION");
    // Negative days give a cookie that has already expired, as in Flask.
    let days: i64 = var("PARITY_REMEMBER_COOKIE_DAYS", "365")
        .parse()
        .expect("PARITY_REMEMBER_COOKIE_DAYS");
    PROFILE.set(profile).expect("set once");
    let secret = var("PARITY_SECRET", "parity-secret");

    let received: Received = Arc::default();
    let mut builder = LoginManager::builder(load_user, &secret)
        .profile(profile)
        .session_protection(protection)
        .login_view(var("PARITY_LOGIN_VIEW", "/login-page"))
        .refresh_view(var("PARITY_REFRESH_VIEW", "/reauth"))
        .login_message(Some(&var(
            "PARITY_LOGIN_MESSAGE",
            "Please log in to access this page.",
        )))
        .remember_cookie(
            // Flask-Login's own defaults, not ours: no `Secure`, no `SameSite`.
            RememberCookie::new()
                .secure(false)
                .same_site(None)
                .name(var("PARITY_REMEMBER_COOKIE_NAME", "remember_token"))
                .duration(Duration::from_secs(days.max(0).unsigned_abs() * 24 * 3600)),
        );
    for signal in [
        Signal::LoggedIn,
        Signal::LoggedOut,
        Signal::LoadedFromCookie,
        Signal::LoginConfirmed,
        Signal::Unauthorized,
        Signal::NeedsRefresh,
        Signal::SessionProtected,
    ] {
        let received = received.clone();
        builder = builder.on(signal, move |event| {
            received.lock().unwrap().push(event.signal.name())
        });
    }
    // `PARITY_FLASK_SESSION=1`: a login made on the Flask twin (same
    // secret, its `session` cookie) is carried over by hand.
    if var("PARITY_FLASK_SESSION", "0") == "1" {
        let version = match profile {
            Profile::V0_2_4 => FlaskVersion::Flask0_12,
            _ => FlaskVersion::Flask3,
        };
        builder = builder.import_flask_session(
            FlaskSession::new(&secret)
                .cookie_name("session")
                .version(version),
        );
    }
    let manager = builder.build();

    // The session cookie's own key: any 64 bytes; derived from the secret so
    // restarts keep sessions.
    let key = Key::derive_from(format!("{secret:<32}").as_bytes());
    let forgotten: Forgotten = web::Data::new(Mutex::new(HashSet::new()));
    let received = web::Data::new(received);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(forgotten.clone())
            .app_data(received.clone())
            .wrap(manager.clone())
            .wrap(
                // Flask's session cookie is called `session`; plain http here.
                SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                    .cookie_name("session".to_owned())
                    .cookie_secure(false)
                    .build(),
            )
            .service(index)
            .service(login)
            .service(logout)
            .service(protected)
            .service(fresh)
            .service(confirm)
            .service(login_page)
            .service(reauth)
            .service(forget)
            .service(signals)
    })
    .workers(2)
    .bind(("127.0.0.1", port))?;
    println!("ready");
    server.run().await
}
