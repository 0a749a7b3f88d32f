//! Permissions: what a logged-in user may do, beyond being logged in.
//!
//! The app answers a user's permissions with a [`PermissionLoader`] (its own
//! and its groups', async, with the request for app data), registered with
//! [`LoginManagerBuilder::permissions`](crate::LoginManagerBuilder::permissions).
//! A request's permissions are loaded the first time something checks one,
//! for the user then logged in, and kept in the request's extensions, so a
//! request loads them at most once however many checks it makes. Then:
//!
//! * [`#[permission_required("notes.write")]`](crate::permission_required)
//!   and the extractor it stands for, [`PermissionRequired<P>`];
//! * [`PermissionRequired::new`] on a `web::scope`: every route in it;
//! * [`PermissionExt::has_perm`] and [`has_perm`]: a `bool` anywhere a
//!   request is, for handlers and the templates they render;
//! * [`forbidden`]: the answer the guards give a user without the
//!   permission.
//!
//! The guards answer as the login guards do: an anonymous request gets
//! [`unauthorized`](crate::unauthorized) (a redirect to the login view with
//! `next`), an exempt `OPTIONS` request `200` without running the handler, a
//! logged-in user without every permission [`forbidden`] (`403`), and a
//! failing permission loader a `500` that keeps the session
//! ([`LoginError::PermissionLoader`]).

use std::{
    collections::HashSet,
    future::{ready, Future, Ready},
    hash::Hash,
    marker::PhantomData,
    rc::Rc,
    sync::Arc,
};

use actix_web::{
    body::EitherBody,
    dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform},
    http::StatusCode,
    FromRequest, HttpMessage, HttpRequest, HttpResponse,
};
use futures_util::future::LocalBoxFuture;
use tokio::sync::OnceCell;

use crate::{
    current_user::CurrentUser,
    error::LoginError,
    guard::{answer_options, json, reject, wants_json},
    manager::Handler,
    state::{of, LoginState},
    user::{LoaderError, User},
};

