//! The guards stack with actix-web's route attributes in both orders.

use actix_login::{fresh_login_required, login_required};
use actix_web::{get, post, route, routes, web, App, HttpResponse, Responder};

/// Route attribute first: it expands first and keeps `#[login_required]` on
/// the function it moves into its service.
#[get("/below")]
#[login_required]
async fn guard_below() -> impl Responder {
    "below"
}

/// Guard first: the route attribute stays on the rewritten function.
#[login_required]
#[get("/above")]
pub async fn guard_above() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[post("/fresh-below")]
#[fresh_login_required]
async fn fresh_below(body: String) -> String {
    body
}

#[fresh_login_required]
#[post("/fresh-above")]
async fn fresh_above(body: web::Bytes) -> Result<HttpResponse, actix_web::Error> {
    Ok(HttpResponse::Ok().body(body))
}

#[route("/route", method = "GET", method = "OPTIONS")]
#[login_required]
async fn with_route() -> &'static str {
    "route"
}

#[login_required]
#[routes]
#[get("/routes")]
#[post("/routes")]
async fn with_routes() -> &'static str {
    "routes"
}

#[routes]
#[get("/routes-2")]
#[login_required]
#[post("/routes-2")]
async fn with_routes_inside() -> &'static str {
    "routes"
}

#[actix_login_macros::anonymous_required]
#[get("/register")]
async fn register() -> &'static str {
    "sign up"
}

fn main() {
    let _app = App::new()
        .service(guard_below)
        .service(guard_above)
        .service(fresh_below)
        .service(fresh_above)
        .service(with_route)
        .service(with_routes)
        .service(with_routes_inside)
        .service(register);
}
