//! The guards — [`LoginRequired`], [`FreshLoginRequired`],
//! [`AnonymousRequired`] — and the unauthorized and needs-refresh responses
//! they answer with.

use std::{
    future::{ready, Future, Ready},
    pin::Pin,
    task::{Context, Poll},
};

use futures_util::future::{Either, LocalBoxFuture};

use actix_session::SessionExt;
use actix_web::{
    dev::Payload,
    http::{header, Method, StatusCode},
    FromRequest, HttpRequest, HttpResponse,
};

use crate::{
    flash::flash,
    keys::NEXT,
    redirect::{build_login_url, make_next_param, QueryOrder},
    signals::Signal,
    state::{handle, put, ErasedState, LoadNow, LoginState},
    user::User,
    Profile,
};

/// The response a guard answers with, carried as an actix error so that
/// extraction stops there. actix turns extractor errors into ordinary
/// responses, so the session middleware still saves the flashed message.
fn reject(response: HttpResponse) -> actix_web::Error {
    actix_web::error::InternalError::from_response("login required", response).into()
}

/// The request target exactly as the client sent it (path and query, every
/// escape kept), without a bare trailing `?` (DIFFERENCES.md F3).
fn request_target(req: &HttpRequest) -> &str {
    let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    let target = target.split('#').next().unwrap_or(target);
    // Python's urlunsplit drops an empty query only: `/p?` → `/p`, but
    // `/p??` and `/p?a=1?` keep theirs.
    match target.find('?') {
        Some(q) if q + 1 == target.len() => &target[..q],
        _ => target,
    }
}

/// `scheme://host` of the request as Werkzeug rebuilds it: the server's own
/// scheme and the `Host` header, with a default port dropped (and, in
/// Werkzeug 3, lowercased). Forwarding headers (`Forwarded`,
/// `X-Forwarded-Host`, `X-Forwarded-Proto`) are ignored: any client can
/// send them, and this URL ends up in a redirect.
fn request_origin(req: &HttpRequest, profile: Profile) -> String {
    let uri = req.uri();
    let scheme = match uri.scheme_str() {
        Some(s) => s.to_ascii_lowercase(),
        None if req.app_config().secure() => "https".to_owned(),
        None => "http".to_owned(),
    };
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .unwrap_or_else(|| req.app_config().host());
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let host = host.strip_suffix(default_port).unwrap_or(host);
    let host = match profile {
        Profile::V0_6_3 => host.to_ascii_lowercase(),
        Profile::V0_2_4 => host.to_owned(),
    };
    format!("{scheme}://{host}")
}

/// Whether an API client asked: `X-Requested-With: XMLHttpRequest`, or an
/// `Accept` header whose preferred type is JSON.
fn wants_json(req: &HttpRequest) -> bool {
    if req
        .headers()
        .get("x-requested-with")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"XMLHttpRequest"))
    {
        return true;
    }
    let Ok(accept) = <header::Accept as header::Header>::parse(req) else {
        return false;
    };
    accept.ranked().first().is_some_and(|m| {
        m.subtype() == actix_web::mime::JSON || m.suffix() == Some(actix_web::mime::JSON)
    })
}

fn json(
    status: StatusCode,
    error: &str,
    message: Option<&str>,
    location: Option<&str>,
) -> HttpResponse {
    let body = serde_json::json!({ "error": error, "message": message, "location": location });
    HttpResponse::build(status).json(body)
}

/// A login or refresh view that cannot be turned into a URL (logged where
/// it happens; the client gets a 500).
struct ViewError;

