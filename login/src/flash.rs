//! Flashed messages, stored in the session the way Flask stores them:
//! `_flashes` is a list of `[category, message]` pairs kept until read.
//!
//! actix-web has no flash of its own and actix-login flashes the login and
//! refresh messages, so it provides the two halves.

use actix_session::SessionExt;
use actix_web::HttpRequest;

use crate::keys::FLASHES;

/// Adds a message to the session's flashes (Flask's `flash`).
///
/// ```
/// # use actix_web::{web, HttpRequest, HttpResponse};
/// async fn save(req: HttpRequest) -> HttpResponse {
///     actix_login::flash(&req, "Saved.", "info");
///     HttpResponse::SeeOther().insert_header(("Location", "/")).finish()
/// }
/// ```
pub fn flash(req: &HttpRequest, message: &str, category: &str) {
    push(req, message, category, false);
}

/// Takes every flashed message out of the session, oldest first, as
/// `(category, message)` (Flask's `get_flashed_messages(with_categories=True)`).
///
/// ```
/// # use actix_web::{HttpRequest, HttpResponse};
/// async fn login_page(req: HttpRequest) -> HttpResponse {
///     let notes: Vec<String> = actix_login::get_flashed_messages(&req)
///         .into_iter()
///         .map(|(category, message)| format!("{category}: {message}"))
///         .collect();
///     HttpResponse::Ok().body(notes.join("\n"))
/// }
/// ```
pub fn get_flashed_messages(req: &HttpRequest) -> Vec<(String, String)> {
    let session = req.get_session();
    if !session.contains_key(FLASHES) {
        return Vec::new();
    }
    session
        .remove_as::<Vec<(String, String)>>(FLASHES)
        .and_then(Result::ok)
        .unwrap_or_default()
}

/// [`flash`], unless the same message is already the newest flash: a client
/// hitting a guarded page again and again without logging in must not make
/// its session grow.
pub(crate) fn flash_unless_last(req: &HttpRequest, message: &str, category: &str) {
    push(req, message, category, true);
}

fn push(req: &HttpRequest, message: &str, category: &str, unless_last: bool) {
    let session = req.get_session();
    let mut list: Vec<(String, String)> = session.get(FLASHES).ok().flatten().unwrap_or_default();
    if unless_last
        && list
            .last()
            .is_some_and(|(c, m)| c == category && m == message)
    {
        return;
    }
    list.push((category.to_owned(), message.to_owned()));
    if let Err(err) = session.insert(FLASHES, list) {
        tracing::error!(error = %err, "could not store a flashed message");
    }
}
