//! Attribute macros of [actix-login](https://docs.rs/actix-login):
//! `#[login_required]`, `#[fresh_login_required]`, `#[anonymous_required]`,
//! `#[permission_required]` and `#[user_loader]`.
//!
//! Use them through `actix_login`, which re-exports them; this crate only
//! parses and rewrites, and every piece of behaviour lives in `actix_login`:
//!
//! - `#[login_required]`, `#[fresh_login_required]` and
//!   `#[anonymous_required]` add the extractor `actix_login::LoginRequired`
//!   (or `FreshLoginRequired`, `AnonymousRequired`) as the handler's first
//!   argument;
//! - `#[permission_required("a", ..)]` adds
//!   `actix_login::PermissionRequired<P>`, with a hidden unit struct `P`
//!   beside the handler naming the permissions;
//! - `#[user_loader]` turns an `async fn` (or a plain `fn`) into a unit struct implementing
//!   `actix_login::UserLoader`.
//!
//! Errors are reported at the offending part of your code, and the annotated
//! item is kept as written beside them, so that one mistake does not cascade
//! into "cannot find function" errors.
//!
//! The generated code names `::actix_login`; when `actix_login` is only
//! reachable under another path (through a re-export), give it with
//! `crate = "path"`, as in `#[login_required(crate = "my_web::actix_login")]`.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod guard;
mod loader;
mod parse;
mod permission;

/// Restricts an actix-web handler to logged-in users: Flask-Login's
/// `@login_required`.
///
/// An anonymous request is answered with the login manager's "unauthorized"
/// response: a redirect to the login view when one is configured, with the
/// page asked for in `next`, otherwise `401 Unauthorized` (or the custom
/// unauthorized handler's response). `OPTIONS` requests pass, as in
/// Flask-Login 0.4 and later (not in the 0.2.4 profile), so CORS preflights
/// work.
///
/// # Syntax
///
/// ```text
/// #[login_required]
/// #[login_required(crate = "path::to::actix_login")]
/// ```
///
/// on an `async fn` handler, above or below actix-web's route attributes
/// (`#[get("/")]`, `#[route(..)]`, `#[routes]`...).
///
/// # Notes
///
/// - The macro inserts `__actix_login_guard: ::actix_login::LoginRequired` as
///   the **first** argument. actix-web extracts arguments in order and stops
///   at the first failure, so the login check runs before any other
///   extractor, and a request body is not read for an anonymous user. As
///   actix-web handlers take at most 16 arguments, a guarded handler can take
///   15.
/// - Nothing else about the function changes: attributes, doc comments,
///   visibility, generics, where clause, return type and body are kept, so it
///   can return anything a handler can (`impl Responder`, `HttpResponse`,
///   `Result<_, E>`, `&'static str`...) and use `return` and `?` freely.
/// - The same check is available without the macro: take
///   `_: actix_login::LoginRequired` as the first argument.
/// - Errors: the function must be `async` and must not take `self`; the only
///   argument is `crate = "..."`.
///
/// # Examples
///
/// ```
/// use actix_login::login_required;
/// use actix_web::{get, web, HttpResponse, Responder};
///
/// #[get("/settings")]
/// #[login_required]
/// async fn settings() -> impl Responder {
///     HttpResponse::Ok().body("your settings")
/// }
///
/// /// Attribute order does not matter, and `web::to` works too.
/// #[login_required]
/// async fn delete(path: web::Path<u32>) -> Result<&'static str, actix_web::Error> {
///     if path.into_inner() == 0 {
///         return Err(actix_web::error::ErrorBadRequest("no item 0"));
///     }
///     Ok("deleted")
/// }
///
/// let app = actix_web::App::new()
///     .service(settings)
///     .route("/items/{id}", web::delete().to(delete));
/// # drop(app);
/// ```
#[proc_macro_attribute]
pub fn login_required(args: TokenStream, item: TokenStream) -> TokenStream {
    guard::expand(guard::Guard::Login, args.into(), item.into()).into()
}