/// Answers a user's permissions: axum-login's `AuthzBackend`, for
/// actix-login. Register it with
/// [`LoginManagerBuilder::permissions`](crate::LoginManagerBuilder::permissions).
///
/// A user has the union of [`user_permissions`](Self::user_permissions)
/// (granted to the user) and [`group_permissions`](Self::group_permissions)
/// (granted to the user's groups or roles); both default to none, so
/// implement the ones the app has. They are called at most once per
/// request, together, the first time something checks a permission of a
/// logged-in user; never for an anonymous request. The request gives access
/// to app data (`web::Data<T>`), as with the user loaders.
///
/// Return `Err` for a failure (a database error): the request is answered
/// `500`, the cause goes to the log, and the session is kept, so a passing
/// fault logs nobody out.
///
/// [`Permission`](Self::Permission) is the app's own type; the names the
/// guards are given (`#[permission_required("notes.write")]`,
/// `has_perm(&req, "notes.write")`) become one with `From<&str>`. `String`
/// is the usual choice; an enum works as well.
///
/// ```
/// use actix_login::{
///     permission_required, LoaderError, LoginManager, PermissionLoader, Permissions, User,
///     UserLoader,
/// };
/// use actix_session::{storage::CookieSessionStore, SessionMiddleware};
/// use actix_web::{cookie::Key, test, web, App, HttpRequest};
/// use std::collections::{HashMap, HashSet};
///
/// #[derive(Clone)]
/// struct Account { id: String, groups: Vec<String> }
/// impl User for Account { fn get_id(&self) -> String { self.id.clone() } }
///
/// /// Who may do what: app data, as a database pool would be.
/// struct Grants { users: HashMap<String, Vec<String>>, groups: HashMap<String, Vec<String>> }
///
/// struct Perms;
///
/// impl PermissionLoader for Perms {
///     type User = Account;
///     type Permission = String;
///
///     async fn user_permissions(&self, user: &Account, req: &HttpRequest)
///         -> Result<HashSet<String>, LoaderError>
///     {
///         let grants = req.app_data::<web::Data<Grants>>().ok_or("no grants")?;
///         Ok(grants.users.get(&user.id).into_iter().flatten().cloned().collect())
///     }
///
///     async fn group_permissions(&self, user: &Account, req: &HttpRequest)
///         -> Result<HashSet<String>, LoaderError>
///     {
///         let grants = req.app_data::<web::Data<Grants>>().ok_or("no grants")?;
///         let of_group = |g: &String| grants.groups.get(g).into_iter().flatten().cloned();
///         Ok(user.groups.iter().flat_map(of_group).collect())
///     }
/// }
///
/// # struct Users;
/// # impl UserLoader for Users { type User = Account;
/// #   async fn load_user(&self, id: &str, _: &HttpRequest) -> Result<Option<Account>, LoaderError> {
/// #     Ok(Some(Account { id: id.into(), groups: vec!["editors".into()] })) } }
/// #[permission_required("notes.write", "notes.publish")]
/// async fn publish() -> &'static str {
///     "published"
/// }
///
/// # async fn login(req: HttpRequest) -> actix_web::Result<&'static str> {
/// #     let user = Account { id: "1".into(), groups: vec!["editors".into()] };
/// #     actix_login::login_user(&req, user, Default::default())?;
/// #     Ok("logged in")
/// # }
/// # actix_web::rt::System::new().block_on(async {
/// let manager = LoginManager::builder(Users, "a secret of at least thirty-two bytes")
///     .permissions(Permissions::new(Perms))
///     .build();
/// let grants = web::Data::new(Grants {
///     users: HashMap::from([("1".into(), vec!["notes.publish".into()])]),
///     groups: HashMap::from([("editors".into(), vec!["notes.write".into()])]),
/// });
/// let app = test::init_service(
///     App::new()
///         .app_data(grants)
///         .wrap(manager)
///         .wrap(SessionMiddleware::new(CookieSessionStore::default(), Key::generate()))
///         .route("/login", web::post().to(login))
///         .route("/publish", web::post().to(publish)),
/// )
/// .await;
/// let anonymous = test::TestRequest::post().uri("/publish").to_request();
/// assert_eq!(test::call_service(&app, anonymous).await.status(), 401);
///
/// // User 1 has `notes.publish`, and `notes.write` as an editor.
/// let login = test::call_service(&app, test::TestRequest::post().uri("/login").to_request()).await;
/// let session = login.response().cookies().next().unwrap().into_owned();
/// let alice = test::TestRequest::post().uri("/publish").cookie(session).to_request();
/// assert_eq!(test::call_service(&app, alice).await.status(), 200);
/// # });
/// ```
pub trait PermissionLoader: 'static {
    /// The user type.
    type User: User;

    /// The app's permission type. `From<&str>` turns the names given to
    /// the guards into it.
    type Permission: Hash + Eq + for<'a> From<&'a str> + 'static;

    /// The permissions granted to the user itself (default: none).
    fn user_permissions(
        &self,
        user: &Self::User,
        req: &HttpRequest,
    ) -> impl Future<Output = Result<HashSet<Self::Permission>, LoaderError>> {
        let _ = (user, req);
        async { Ok(HashSet::new()) }
    }

    /// The permissions the user has through its groups or roles (default:
    /// none).
    fn group_permissions(
        &self,
        user: &Self::User,
        req: &HttpRequest,
    ) -> impl Future<Output = Result<HashSet<Self::Permission>, LoaderError>> {
        let _ = (user, req);
        async { Ok(HashSet::new()) }
    }
}

/// The permission settings of a [`LoginManager`](crate::LoginManager): the
/// [`PermissionLoader`], and what a user without the permission is
/// answered. Give it to
/// [`LoginManagerBuilder::permissions`](crate::LoginManagerBuilder::permissions).
///
/// ```
/// # use actix_login::{LoaderError, LoginManager, PermissionLoader, User, UserLoader};
/// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
/// # struct L; impl UserLoader for L { type User = A;
/// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
/// # struct Perms; impl PermissionLoader for Perms { type User = A; type Permission = String; }
/// use actix_login::Permissions;
/// use actix_web::HttpResponse;
///
/// let manager = LoginManager::builder(L, "s")
///     .permissions(
///         Permissions::new(Perms)
///             .forbidden_handler(|_req| HttpResponse::Forbidden().body("ask an admin")),
///     )
///     .build();
/// # let _ = manager;
/// ```
pub struct Permissions<U> {
    loader: Box<dyn DynPermissionLoader<U>>,
    forbidden_handler: Option<Handler>,
}

