use actix_login::{fresh_login_required, login_required};
use actix_web::HttpResponse;

#[login_required]
fn index() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[fresh_login_required]
pub fn settings() -> &'static str {
    "settings"
}

fn main() {}
