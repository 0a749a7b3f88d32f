//! The guards — [`LoginRequired`], [`FreshLoginRequired`],
//! [`AnonymousRequired`] — and the unauthorized and needs-refresh responses
//! they answer with.

use std::future::{ready, Ready};

use futures_util::future::{Either, LocalBoxFuture};

use actix_session::SessionExt;
use actix_web::{
    dev::Payload,
    http::{header, Method, StatusCode},
    FromRequest, HttpRequest, HttpResponse,
};

use crate::{
    flash::flash_unless_last,
    keys::NEXT,
    redirect::{build_login_url, make_next_param, QueryOrder},
    session::put,
    signals::Signal,
    state::{of, ErasedState, LoginState},
    user::User,
};

/// The response a guard answers with, carried as an actix error so that
/// extraction stops there. actix turns extractor errors into ordinary
/// responses, so the session middleware still saves the flashed message.
pub(crate) fn reject(response: HttpResponse) -> actix_web::Error {
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
fn request_origin(req: &HttpRequest, lowercase_host: bool) -> String {
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
    let host = if lowercase_host {
        host.to_ascii_lowercase()
    } else {
        host.to_owned()
    };
    format!("{scheme}://{host}")
}

/// Whether the client is an API client: `X-Requested-With: XMLHttpRequest`,
/// or an `Accept` header whose preferred type is JSON. The rule
/// [`json_for_api_clients`](crate::LoginManagerBuilder::json_for_api_clients)
/// uses, for custom unauthorized handlers that answer the same way.
///
/// ```
/// use actix_web::test::TestRequest;
/// let req = TestRequest::get().insert_header(("Accept", "application/json")).to_http_request();
/// assert!(actix_login::wants_json(&req));
/// ```
pub fn wants_json(req: &HttpRequest) -> bool {
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

pub(crate) fn json(
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
            std::borrow::Cow::Owned(format!(
                "{}{target}",
                request_origin(req, m.rules.lowercase_host)
            ))
        };
        let order = if m.rules.sorted_query {
            QueryOrder::Sorted
        } else {
            QueryOrder::Insertion
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
        self.refusal(
            req,
            Refusal {
                signal: Signal::Unauthorized,
                handler: m.unauthorized_handler.as_ref(),
                view: self.login_view_for(req),
                message: m.login_message.as_deref(),
                category: &m.login_message_category,
                json_error: "unauthorized",
                status_without_view: StatusCode::UNAUTHORIZED,
            },
        )
    }

    /// Flask-Login's `needs_refresh()`.
    pub(crate) fn needs_refresh_response(&self, req: &HttpRequest) -> HttpResponse {
        let m = &*self.m;
        self.refusal(
            req,
            Refusal {
                signal: Signal::NeedsRefresh,
                handler: m.needs_refresh_handler.as_ref(),
                view: m.refresh_view.as_deref(),
                message: m.needs_refresh_message.as_deref(),
                category: &m.needs_refresh_message_category,
                json_error: "needs_refresh",
                status_without_view: m.rules.stale_status,
            },
        )
    }

    /// The signal, then the app's handler if it has one, else JSON for an
    /// API client, else a plain error without a view, else the message
    /// flashed and a redirect to the view with `next`.
    ///
    /// A handler that calls [`unauthorized`] or [`needs_refresh`] itself —
    /// the natural way to fall back on the default — gets the default
    /// response instead of calling itself without end.
    fn refusal(&self, req: &HttpRequest, r: Refusal<'_>) -> HttpResponse {
        let m = &*self.m;
        let in_handler = self.in_refusal_handler.get();
        if !in_handler {
            tracing::debug!(path = req.path(), signal = %r.signal, "refused");
            m.send(r.signal, req, None);
        }
        if let (Some(handler), false) = (r.handler, in_handler) {
            self.in_refusal_handler.set(true);
            let response = handler(req);
            self.in_refusal_handler.set(false);
            return response;
        }
        if m.json_for_api_clients && wants_json(req) {
            let location = r.view.and_then(|v| self.redirect_to(req, v).ok());
            return json(
                StatusCode::UNAUTHORIZED,
                r.json_error,
                r.message,
                location.as_deref(),
            );
        }
        let Some(view) = r.view else {
            let status = r.status_without_view;
            return HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(format!(
                    "{} {}",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or_default()
                ));
        };
        let location = match self.redirect_to(req, view) {
            Ok(l) => l,
            Err(ViewError) => return HttpResponse::InternalServerError().finish(),
        };
        if let Some(msg) = r.message {
            flash_unless_last(req, &m.localized(msg), r.category);
        }
        HttpResponse::Found()
            .insert_header((header::LOCATION, location))
            .finish()
    }
}

/// What differs between the unauthorized and the needs-refresh answers.
struct Refusal<'a> {
    signal: Signal,
    handler: Option<&'a crate::manager::Handler>,
    view: Option<&'a str>,
    message: Option<&'a str>,
    category: &'a str,
    json_error: &'static str,
    status_without_view: StatusCode,
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
    match of(req) {
        Ok(state) => state.unauthorized(req),
        Err(err) => actix_web::ResponseError::error_response(&err),
    }
}

