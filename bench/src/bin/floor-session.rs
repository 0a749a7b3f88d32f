//! The floor: actix-session's cookie store (signed) + read the user id +
//! a `HashMap` lookup. Everything a login library must do at least.

use actix_login_bench::{
    login_view, query_arg, redirect_to_login, serve, session_middleware, text, unauthorized, USERS,
    USER_ID,
};
use actix_session::Session;
use actix_web::{get, App, HttpRequest, HttpResponse};

#[get("/login")]
async fn login(req: HttpRequest, session: Session) -> actix_web::Result<HttpResponse> {
    let Some(user) = query_arg(req.query_string(), "id").and_then(|id| USERS.get(id)) else {
        return Ok(HttpResponse::NotFound().body("no such user"));
    };
    if !user.active {
        return Ok(text("refused".to_owned()));
    }
    session.insert(USER_ID, user.id)?;
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
