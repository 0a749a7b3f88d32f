//! `#[login_required]` and `#[fresh_login_required]` on handlers of every
//! return shape, with `?` and early `return`, registered in an app.

use actix_login::{fresh_login_required, login_required};
use actix_web::{error::ErrorBadRequest, web, App, HttpResponse, Responder};

#[login_required]
async fn impl_responder() -> impl Responder {
    "impl responder"
}

#[login_required]
async fn http_response() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[login_required]
async fn result(path: web::Path<String>) -> Result<String, actix_web::Error> {
    let n: u32 = path.parse().map_err(ErrorBadRequest)?;
    Ok(n.to_string())
}

#[login_required]
async fn result_impl_responder() -> actix_web::Result<impl Responder> {
    Ok(web::Json(1))
}

#[login_required]
async fn static_str() -> &'static str {
    "static"
}

#[login_required]
async fn early_return(query: web::Query<Vec<(String, String)>>) -> HttpResponse {
    if query.is_empty() {
        return HttpResponse::NoContent().finish();
    }
    HttpResponse::Ok().finish()
}

/// Doc comments, visibility, generics and a where clause are kept.
#[fresh_login_required]
pub(crate) async fn generic<T>(data: web::Data<T>) -> String
where
    T: std::fmt::Display + 'static,
{
    data.to_string()
}

/// A handler with fifteen arguments: the guard takes the sixteenth place.
#[login_required]
#[allow(clippy::too_many_arguments)]
async fn fifteen(
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
    _: web::Data<u8>,
) -> &'static str {
    "many"
}

struct Handlers;

impl Handlers {
    /// An associated function without `self` is a handler too.
    #[login_required]
    async fn associated() -> &'static str {
        "associated"
    }
}

fn main() {
    let _app = App::new()
        .route("/a", web::get().to(impl_responder))
        .route("/b", web::get().to(http_response))
        .route("/c/{n}", web::get().to(result))
        .route("/d", web::get().to(result_impl_responder))
        .route("/e", web::get().to(static_str))
        .route("/f", web::get().to(early_return))
        .route("/g", web::get().to(generic::<u32>))
        .route("/h", web::get().to(fifteen))
        .route("/i", web::get().to(Handlers::associated));
}