impl<U: User> Permissions<U> {
    /// Permissions answered by `loader`.
    pub fn new<L>(loader: L) -> Self
    where
        L: PermissionLoader<User = U> + Send + Sync,
    {
        Permissions {
            loader: Box::new(loader),
            forbidden_handler: None,
        }
    }

    /// Replaces the answer to a logged-in user without the permission (see
    /// [`forbidden`]). The handler wins over
    /// [`json_for_api_clients`](crate::LoginManagerBuilder::json_for_api_clients),
    /// as the unauthorized handler does; a handler that calls [`forbidden`]
    /// itself gets the default answer.
    pub fn forbidden_handler(
        mut self,
        f: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.forbidden_handler = Some(Box::new(f));
        self
    }
}

impl<U> std::fmt::Debug for Permissions<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permissions")
            .field("forbidden_handler", &self.forbidden_handler.is_some())
            .finish_non_exhaustive()
    }
}

// ------------------------------------------------------------ the loading

/// A loaded set of permissions, seen without its permission type.
pub(crate) trait PermissionSet {
    fn has(&self, name: &str) -> bool;
}

impl<P: Hash + Eq + for<'a> From<&'a str>> PermissionSet for HashSet<P> {
    fn has(&self, name: &str) -> bool {
        self.contains(&P::from(name))
    }
}

/// [`PermissionLoader`] uses `async fn`s, which cannot be called through a
/// `dyn`: this object-safe twin boxes the load (as the user loaders' twins
/// in `manager.rs` do) and gives the union of both sets.
trait DynPermissionLoader<U>: Send + Sync {
    fn load<'a>(
        &'a self,
        user: &'a U,
        req: &'a HttpRequest,
    ) -> LocalBoxFuture<'a, Result<Rc<dyn PermissionSet>, LoaderError>>;
}

impl<L: PermissionLoader + Send + Sync> DynPermissionLoader<L::User> for L {
    fn load<'a>(
        &'a self,
        user: &'a L::User,
        req: &'a HttpRequest,
    ) -> LocalBoxFuture<'a, Result<Rc<dyn PermissionSet>, LoaderError>> {
        Box::pin(async move {
            let (mut all, groups) = futures_util::future::try_join(
                self.user_permissions(user, req),
                self.group_permissions(user, req),
            )
            .await?;
            all.extend(groups);
            Ok(Rc::new(all) as Rc<dyn PermissionSet>)
        })
    }
}

/// The request's permissions, in its extensions: the set loaded for one
/// user of one manager. A check for another user (after a login or logout
/// in the same request) or under another manager replaces it. The cell makes
/// a second asker wait for the first load; a load that fails or is dropped
/// leaves it empty, for the next asker to try again.
#[derive(Clone)]
struct RequestPermissions(Rc<Cached>);

struct Cached {
    manager: *const (),
    user_id: String,
    set: OnceCell<Rc<dyn PermissionSet>>,
}

impl RequestPermissions {
    /// The request's cache entry for this manager and user, made if there
    /// is none yet.
    fn of(req: &HttpRequest, manager: *const (), user_id: String) -> Rc<Cached> {
        let mut extensions = req.extensions_mut();
        if let Some(RequestPermissions(cached)) = extensions.get::<RequestPermissions>() {
            if std::ptr::eq(cached.manager, manager) && cached.user_id == user_id {
                return cached.clone();
            }
        }
        let cached = Rc::new(Cached {
            manager,
            user_id,
            set: OnceCell::new(),
        });
        extensions.insert(RequestPermissions(cached.clone()));
        cached
    }
}

/// Marks a request whose forbidden handler is running, so that a handler
/// calling [`forbidden`] gets the default answer instead of itself.
struct InForbiddenHandler;

