//! actix-web alone, no session: the cost of serving the routes at all.
//! `/protected` answers as if user 1 were logged in.

use actix_login_bench::{serve, text, USERS};
use actix_web::{get, App};

#[get("/login")]
async fn login() -> actix_web::HttpResponse {
    text("ok".to_owned())
}

#[get("/protected")]
async fn protected() -> actix_web::HttpResponse {
    let user = USERS.get("1").expect("user 1");
    text(format!("protected {}", user.id))
}

#[get("/anon")]
async fn anon() -> actix_web::HttpResponse {
    text("anon".to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    serve!(|| App::new().service(login).service(protected).service(anon))
}
