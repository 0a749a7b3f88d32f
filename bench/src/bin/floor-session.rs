//! The floor: actix-session's cookie store (signed) + read the user id +
//! a `HashMap` lookup. Everything a login library must do at least.
//!
//! `BENCH_FLOOR_KEYS` makes `/login` also store what actix-login's fresh
//! login stores besides the id, to measure what carrying it costs
//! actix-session alone: `login`, with basic or strong protection (`_fresh`
//! and an 11-character `_id`); `fresh`, without protection (`_fresh`).
//! Diagnostic variants: `flask`, what Flask-Login stores (`_fresh` and the
//! 128-digit SHA-512 hex `_id`); `id32`: `_fresh` and a 32-digit `_id`;
//! `id128` / `id22` / `id11`: only `_id`, 128, 22 or 11 digits.

use actix_login_bench::{
    login_view, query_arg, redirect_to_login, serve, session_middleware, text, unauthorized, USERS,
    USER_ID,
};
use actix_session::Session;
use actix_web::{get, App, HttpRequest, HttpResponse};

/// Flask-Login 0.6.3's session identifier: SHA-512 hex of `addr|user-agent`.
fn session_identifier(req: &HttpRequest) -> String {
    use sha2::Digest;
    let addr = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let ua = req
        .headers()
        .get("user-agent")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let mut h = sha2::Sha512::new();
    h.update(addr.as_bytes());
    h.update(b"|");
    h.update(ua);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[get("/login")]
async fn login(req: HttpRequest, session: Session) -> actix_web::Result<HttpResponse> {
    let Some(user) = query_arg(req.query_string(), "id").and_then(|id| USERS.get(id)) else {
        return Ok(HttpResponse::NotFound().body("no such user"));
    };
    if !user.active {
        return Ok(text("refused".to_owned()));
    }
    session.insert(USER_ID, user.id)?;
    match std::env::var("BENCH_FLOOR_KEYS").as_deref() {
        // What actix-login's login stores besides the id, so the cookie has
        // the same size: the cost of carrying it, without the library.
        // With session protection (basic, strong): `_fresh` and the
        // 11-character `_id`.
        Ok("login") => {
            session.insert("_fresh", true)?;
            session.insert("_id", &session_identifier(&req)[..11])?;
        }
        Ok("id11") => session.insert("_id", &session_identifier(&req)[..11])?,
        Ok("flask") => {
            session.insert("_fresh", true)?;
            session.insert("_id", session_identifier(&req))?;
        }
        // Without protection: `_fresh` only. A variant, to see what each
        // part costs: `_fresh` with the identifier cut to 32 hex digits.
        Ok("fresh") => session.insert("_fresh", true)?,
        Ok("id32") => {
            session.insert("_fresh", true)?;
            session.insert("_id", &session_identifier(&req)[..32])?;
        }
        Ok("id128") => session.insert("_id", session_identifier(&req))?,
        Ok("id22") => session.insert("_id", &session_identifier(&req)[..22])?,
        _ => {}
    }
    session.renew();
    Ok(text("ok".to_owned()))
}

#[get("/protected")]
async fn protected(req: HttpRequest, session: Session) -> HttpResponse {
    let id = session.get::<String>(USER_ID).ok().flatten();
    match id
        .as_deref()
        .and_then(|id| USERS.get(id))
        .filter(|u| u.active)
    {
        Some(user) => text(format!("protected {}", user.id)),
        None => match login_view() {
            Some(view) => redirect_to_login(&view, req.path()),
            None => unauthorized(),
        },
    }
}

#[get("/anon")]
async fn anon() -> HttpResponse {
    text("anon".to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    serve!(|| App::new()
        .wrap(session_middleware())
        .service(login)
        .service(protected)
        .service(anon))
}