/// The permission side of a request's login state, seen without the user
/// type: reached through `ErasedState::permissions`.
pub(crate) trait ErasedPermissions {
    /// The permissions of the request's user, loaded unless this request
    /// already did for this user; `None` when nobody is logged in.
    fn permission_set<'a>(
        &'a self,
        req: &'a HttpRequest,
    ) -> LocalBoxFuture<'a, Result<Option<Rc<dyn PermissionSet>>, LoginError>>;

    /// The answer to a logged-in user without the permission.
    fn forbidden(&self, req: &HttpRequest) -> HttpResponse;
}

impl<U: User> ErasedPermissions for LoginState<U> {
    fn permission_set<'a>(
        &'a self,
        req: &'a HttpRequest,
    ) -> LocalBoxFuture<'a, Result<Option<Rc<dyn PermissionSet>>, LoginError>> {
        Box::pin(async move {
            let Some(permissions) = &self.m.permissions else {
                return Err(LoginError::NoPermissionLoader.logged());
            };
            let current = CurrentUser::<U>::extract(req)
                .await
                .map_err(into_login_error)?;
            let Some(user) = current.user().filter(|_| current.is_authenticated()) else {
                return Ok(None);
            };
            let manager = Arc::as_ptr(&self.m).cast::<()>();
            let cached = RequestPermissions::of(req, manager, user.get_id());
            let set = cached
                .set
                .get_or_try_init(|| async {
                    permissions
                        .loader
                        .load(user, req)
                        .await
                        .map_err(|err| LoginError::PermissionLoader(err.message()).logged())
                })
                .await?;
            Ok(Some(set.clone()))
        })
    }

    fn forbidden(&self, req: &HttpRequest) -> HttpResponse {
        let handler = self
            .m
            .permissions
            .as_ref()
            .and_then(|p| p.forbidden_handler.as_ref());
        let in_handler = req.extensions().contains::<InForbiddenHandler>();
        if let (Some(handler), false) = (handler, in_handler) {
            req.extensions_mut().insert(InForbiddenHandler);
            let response = handler(req);
            req.extensions_mut().remove::<InForbiddenHandler>();
            return response;
        }
        if self.m.json_for_api_clients && wants_json(req) {
            return json(StatusCode::FORBIDDEN, "forbidden", None, None);
        }
        HttpResponse::Forbidden()
            .content_type("text/plain; charset=utf-8")
            .body("403 Forbidden")
    }
}

/// [`CurrentUser`] fails with a [`LoginError`] only; this takes it back out
/// of the actix error.
fn into_login_error(err: actix_web::Error) -> LoginError {
    match err.as_error::<LoginError>() {
        Some(err) => err.clone(),
        None => LoginError::Loader(err.to_string()),
    }
}

/// What a check of some permissions found.
enum Verdict<'n> {
    /// Nobody is logged in.
    Anonymous,
    /// The user lacks these (none: the user has them all).
    Missing(Vec<&'n str>),
}

async fn check<'n>(
    req: &HttpRequest,
    names: impl IntoIterator<Item = &'n str>,
) -> Result<Verdict<'n>, LoginError> {
    let state = of(req)?;
    Ok(match state.permissions().permission_set(req).await? {
        None => Verdict::Anonymous,
        Some(set) => Verdict::Missing(names.into_iter().filter(|n| !set.has(n)).collect()),
    })
}

/// The guards' check: `Ok` when the user has every permission, else the
/// answer as an actix error (the `OPTIONS` rule, unauthorized, forbidden, or
/// a [`LoginError`]).
async fn require<'n>(
    req: &HttpRequest,
    names: impl IntoIterator<Item = &'n str>,
) -> Result<(), actix_web::Error> {
    if let Some(answer) = answer_options(req) {
        return Err(answer);
    }
    match check(req, names).await? {
        Verdict::Anonymous => Err(reject(crate::guard::unauthorized(req))),
        Verdict::Missing(missing) if missing.is_empty() => Ok(()),
        Verdict::Missing(missing) => {
            tracing::debug!(
                path = req.path(),
                ?missing,
                "forbidden: missing permissions"
            );
            Err(reject(forbidden(req)))
        }
    }
}

// ------------------------------------------------------------ the public API