/// The needs-refresh response for this request (see [`unauthorized`]): 302
/// to the refresh view with the refresh message flashed, or 401 (403 in the
/// 0.2.4 profile) without one.
pub fn needs_refresh(req: &HttpRequest) -> HttpResponse {
    match of(req) {
        Ok(state) => state.needs_refresh(req),
        Err(err) => actix_web::ResponseError::error_response(&err),
    }
}

/// The future of an extractor that needs the request's user: ready at once
/// when the user is already loaded, else the load, then `then`.
pub(crate) type LoadFuture<T> = Either<
    Ready<Result<T, actix_web::Error>>,
    LocalBoxFuture<'static, Result<T, actix_web::Error>>,
>;

/// Runs `then` on the request's login state once the user is loaded.
pub(crate) fn after_load<T: 'static>(
    req: &HttpRequest,
    then: fn(&dyn ErasedState, &HttpRequest) -> Result<T, actix_web::Error>,
) -> LoadFuture<T> {
    let state = match of(req) {
        Ok(state) => state,
        Err(err) => return Either::Left(ready(Err(err.into()))),
    };
    if state.is_loaded() {
        let checked = state.check_setup(req).map_err(actix_web::Error::from);
        return Either::Left(ready(checked.and_then(|()| then(&*state, req))));
    }
    let req = req.clone();
    Either::Right(Box::pin(async move {
        state.load(&req).await?;
        then(&*state, &req)
    }))
}

/// The exempt `OPTIONS` rule of the login guards: such a request is
/// answered here, as Flask answers `OPTIONS` itself, and never reaches the
/// guarded handler.
pub(crate) fn answer_options(req: &HttpRequest) -> Option<actix_web::Error> {
    if req.method() != Method::OPTIONS {
        return None;
    }
    match of(req) {
        Ok(state) if state.exempt_options() => Some(reject(HttpResponse::Ok().finish())),
        Ok(_) => None,
        Err(err) => Some(err.into()),
    }
}

