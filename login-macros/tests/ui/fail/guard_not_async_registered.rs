// A plain `fn` under a guard, registered both ways: the guard's error is the
// only one (no "`Handler<_>` is not satisfied" after it).
use actix_login::login_required;
use actix_web::{get, web, App, HttpResponse};

#[get("/")]
#[login_required]
fn index() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[login_required]
fn other() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn main() {
    let _ = App::new()
        .service(index)
        .route("/other", web::get().to(other));
}
