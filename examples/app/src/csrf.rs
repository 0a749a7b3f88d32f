//! CSRF protection: the synchronizer token pattern.
//!
//! - **The token**: 32 random bytes from the operating system, hex-encoded,
//!   kept in the session under `_csrf_token`. It is created the first time a
//!   page with a form is rendered ([`token`]) and replaced at login and
//!   logout ([`rotate`]), so a token seen before a login is worthless after
//!   it.
//! - **The forms**: every form that POSTs carries it in a hidden field named
//!   [`FIELD`] (`csrf_token`). A script can send it in the [`HEADER`]
//!   (`X-CSRF-Token`) header instead.
//! - **The check**: the [`protect`] middleware checks **every** request whose
//!   method is not safe (anything but `GET`, `HEAD`, `OPTIONS`, `TRACE`)
//!   before any handler or guard runs, comparing in constant time. A missing
//!   or wrong token is answered `403 Forbidden`, and nothing else happens.
//!   Handlers need not remember to check.
//!
//! Another site can make a browser send a POST with the victim's cookies,
//! but it cannot read this site's pages, so it cannot know the token. The
//! session cookie and the remember cookie are also `SameSite=Lax` and the
//! pages send `Content-Security-Policy: form-action 'self'`: defence in
//! depth, not a replacement for the token.
//!
//! The token lives in the session, so it works the same with the cookie
//! store (the session cookie is encrypted: the client cannot read or forge
//! it) and with Redis, and one instance can check a token another issued.

use actix_session::SessionExt;
use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{header, Method},
    middleware::Next,
    web, HttpRequest, HttpResponse,
};
use subtle::ConstantTimeEq;

/// The form field that carries the token.
pub const FIELD: &str = "csrf_token";
/// The header that can carry the token instead (for scripts).
pub const HEADER: &str = "x-csrf-token";
/// The session key of the token.
const SESSION_KEY: &str = "_csrf_token";

fn new_token() -> actix_web::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(actix_web::error::ErrorInternalServerError)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The session's token, created (and stored in the session) when it has
/// none. Put it in every form that POSTs.
///
/// # Errors
///
/// The OS random generator or the session failed.
pub fn token(req: &HttpRequest) -> actix_web::Result<String> {
    let session = req.get_session();
    if let Ok(Some(token)) = session.get::<String>(SESSION_KEY) {
        return Ok(token);
    }
    let token = new_token()?;
    session.insert(SESSION_KEY, &token)?;
    Ok(token)
}

/// Drops the session's token; the next page gets a new one. Called when the
/// user logs in or out.
pub fn rotate(req: &HttpRequest) {
    req.get_session().remove(SESSION_KEY);
}

fn is_safe(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The token a form body carries, if the body is a URL-encoded form.
fn token_in_form(body: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == FIELD).then_some(v))
}

fn forbidden(reason: &str) -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!doctype html><title>403 Forbidden</title><h1>403 Forbidden</h1>\
             <p>{reason}</p><p>Go back, reload the page and try again.</p><p><a href=\"/\">Home</a></p>"
        ))
}

/// The middleware (`App::wrap(from_fn(csrf::protect))`, inside the session
/// middleware): rejects unsafe requests without the session's token.
///
/// # Errors
///
/// Errors of the inner service, and of reading the request body.
pub async fn protect(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<EitherBody<impl MessageBody>>> {
    if is_safe(req.method()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    let mut sent = req
        .headers()
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if sent.is_none() && is_form {
        // Read the form (at most the default 256 KiB payload limit), look
        // for the token, and put the body back for the handler.
        let body = req.extract::<web::Bytes>().await?;
        sent = token_in_form(&body);
        req.set_payload(body.into());
    }
    let expected = req.get_session().get::<String>(SESSION_KEY).ok().flatten();
    let ok = match (&sent, &expected) {
        (Some(sent), Some(expected)) => bool::from(sent.as_bytes().ct_eq(expected.as_bytes())),
        _ => false,
    };
    if !ok {
        let reason = match (sent, expected) {
            (None, _) => "The form carried no CSRF token.",
            (Some(_), None) => "Your session has no CSRF token: it may have expired.",
            (Some(_), Some(_)) => "The form's CSRF token does not match your session.",
        };
        return Ok(req.into_response(forbidden(reason)).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_in_a_form() {
        assert_eq!(
            token_in_form(b"a=1&csrf_token=abc%20d&b=2").as_deref(),
            Some("abc d")
        );
        assert_eq!(token_in_form(b"a=1"), None);
        assert!(is_safe(&Method::GET) && !is_safe(&Method::POST) && !is_safe(&Method::DELETE));
        let t = new_token().unwrap();
        assert_eq!(t.len(), 64);
        assert_ne!(t, new_token().unwrap());
    }
}