/// Requires a logged-in user: the extractor behind
/// [`#[login_required]`](crate::login_required), for use without the macro.
///
/// Anonymous requests get the [`unauthorized`] response. An `OPTIONS`
/// request is answered `200` by the guard itself, without running the
/// handler (as Flask answers `OPTIONS` without calling the view; not in the
/// 0.2.4 profile; see
/// [`exempt_options`](crate::LoginManagerBuilder::exempt_options)). Put it
/// first in the handler's arguments so it runs before body extractors.
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
        if let Some(answer) = answer_options(req) {
            return Either::Left(ready(Err(answer)));
        }
        after_load(req, |state, req| {
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
        if let Some(answer) = answer_options(req) {
            return Either::Left(ready(Err(answer)));
        }
        after_load(req, |state, req| {
            if !state.is_authenticated() {
                Err(reject(state.unauthorized(req)))
            } else if !state.is_fresh(&req.get_session()) {
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
        after_load(req, |state, _| {
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

/// Requires a logged-in user and hands the handler that user: the extractor
/// to reach for first. It derefs to `U`; an anonymous request gets the
/// [`unauthorized`] response, and an exempt `OPTIONS` request is answered
/// `200` without running the handler, as with
/// [`#[login_required]`](crate::login_required).
///
/// ```
/// use actix_login::{LoggedIn, User};
/// # #[derive(Clone)] struct Account { id: String, name: String }
/// # impl User for Account { fn get_id(&self) -> String { self.id.clone() } }
///
/// async fn home(user: LoggedIn<Account>) -> String {
///     format!("hello {}", user.name)
/// }
/// ```
pub struct LoggedIn<U: User>(std::rc::Rc<U>);

/// [`LoggedIn`] whose login is also fresh: a stale login gets the
/// [`needs_refresh`] response, as with
/// [`#[fresh_login_required]`](crate::fresh_login_required).
///
/// ```
/// use actix_login::{FreshLoggedIn, User};
/// # #[derive(Clone)] struct Account { id: String }
/// # impl User for Account { fn get_id(&self) -> String { self.id.clone() } }
///
/// async fn change_password(user: FreshLoggedIn<Account>) -> String {
///     format!("changing the password of {}", user.get_id())
/// }
/// ```
pub struct FreshLoggedIn<U: User>(std::rc::Rc<U>);

macro_rules! user_guard {
    ($name:ident, $fresh:expr) => {
        impl<U: User> std::ops::Deref for $name<U> {
            type Target = U;

            fn deref(&self) -> &U {
                &self.0
            }
        }

        impl<U: User> $name<U> {
            /// The user, owned.
            pub fn into_inner(self) -> U {
                std::rc::Rc::try_unwrap(self.0).unwrap_or_else(|rc| (*rc).clone())
            }
        }

        impl<U: User + std::fmt::Debug> std::fmt::Debug for $name<U> {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }

        impl<U: User> FromRequest for $name<U> {
            type Error = actix_web::Error;
            type Future = LoadFuture<Self>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                if let Some(answer) = answer_options(req) {
                    return Either::Left(ready(Err(answer)));
                }
                after_load(req, |state, req| {
                    let user = logged_in_user::<U>(state, req)?;
                    if $fresh && !state.is_fresh(&req.get_session()) {
                        return Err(reject(state.needs_refresh(req)));
                    }
                    Ok($name(user))
                })
            }
        }
    };
}

user_guard!(LoggedIn, false);
user_guard!(FreshLoggedIn, true);

/// The authenticated user of type `U`, or the unauthorized answer.
fn logged_in_user<U: User>(
    state: &dyn ErasedState,
    req: &HttpRequest,
) -> Result<std::rc::Rc<U>, actix_web::Error> {
    let typed = crate::state::downcast::<U>(state)?;
    match typed.user() {
        Some(user) if typed.authenticated_user(&user) => Ok(user),
        _ => Err(reject(state.unauthorized(req))),
    }
}

/// The login guards on a whole `web::scope`: `.wrap(LoginRequired)` (or
/// `FreshLoginRequired`) gives every route in it the answers of
/// `#[login_required]` (`#[fresh_login_required]`), `next` included.
///
/// ```
/// use actix_login::LoginRequired;
/// use actix_web::{web, App};
///
/// let app = App::new().service(
///     web::scope("/account")
///         .wrap(LoginRequired)
///         .route("/settings", web::get().to(|| async { "settings" })),
/// );
/// # let _ = app;
/// ```
pub struct ScopeGuard<S> {
    service: std::rc::Rc<S>,
    fresh: bool,
}

macro_rules! scope_guard {
    ($name:ident, $fresh:expr) => {
        impl<S, B> actix_web::dev::Transform<S, actix_web::dev::ServiceRequest> for $name
        where
            S: actix_web::dev::Service<
                    actix_web::dev::ServiceRequest,
                    Response = actix_web::dev::ServiceResponse<B>,
                    Error = actix_web::Error,
                > + 'static,
            B: actix_web::body::MessageBody + 'static,
        {
            type Response = actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>;
            type Error = actix_web::Error;
            type Transform = ScopeGuard<S>;
            type InitError = ();
            type Future = Ready<Result<ScopeGuard<S>, ()>>;

            fn new_transform(&self, service: S) -> Self::Future {
                ready(Ok(ScopeGuard {
                    service: std::rc::Rc::new(service),
                    fresh: $fresh,
                }))
            }
        }
    };
}

scope_guard!(LoginRequired, false);
scope_guard!(FreshLoginRequired, true);

impl<S, B> actix_web::dev::Service<actix_web::dev::ServiceRequest> for ScopeGuard<S>
where
    S: actix_web::dev::Service<
            actix_web::dev::ServiceRequest,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        > + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    type Response = actix_web::dev::ServiceResponse<actix_web::body::EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, actix_web::Error>>;

    actix_web::dev::forward_ready!(service);

    fn call(&self, req: actix_web::dev::ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let http = req.request().clone();
        let fresh = self.fresh;
        Box::pin(async move {
            let checked = if fresh {
                FreshLoginRequired::extract(&http).await.map(drop)
            } else {
                LoginRequired::extract(&http).await.map(drop)
            };
            // Routing inside the scope needs the only handle on the request.
            drop(http);
            match checked {
                Ok(()) => Ok(service.call(req).await?.map_into_left_body()),
                Err(refused) => Ok(req.error_response(refused).map_into_right_body()),
            }
        })
    }
}