/// Restricts an actix-web handler to users whose login is fresh: Flask-Login's
/// `@fresh_login_required`.
///
/// A login is fresh when it was made in this session by `login_user`: not
/// restored from the remember-me cookie, not downgraded by session
/// protection, and not older than the manager's `fresh_max_age` when one is
/// set. An anonymous request gets the "unauthorized" response as with
/// [`macro@login_required`]; a logged-in user whose login is not fresh gets
/// the "needs refresh" response: a redirect to the refresh view when one is
/// configured, otherwise `401 Unauthorized` (`403 Forbidden` in the 0.2.4
/// profile). `OPTIONS` requests pass as with [`macro@login_required`].
///
/// Use it for sensitive pages: changing a password or an e-mail address.
///
/// # Syntax
///
/// ```text
/// #[fresh_login_required]
/// #[fresh_login_required(crate = "path::to::actix_login")]
/// ```
///
/// on an `async fn` handler, above or below actix-web's route attributes.
///
/// # Notes
///
/// The rewrite is the one of [`macro@login_required`], with the extractor
/// `actix_login::FreshLoginRequired`: it becomes the handler's first argument
/// and everything else about the function is kept.
///
/// # Examples
///
/// ```
/// use actix_login::fresh_login_required;
/// use actix_web::{post, web, HttpResponse};
///
/// # #[derive(serde::Deserialize)] struct NewPassword { password: String }
/// #[post("/password")]
/// #[fresh_login_required]
/// async fn change_password(form: web::Form<NewPassword>) -> HttpResponse {
///     // The form is read only after the freshness check has passed.
///     let _ = &form.password;
///     HttpResponse::NoContent().finish()
/// }
/// # let app = actix_web::App::new().service(change_password);
/// ```
#[proc_macro_attribute]
pub fn fresh_login_required(args: TokenStream, item: TokenStream) -> TokenStream {
    guard::expand(guard::Guard::FreshLogin, args.into(), item.into()).into()
}

/// Restricts an actix-web handler to visitors who are **not** logged in: for
/// login and registration pages.
///
/// A logged-in user is redirected (`303 See Other`) to the manager's
/// `anonymous_required_redirect` (default `/`). Flask-Login has no such
/// decorator; it is the common hand-written one.
///
/// # Syntax
///
/// ```text
/// #[anonymous_required]
/// #[anonymous_required(crate = "path::to::actix_login")]
/// ```
///
/// on an `async fn` handler, above or below actix-web's route attributes.
///
/// # Notes
///
/// The rewrite is the one of [`macro@login_required`], with the extractor
/// `actix_login::AnonymousRequired` as the handler's first argument.
///
/// # Examples
///
/// ```
/// use actix_login_macros::anonymous_required;
/// use actix_web::get;
///
/// #[get("/register")]
/// #[anonymous_required]
/// async fn register() -> &'static str {
///     "sign up"
/// }
/// # let app = actix_web::App::new().service(register);
/// ```
#[proc_macro_attribute]
pub fn anonymous_required(args: TokenStream, item: TokenStream) -> TokenStream {
    guard::expand(guard::Guard::Anonymous, args.into(), item.into()).into()
}

/// Restricts an actix-web handler to logged-in users with every one of the
/// given permissions: axum-login's `permission_required!`, as an attribute.
///
/// The user's permissions come from the `PermissionLoader` given to the
/// login manager (`.permissions(Permissions::new(loader))`), loaded once per
/// request. An anonymous request gets the "unauthorized" answer, as with
/// [`macro@login_required`] (a redirect to the login view with `next`); a
/// logged-in user without every permission gets the "forbidden" one (`403`,
/// or the manager's forbidden handler, or JSON for API clients);
/// `OPTIONS` requests are answered as by [`macro@login_required`].
///
/// # Syntax
///
/// ```text
/// #[permission_required("notes.write")]
/// #[permission_required("notes.write", "notes.publish")]
/// #[permission_required("admin", crate = "path::to::actix_login")]
/// ```
///
/// on an `async fn` handler, above or below actix-web's route attributes.
///
/// # Notes
///
/// - The macro writes a hidden unit struct beside the handler, named after
///   it, implementing `actix_login::RequiredPermissions` with the
///   permissions, and inserts `__actix_login_guard:
///   ::actix_login::PermissionRequired<that struct>` as the **first**
///   argument; everything else about the function is kept, as with
///   [`macro@login_required`].
/// - Because of that struct, it works on free functions (as actix-web's route
///   macros do), not on associated functions in an `impl` block: there, take
///   `actix_login::PermissionRequired<P>` as an argument, with a
///   `RequiredPermissions` type `P` of your own.
/// - Errors: at least one permission, each a non-empty string; the function
///   must be `async` and must not take `self`.
///
/// # Examples
///
/// ```
/// use actix_login::permission_required;
/// use actix_web::{post, web, HttpResponse};
///
/// #[post("/notes")]
/// #[permission_required("notes.write")]
/// async fn new_note(body: String) -> HttpResponse {
///     HttpResponse::Created().body(body)
/// }
///
/// /// Several permissions: all are required.
/// #[permission_required("notes.write", "notes.publish")]
/// async fn publish(path: web::Path<u32>) -> String {
///     format!("published {path}")
/// }
///
/// let app = actix_web::App::new()
///     .service(new_note)
///     .route("/notes/{id}/publish", web::post().to(publish));
/// # drop(app);
/// ```
#[proc_macro_attribute]
pub fn permission_required(args: TokenStream, item: TokenStream) -> TokenStream {
    permission::expand(args.into(), item.into()).into()
}

