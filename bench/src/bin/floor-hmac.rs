//! The remember-cookie floor: `floor-session` plus a hand-rolled check of a
//! `remember_token` cookie (`<id>|<hex HMAC of id>`, Flask-Login's format)
//! when the session has no user: HMAC-SHA512 (`BENCH_PROFILE=0.6.3`, the
//! default) or HMAC-SHA1 (`0.2.4`), keyed by `PARITY_SECRET`, the key state
//! prepared once. A valid cookie logs the user back in: the id is written to
//! the session (`BENCH_HMAC_WRITE=0` skips that write, to see what it costs).

use std::{
    sync::LazyLock,
    time::{Duration, SystemTime},
};

use actix_login_bench::{
    env_or, login_view, query_arg, redirect_to_login, serve, session_middleware, text,
    unauthorized, USERS, USER_ID,
};
use actix_session::Session;
use actix_web::{
    get,
    http::header::{HttpDate, SET_COOKIE},
    App, HttpRequest, HttpResponse,
};
use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

enum Signer {
    Sha1(Hmac<sha1::Sha1>),
    Sha512(Hmac<sha2::Sha512>),
}

static SIGNER: LazyLock<Signer> = LazyLock::new(|| {
    let secret = env_or("PARITY_SECRET", "parity-secret");
    match env_or("BENCH_PROFILE", "0.6.3").as_str() {
        "0.2.4" => Signer::Sha1(Hmac::new_from_slice(secret.as_bytes()).expect("any key length")),
        _ => Signer::Sha512(Hmac::new_from_slice(secret.as_bytes()).expect("any key length")),
    }
});

static WRITE_SESSION: LazyLock<bool> = LazyLock::new(|| env_or("BENCH_HMAC_WRITE", "1") != "0");

const REMEMBER: &str = "remember_token";

/// Lowercase hex of the HMAC of `payload` into `buf`; returns the used part.
fn digest_hex<'b>(payload: &[u8], buf: &'b mut [u8; 128]) -> &'b [u8] {
    fn fill(out: &mut [u8], bytes: &[u8]) -> usize {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        for (i, b) in bytes.iter().enumerate() {
            out[2 * i] = HEX[(b >> 4) as usize];
            out[2 * i + 1] = HEX[(b & 15) as usize];
        }
        bytes.len() * 2
    }
    let n = match &*SIGNER {
        Signer::Sha1(key) => {
            let mut mac = key.clone();
            mac.update(payload);
            fill(buf, &mac.finalize().into_bytes())
        }
        Signer::Sha512(key) => {
            let mut mac = key.clone();
            mac.update(payload);
            fill(buf, &mac.finalize().into_bytes())
        }
    };
    &buf[..n]
}

/// The id of a valid `<id>|<hexdigest>` value.
fn verify(value: &str) -> Option<&str> {
    let (id, digest) = value.rsplit_once('|')?;
    let mut buf = [0u8; 128];
    let expected = digest_hex(id.as_bytes(), &mut buf);
    bool::from(expected.ct_eq(digest.as_bytes())).then_some(id)
}

#[get("/login")]
async fn login(req: HttpRequest, session: Session) -> actix_web::Result<HttpResponse> {
    let query = req.query_string();
    let Some(user) = query_arg(query, "id").and_then(|id| USERS.get(id)) else {
        return Ok(HttpResponse::NotFound().body("no such user"));
    };
    if !user.active {
        return Ok(text("refused".to_owned()));
    }
    session.insert(USER_ID, user.id)?;
    session.renew();
    let mut res = text("ok".to_owned());
    if query_arg(query, "remember") == Some("1") {
        let mut buf = [0u8; 128];
        let digest = String::from_utf8_lossy(digest_hex(user.id.as_bytes(), &mut buf)).into_owned();
        let expires = HttpDate::from(SystemTime::now() + Duration::from_secs(365 * 24 * 3600));
        let cookie = format!(
            "{REMEMBER}={}|{digest}; Expires={expires}; HttpOnly; Path=/",
            user.id
        );
        res.headers_mut()
            .append(SET_COOKIE, cookie.parse().expect("valid header"));
    }
    Ok(res)
}

#[get("/protected")]
async fn protected(req: HttpRequest, session: Session) -> actix_web::Result<HttpResponse> {
    let mut id = session.get::<String>(USER_ID).ok().flatten();
    let mut restored = false;
    if id.is_none() {
        if let Some(cookie) = req.cookie(REMEMBER) {
            id = verify(cookie.value()).map(str::to_owned);
            restored = id.is_some();
        }
    }
    match id
        .as_deref()
        .and_then(|id| USERS.get(id))
        .filter(|u| u.active)
    {
        Some(user) => {
            if restored && *WRITE_SESSION {
                session.insert(USER_ID, user.id)?;
            }
            Ok(text(format!("protected {}", user.id)))
        }
        None => Ok(match login_view() {
            Some(view) => redirect_to_login(&view, req.path()),
            None => unauthorized(),
        }),
    }
}

#[get("/anon")]
async fn anon() -> HttpResponse {
    text("anon".to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    LazyLock::force(&SIGNER);
    LazyLock::force(&WRITE_SESSION);
    serve!(|| App::new()
        .wrap(session_middleware())
        .service(login)
        .service(protected)
        .service(anon))
}