/// The answer the permission guards give a logged-in user without the
/// permission: the [forbidden handler](Permissions::forbidden_handler) if
/// set, else `403` with a JSON body `{"error": "forbidden", ...}` for API
/// clients when
/// [`json_for_api_clients`](crate::LoginManagerBuilder::json_for_api_clients)
/// is on, else a plain `403 Forbidden`.
///
/// For handlers that decide themselves:
///
/// ```
/// use actix_login::{forbidden, has_perm};
/// use actix_web::{HttpRequest, HttpResponse};
///
/// async fn delete_note(req: HttpRequest) -> actix_web::Result<HttpResponse> {
///     if !has_perm(&req, "notes.delete").await? {
///         return Ok(forbidden(&req));
///     }
///     Ok(HttpResponse::NoContent().finish())
/// }
/// ```
pub fn forbidden(req: &HttpRequest) -> HttpResponse {
    match of(req) {
        Ok(state) => state.permissions().forbidden(req),
        Err(err) => actix_web::ResponseError::error_response(&err),
    }
}

/// Whether the request's user has `permission`: [`PermissionExt::has_perm`]
/// as a function. `false` when nobody is logged in.
///
/// ```
/// use actix_login::has_perm;
/// use actix_web::HttpRequest;
///
/// // Tell the template whether to show the admin link.
/// async fn page(req: HttpRequest) -> actix_web::Result<String> {
///     let admin = has_perm(&req, "admin").await?;
///     Ok(format!("<nav>{}</nav>", if admin { "<a href=/admin>admin</a>" } else { "" }))
/// }
/// ```
///
/// # Errors
///
/// See [`PermissionExt::has_perm`].
pub async fn has_perm(req: &HttpRequest, permission: &str) -> Result<bool, LoginError> {
    req.has_perm(permission).await
}

/// Permission checks on anything that carries a request: a handler's
/// `HttpRequest`, a middleware's `ServiceRequest`. The first check of a
/// request loads the user and its permissions (see [`PermissionLoader`]);
/// later checks in the same request answer from what was loaded.
///
/// Not on a routing guard's `GuardContext`: actix asks guards
/// synchronously, and loading permissions is async. Route on a permission
/// with [`PermissionRequired::new`] on a scope, or
/// [`#[permission_required]`](crate::permission_required) on the handler.
///
/// ```
/// use actix_login::PermissionExt;
/// use actix_web::HttpRequest;
///
/// async fn notes(req: HttpRequest) -> actix_web::Result<String> {
///     let can_write = req.has_perm("notes.write").await?;
///     let can_moderate = req.has_perms(&["notes.write", "notes.delete"]).await?;
///     Ok(format!("write: {can_write}, moderate: {can_moderate}"))
/// }
/// ```
pub trait PermissionExt {
    /// Whether the request's user has `permission`; `false` when nobody is
    /// logged in.
    ///
    /// # Errors
    ///
    /// [`LoginError::NoPermissionLoader`] when the manager has no
    /// [`Permissions`], [`LoginError::PermissionLoader`] when the loader
    /// fails, and the errors of loading the user
    /// ([`CurrentUser`](crate::CurrentUser)).
    fn has_perm(&self, permission: &str) -> impl Future<Output = Result<bool, LoginError>>;

    /// Whether the request's user has every one of `permissions`; `false`
    /// when nobody is logged in.
    ///
    /// # Errors
    ///
    /// As [`has_perm`](Self::has_perm).
    fn has_perms(&self, permissions: &[&str]) -> impl Future<Output = Result<bool, LoginError>>;
}

impl PermissionExt for HttpRequest {
    async fn has_perm(&self, permission: &str) -> Result<bool, LoginError> {
        self.has_perms(&[permission]).await
    }

    async fn has_perms(&self, permissions: &[&str]) -> Result<bool, LoginError> {
        Ok(match check(self, permissions.iter().copied()).await? {
            Verdict::Anonymous => false,
            Verdict::Missing(missing) => missing.is_empty(),
        })
    }
}

impl PermissionExt for ServiceRequest {
    async fn has_perm(&self, permission: &str) -> Result<bool, LoginError> {
        self.request().has_perm(permission).await
    }

    async fn has_perms(&self, permissions: &[&str]) -> Result<bool, LoginError> {
        self.request().has_perms(permissions).await
    }
}