impl<U: User> LoginState<U> {
    /// Resolves a view: a path or URL is used as is, anything else is the
    /// name of an actix resource.
    fn expand_view(&self, req: &HttpRequest, view: &str) -> Result<String, ViewError> {
        if view.starts_with('/') || view.starts_with("http://") || view.starts_with("https://") {
            return Ok(view.to_owned());
        }
        match req.url_for_static(view) {
            Ok(url) => Ok(match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_owned(),
            }),
            Err(err) => {
                tracing::error!(view, error = %err, "login or refresh view is neither a path nor a named resource");
                Err(ViewError)
            }
        }
    }

    /// The redirect to `view` with `next` pointing back at this request.
    fn redirect_to(&self, req: &HttpRequest, view: &str) -> Result<String, ViewError> {
        let m = &*self.m;
        let base = self.expand_view(req, view)?;
        let target = request_target(req);
        // Only an absolute login URL needs the request's scheme and host to
        // decide whether `next` may drop them.
        let current = if base.starts_with('/') && !base.starts_with("//") {
            std::borrow::Cow::Borrowed(target)
        } else {
            std::borrow::Cow::Owned(format!("{}{target}", request_origin(req, m.profile)))
        };
        let order = match m.profile {
            Profile::V0_6_3 => QueryOrder::Insertion,
            Profile::V0_2_4 => QueryOrder::Sorted,
        };
        if m.use_session_for_next {
            let session = req.get_session();
            let next = make_next_param(&base, &current).into_owned();
            let stored =
                put(&session, NEXT, &next).and_then(|()| self.store_identifier(&session, req));
            if stored.is_err() {
                return Err(ViewError);
            }
            return Ok(build_login_url(
                &base,
                None,
                &m.next_field,
                order,
                m.force_host.as_deref(),
            ));
        }
        Ok(build_login_url(
            &base,
            Some(&current),
            &m.next_field,
            order,
            m.force_host.as_deref(),
        ))
    }

    fn login_view_for(&self, req: &HttpRequest) -> Option<&str> {
        let m = &*self.m;
        let path = req.path();
        for (prefix, view) in &m.scope_login_views {
            let rest = path.strip_prefix(prefix.as_str());
            if rest.is_some_and(|r| r.is_empty() || r.starts_with('/')) {
                return view.as_deref();
            }
        }
        m.login_view.as_deref()
    }

    /// Flask-Login's `unauthorized()`.
    pub(crate) fn unauthorized_response(&self, req: &HttpRequest) -> HttpResponse {
        let m = &*self.m;
        tracing::debug!(path = req.path(), "unauthorized");
        m.send(Signal::Unauthorized, req, None);
        if let Some(handler) = &m.unauthorized_handler {
            return handler(req);
        }
        let view = self.login_view_for(req);
        if m.json_for_api_clients && wants_json(req) {
            let location = view.and_then(|v| self.redirect_to(req, v).ok());
            return json(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                m.login_message.as_deref(),
                location.as_deref(),
            );
        }
        let Some(view) = view else {
            return HttpResponse::Unauthorized()
                .content_type("text/plain; charset=utf-8")
                .body("401 Unauthorized");
        };
        let location = match self.redirect_to(req, view) {
            Ok(l) => l,
            Err(ViewError) => return HttpResponse::InternalServerError().finish(),
        };
        if let Some(msg) = &m.login_message {
            flash(req, &m.localized(msg), &m.login_message_category);
        }
        HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish()
    }

    /// Flask-Login's `needs_refresh()`.
    pub(crate) fn needs_refresh_response(&self, req: &HttpRequest) -> HttpResponse {
        let m = &*self.m;
        tracing::debug!(path = req.path(), "needs refresh");
        m.send(Signal::NeedsRefresh, req, None);
        if let Some(handler) = &m.needs_refresh_handler {
            return handler(req);
        }
        if m.json_for_api_clients && wants_json(req) {
            let location = m
                .refresh_view
                .as_deref()
                .and_then(|v| self.redirect_to(req, v).ok());
            return json(
                StatusCode::UNAUTHORIZED,
                "needs_refresh",
                m.needs_refresh_message.as_deref(),
                location.as_deref(),
            );
        }
        let Some(view) = m.refresh_view.as_deref() else {
            return match m.profile {
                Profile::V0_6_3 => HttpResponse::Unauthorized()
                    .content_type("text/plain; charset=utf-8")
                    .body("401 Unauthorized"),
                Profile::V0_2_4 => HttpResponse::Forbidden()
                    .content_type("text/plain; charset=utf-8")
                    .body("403 Forbidden"),
            };
        };
        let location = match self.redirect_to(req, view) {
            Ok(l) => l,
            Err(ViewError) => return HttpResponse::InternalServerError().finish(),
        };
        if let Some(msg) = &m.needs_refresh_message {
            flash(req, &m.localized(msg), &m.needs_refresh_message_category);
        }
        HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish()
    }
}

/// The unauthorized response for this request, as a guard would answer:
/// the signal, then your handler if set, else 401 without a login view, else
/// the login message flashed and a 302 to the login view with `next`.
///
/// For handlers that decide themselves:
///
/// ```
/// use actix_login::{CurrentUser, User};
/// use actix_web::{HttpRequest, HttpResponse};
/// # #[derive(Clone)] struct Account; impl User for Account { fn get_id(&self) -> String { "1".into() } }
///
/// async fn maybe(req: HttpRequest, user: CurrentUser<Account>) -> HttpResponse {
///     if !user.is_authenticated() {
///         return actix_login::unauthorized(&req);
///     }
///     HttpResponse::Ok().finish()
/// }
/// ```
pub fn unauthorized(req: &HttpRequest) -> HttpResponse {
    match handle(req) {
        Ok(h) => h.0.unauthorized(req),
        Err(err) => err.error_response(),
    }
}

/// The needs-refresh response for this request (see [`unauthorized`]): 302
/// to the refresh view with the refresh message flashed, or 401 (403 in the
/// 0.2.4 profile) without one.
pub fn needs_refresh(req: &HttpRequest) -> HttpResponse {
    match handle(req) {
        Ok(h) => h.0.needs_refresh(req),
        Err(err) => err.error_response(),
    }
}

/// The future of an extractor that needs the request's user: ready at once
/// when the user is already loaded, else a load (in place on its first poll
/// when it can), then `then`.
pub(crate) type LoadFuture<T> = Either<Ready<Result<T, actix_web::Error>>, LoadThen<T>>;