/// Turns an `async fn` — or a plain `fn` — into the login manager's user
/// loader: Flask-Login's `@login_manager.user_loader`.
///
/// The function receives the id stored in the session (or the remember-me
/// cookie) and returns the user, or `None` when the id no longer names one:
/// the request is then anonymous. An `Err` answers the request with
/// `500 Internal Server Error` and leaves the session as it was.
///
/// # Syntax
///
/// ```text
/// #[user_loader]
/// #[user_loader(crate = "path::to::actix_login")]
/// async fn NAME(id: &str, EXTRACTORS...) -> Option<User>
/// async fn NAME(id: String, EXTRACTORS...) -> Result<Option<User>, E>
/// fn NAME(id: &str, EXTRACTORS...) -> Option<User>
/// ```
///
/// - The first argument is the id, as `&str`, `String` or any type that
///   `&str` converts into.
/// - Every further argument is extracted from the request with actix-web's
///   `FromRequest`, as a handler's would be: `web::Data<Pool>`,
///   `HttpRequest`... An extractor that fails makes the load fail (`500`).
/// - The return type is `Option<U>` or `Result<Option<U>, E>`, where `U`
///   implements `actix_login::User` and `E` converts into
///   `actix_login::LoaderError` (any `Display + Debug` error does).
///
/// # Notes
///
/// - `NAME` becomes a unit struct (`Debug`, `Clone`, `Copy`, `Default`) with
///   the function's visibility and doc comments, implementing
///   `actix_login::UserLoader`; pass it to `LoginManager::builder(NAME, secret)`. The
///   function itself is kept whole inside the impl, so it can no longer be
///   called directly: call `UserLoader::load_user` on the struct instead.
/// - `#[cfg(..)]` attributes apply to the struct and the impl; the other
///   attributes stay on the function.
/// - A plain `fn` suits loaders that never wait (an in-memory map, a
///   synchronous cache). Anything that waits (a database over the network)
///   belongs in an `async fn`, or it blocks the worker.
/// - Errors: the function must be free (no `self`), not generic, take the id
///   first and have a return type.
///
/// # Examples
///
/// ```
/// use actix_login::{user_loader, LoginManager, User};
/// use actix_web::web;
/// use std::collections::HashMap;
///
/// #[derive(Clone)]
/// struct Account { id: String, name: String }
///
/// impl User for Account {
///     fn get_id(&self) -> String { self.id.clone() }
/// }
///
/// /// Accounts are kept in app data.
/// #[user_loader]
/// async fn load_user(id: &str, accounts: web::Data<HashMap<String, Account>>) -> Option<Account> {
///     accounts.get(id).cloned()
/// }
///
/// let manager = LoginManager::builder(load_user, "change me").build();
/// # drop(manager);
/// ```
///
/// With a fallible store:
///
/// ```
/// use actix_login::{user_loader, User};
///
/// # #[derive(Clone)] struct Account { id: u64 }
/// # impl User for Account { fn get_id(&self) -> String { self.id.to_string() } }
/// #[derive(Debug)]
/// struct DbError;
///
/// impl std::fmt::Display for DbError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("database unreachable")
///     }
/// }
///
/// #[user_loader]
/// async fn load_account(id: String) -> Result<Option<Account>, DbError> {
///     let Ok(id) = id.parse() else { return Ok(None) };
///     Ok(Some(Account { id }))
/// }
/// ```
///
/// Without waiting:
///
/// ```
/// use actix_login::{user_loader, User};
///
/// # #[derive(Clone)] struct Account { id: u64 }
/// # impl User for Account { fn get_id(&self) -> String { self.id.to_string() } }
/// #[user_loader]
/// fn load_builtin(id: &str) -> Option<Account> {
///     (id == "0").then_some(Account { id: 0 })
/// }
/// ```
#[proc_macro_attribute]
pub fn user_loader(args: TokenStream, item: TokenStream) -> TokenStream {
    loader::expand(args.into(), item.into()).into()
}