/// The permissions a [`PermissionRequired<P>`] extractor requires, named by
/// the type `P`. [`#[permission_required]`](crate::permission_required)
/// writes such a type for its handler; write one by hand to use the
/// extractor without the macro.
///
/// ```
/// use actix_login::{PermissionRequired, RequiredPermissions};
///
/// struct WriteNotes;
/// impl RequiredPermissions for WriteNotes {
///     const PERMISSIONS: &'static [&'static str] = &["notes.write"];
/// }
///
/// async fn new_note(_: PermissionRequired<WriteNotes>) -> &'static str {
///     "a new note"
/// }
/// ```
pub trait RequiredPermissions: 'static {
    /// The permissions, all required.
    const PERMISSIONS: &'static [&'static str];
}

/// The permissions given to [`PermissionRequired::new`]: the type parameter
/// of the scope-wide form.
#[derive(Debug, Clone, Copy)]
pub enum Listed {}

/// Requires a logged-in user with every one of some permissions, in two
/// forms that answer alike:
///
/// * as an extractor, `PermissionRequired<P>` with the permissions named by
///   a [`RequiredPermissions`] type `P`: what
///   [`#[permission_required]`](crate::permission_required) stands for;
/// * as a middleware, `PermissionRequired::new(["admin"])`, wrapped around a
///   `web::scope` (or a resource, or the whole app): every route inside.
///
/// An anonymous request gets the [`unauthorized`](crate::unauthorized)
/// answer (a redirect to the login view with `next`), a logged-in user
/// without every permission the [`forbidden`] one (`403`), and a failing
/// [`PermissionLoader`] a `500` that keeps the session. An `OPTIONS` request
/// is answered `200` without running the handler when the login guards
/// exempt it (see
/// [`exempt_options`](crate::LoginManagerBuilder::exempt_options)).
///
/// ```
/// use actix_login::PermissionRequired;
/// use actix_web::{web, App};
///
/// let app = App::new().service(
///     web::scope("/admin")
///         .wrap(PermissionRequired::new(["admin"]))
///         .route("/users", web::get().to(|| async { "every user" })),
/// );
/// # let _ = app;
/// ```
pub struct PermissionRequired<P = Listed> {
    /// The permissions given to `new`; `None` in the extractor form, where
    /// `P` names them.
    listed: Option<Arc<[String]>>,
    required: PhantomData<fn() -> P>,
}

impl<P> Clone for PermissionRequired<P> {
    fn clone(&self) -> Self {
        PermissionRequired {
            listed: self.listed.clone(),
            required: PhantomData,
        }
    }
}

impl<P> std::fmt::Debug for PermissionRequired<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PermissionRequired")
            .field(&self.listed)
            .finish()
    }
}

impl PermissionRequired {
    /// The scope-wide form: a middleware that lets through only users with
    /// every one of `permissions`.
    pub fn new<I>(permissions: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        PermissionRequired {
            listed: Some(permissions.into_iter().map(Into::into).collect()),
            required: PhantomData,
        }
    }
}

impl<P: RequiredPermissions> FromRequest for PermissionRequired<P> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            require(&req, P::PERMISSIONS.iter().copied()).await?;
            Ok(PermissionRequired {
                listed: None,
                required: PhantomData,
            })
        })
    }
}

impl<S, B> Transform<S, ServiceRequest> for PermissionRequired
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = PermissionMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(PermissionMiddleware {
            service: Rc::new(service),
            permissions: self.listed.clone().unwrap_or_else(|| Arc::new([])),
        }))
    }
}

/// The service [`PermissionRequired::new`] wraps around a scope's services.
pub struct PermissionMiddleware<S> {
    service: Rc<S>,
    permissions: Arc<[String]>,
}

impl<S, B> Service<ServiceRequest> for PermissionMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let permissions = self.permissions.clone();
        Box::pin(async move {
            match require(req.request(), permissions.iter().map(String::as_str)).await {
                Ok(()) => Ok(service.call(req).await?.map_into_left_body()),
                // Answered here, as a handler's extractor error would be:
                // the response carries the error for outer middleware.
                Err(refused) => Ok(req.error_response(refused).map_into_right_body()),
            }
        })
    }
}