/// Runs `then` on the request's login state once the user is loaded.
pub(crate) fn load_then<T>(
    req: &HttpRequest,
    then: fn(&dyn ErasedState, &HttpRequest) -> Result<T, actix_web::Error>,
) -> LoadFuture<T> {
    let h = match handle(req) {
        Ok(h) => h,
        Err(err) => return Either::Left(ready(Err(err))),
    };
    if h.0.is_loaded() {
        return Either::Left(ready(h.0.check_order(req).and_then(|()| then(&*h.0, req))));
    }
    Either::Right(LoadThen {
        rest: None,
        state: h.0,
        req: req.clone(),
        then,
    })
}

#[doc(hidden)]
pub struct LoadThen<T> {
    /// The rest of the load, when the first poll could not finish it.
    rest: Option<LocalBoxFuture<'static, Result<(), actix_web::Error>>>,
    state: std::rc::Rc<dyn ErasedState>,
    req: HttpRequest,
    then: fn(&dyn ErasedState, &HttpRequest) -> Result<T, actix_web::Error>,
}

impl<T> Future for LoadThen<T> {
    type Output = Result<T, actix_web::Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let rest = match &mut this.rest {
            Some(rest) => rest,
            None => match this.state.clone().load_now(&this.req, cx) {
                LoadNow::Done(loaded) => {
                    return Poll::Ready(loaded.and_then(|()| (this.then)(&*this.state, &this.req)))
                }
                LoadNow::Later(rest) => this.rest.insert(rest),
            },
        };
        match rest.as_mut().poll(cx) {
            Poll::Ready(loaded) => {
                Poll::Ready(loaded.and_then(|()| (this.then)(&*this.state, &this.req)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Requires a logged-in user: the extractor behind
/// [`#[login_required]`](crate::login_required), for use without the macro.
///
/// Anonymous requests get the [`unauthorized`] response; `OPTIONS` requests
/// pass (as in Flask-Login ≥ 0.4; not in the 0.2.4 profile). Put it first in
/// the handler's arguments so it runs before body extractors.
///
/// ```
/// use actix_login::LoginRequired;
/// async fn secret(_: LoginRequired) -> &'static str {
///     "only for users"
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LoginRequired;

impl FromRequest for LoginRequired {
    type Error = actix_web::Error;
    type Future = LoadFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if req.method() == Method::OPTIONS {
            match handle(req) {
                Ok(h) if h.0.options_exempt() => return Either::Left(ready(Ok(LoginRequired))),
                Err(err) => return Either::Left(ready(Err(err))),
                Ok(_) => {}
            }
        }
        load_then(req, |state, req| {
            if state.is_authenticated() {
                Ok(LoginRequired)
            } else {
                Err(reject(state.unauthorized(req)))
            }
        })
    }
}

/// Requires a logged-in user whose login is fresh: the extractor behind
/// [`#[fresh_login_required]`](crate::fresh_login_required).
///
/// Anonymous requests get the [`unauthorized`] response, stale logins (the
/// user was restored from the remember cookie, session protection fired, or
/// the login is older than
/// [`fresh_max_age`](crate::LoginManagerBuilder::fresh_max_age)) the
/// [`needs_refresh`] one.
///
/// ```
/// use actix_login::FreshLoginRequired;
/// async fn change_password(_: FreshLoginRequired) -> &'static str {
///     "recently authenticated"
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct FreshLoginRequired;

impl FromRequest for FreshLoginRequired {
    type Error = actix_web::Error;
    type Future = LoadFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if req.method() == Method::OPTIONS {
            match handle(req) {
                Ok(h) if h.0.options_exempt() => {
                    return Either::Left(ready(Ok(FreshLoginRequired)))
                }
                Err(err) => return Either::Left(ready(Err(err))),
                Ok(_) => {}
            }
        }
        load_then(req, |state, req| {
            if !state.is_authenticated() {
                Err(reject(state.unauthorized(req)))
            } else if !state.is_fresh(req) {
                Err(reject(state.needs_refresh(req)))
            } else {
                Ok(FreshLoginRequired)
            }
        })
    }
}

/// Requires that nobody is logged in: for login and registration pages. A
/// logged-in user is redirected (303) to
/// [`anonymous_required_redirect`](crate::LoginManagerBuilder::anonymous_required_redirect)
/// (default `/`). The extractor behind
/// [`#[anonymous_required]`](crate::anonymous_required).
///
/// ```
/// use actix_login::AnonymousRequired;
/// async fn register(_: AnonymousRequired) -> &'static str {
///     "sign up"
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AnonymousRequired;

impl FromRequest for AnonymousRequired {
    type Error = actix_web::Error;
    type Future = LoadFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        load_then(req, |state, _| {
            if state.is_authenticated() {
                let to = state.anonymous_redirect().to_owned();
                Err(reject(
                    HttpResponse::SeeOther()
                        .insert_header((header::LOCATION, to))
                        .finish(),
                ))
            } else {
                Ok(AnonymousRequired)
            }
        })
    }
}
