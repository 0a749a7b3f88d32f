//! `#[permission_required]` on handlers of every shape, in both orders with
//! actix-web's route attributes, through a re-export, registered in an app.

use actix_login::{login_required, permission_required};
use actix_web::{get, post, web, App, HttpResponse, Responder};

/// Route attribute first: the marker struct lands inside its service.
#[get("/notes")]
#[permission_required("notes.read")]
async fn below() -> impl Responder {
    "below"
}

/// Guard first, public: the marker is public too.
#[permission_required("notes.write", "notes.publish")]
#[post("/notes")]
pub async fn above(body: String) -> HttpResponse {
    HttpResponse::Created().body(body)
}

/// Stacked with the login guard, generic, `?` and early return.
#[login_required]
#[permission_required("admin")]
pub(crate) async fn generic<T>(
    data: web::Data<T>,
    path: web::Path<u32>,
) -> actix_web::Result<String>
where
    T: std::fmt::Display + 'static,
{
    if *path == 0 {
        return Err(actix_web::error::ErrorBadRequest("no 0"));
    }
    Ok(data.to_string())
}

/// A raw identifier.
#[permission_required("r#type")]
async fn r#type() -> &'static str {
    "type"
}

mod web_kit {
    pub use actix_login;
}

#[crate::web_kit::actix_login::permission_required("admin", crate = "crate::web_kit::actix_login")]
async fn reexported() -> &'static str {
    "re-exported"
}

fn main() {
    let _app = App::new()
        .service(below)
        .service(above)
        .route("/generic/{n}", web::get().to(generic::<u8>))
        .route("/type", web::get().to(r#type))
        .route("/re", web::get().to(reexported));
}
