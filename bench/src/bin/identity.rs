//! actix-identity 0.9 on the floor's session set-up.

use actix_identity::{Identity, IdentityMiddleware};
use actix_login_bench::{
    login_view, query_arg, redirect_to_login, serve, session_middleware, text, unauthorized, USERS,
};
use actix_web::{get, App, HttpMessage, HttpRequest, HttpResponse};

#[get("/login")]
async fn login(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let Some(user) = query_arg(req.query_string(), "id").and_then(|id| USERS.get(id)) else {
        return Ok(HttpResponse::NotFound().body("no such user"));
    };
    if !user.active {
        return Ok(text("refused".to_owned()));
    }
    Identity::login(&req.extensions(), user.id.to_owned())?;
    Ok(text("ok".to_owned()))
}

#[get("/protected")]
async fn protected(req: HttpRequest, identity: Option<Identity>) -> HttpResponse {
    let id = identity.and_then(|i| i.id().ok());
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
        .wrap(IdentityMiddleware::default())
        .wrap(session_middleware())
        .service(login)
        .service(protected)
        .service(anon))
}
