//! The pages: handlers, the user loader and the templates.
//!
//! Templates are rendered with MiniJinja. Why MiniJinja rather than Askama:
//! its syntax is Jinja2's, so the templates read like the Flask-Login apps
//! this library is ported from; templates are plain files a reader can copy
//! and edit without touching Rust types (they are still compiled into the
//! binary with `include_str!`, so the app needs no files at run time); it
//! escapes HTML automatically for `.html` templates; and it adds no
//! proc-macro to the build. A template error is a 500 at run time, which the
//! unit test below and the browser test catch.

use std::collections::HashSet;

use actix_login::{
    confirm_login, flash, fresh_login_required, get_flashed_messages, has_perm, login_fresh,
    login_remembered, login_required, login_url, login_user, logout_user, permission_required,
    safe_next, user_loader, CurrentUser, LoaderError, LoginOptions, PermissionLoader,
};
use actix_web::{
    error::ErrorInternalServerError,
    get,
    http::{header, StatusCode},
    post, web, HttpRequest, HttpResponse,
};
use minijinja::{context, Environment, Value};
use serde::Deserialize;

use super::{
    csrf,
    db::{Account, Db},
    throttle::{self, Throttled},
};

/// The templates, parsed once at startup.
pub(crate) type Templates = web::Data<Environment<'static>>;

const TEMPLATES: [(&str, &str); 8] = [
    ("base.html", include_str!("templates/base.html")),
    ("home.html", include_str!("templates/home.html")),
    ("login.html", include_str!("templates/login.html")),
    ("members.html", include_str!("templates/members.html")),
    (
        "reauthenticate.html",
        include_str!("templates/reauthenticate.html"),
    ),
    ("settings.html", include_str!("templates/settings.html")),
    ("admin.html", include_str!("templates/admin.html")),
    ("not_found.html", include_str!("templates/not_found.html")),
];

const STYLE: &str = include_str!("static/style.css");

/// The template environment, with every built-in template added.
///
/// # Panics
///
/// When a built-in template does not parse (caught by the unit test).
pub(crate) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        if let Err(err) = env.add_template(name, source) {
            panic!("built-in template {name} does not parse: {err:#}");
        }
    }
    env
}

/// Loads the user whose id the session or the remember cookie carries.
#[user_loader]
pub(crate) async fn load_user(
    id: &str,
    db: web::Data<Db>,
) -> Result<Option<Account>, rusqlite::Error> {
    match id.parse::<i64>() {
        Ok(id) => db.by_id(id),
        Err(_) => Ok(None),
    }
}

/// The users' permissions, for the login manager
/// (`.permissions(Permissions::new(Perms))`): the `permissions` table.
/// Asked at most once per request, at the first check
/// (`#[permission_required]`, `has_perm`), never for anonymous requests.
pub(crate) struct Perms;

impl PermissionLoader for Perms {
    type User = Account;
    type Permission = String;

    async fn user_permissions(
        &self,
        user: &Account,
        req: &HttpRequest,
    ) -> Result<HashSet<String>, LoaderError> {
        let db = req
            .app_data::<web::Data<Db>>()
            .ok_or("the database is not registered as app data")?;
        Ok(db.permissions_of(user.id)?)
    }
}

/// What a logged-in user without the permission a page needs gets: `403`,
/// on a page that says so (the library's default is a bare `403
/// Forbidden`).
pub(crate) fn forbidden_page(_req: &HttpRequest) -> HttpResponse {
    HttpResponse::Forbidden()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <title>403 Forbidden · actix-login demo</title>\
             <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main>\
             <h1>403 Forbidden</h1><p id=\"forbidden\">Your account does not have the \
             permission this page needs.</p><p><a href=\"/\">Home</a></p></main></body></html>",
        )
}

/// The routes, for `App::configure`.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(home)
        .service(members)
        .service(login_form)
        .service(login)
        .service(reauthenticate_form)
        .service(reauthenticate)
        .service(settings_form)
        .service(settings)
        .service(admin)
        .service(logout_everywhere)
        .service(logout)
        .service(style)
        .default_service(web::to(not_found));
}

/// The host this request was sent to (`Host` header, else the URI's
/// authority), for [`safe_next`]. The `X-Forwarded-Host` header is not
/// used: behind a proxy that rewrites `Host`, configure the proxy to keep it.
fn this_host(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}

/// Where to go after a login or a re-authentication: `next` when it keeps
/// the user on this site, else `fallback`. Never an open redirect.
fn next_or(req: &HttpRequest, next: Option<&str>, fallback: &str) -> String {
    next.filter(|n| !n.is_empty())
        .and_then(|n| safe_next(n, this_host(req)))
        .unwrap_or_else(|| fallback.to_owned())
}

/// `303 See Other`: after a POST, the browser GETs the new page.
fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A form page that sends the user back to itself with `next` kept (only a
/// safe one).
fn back_to(req: &HttpRequest, page: &str, next: Option<&str>) -> HttpResponse {
    let next = next
        .filter(|n| !n.is_empty())
        .and_then(|n| safe_next(n, this_host(req)));
    see_other(&login_url(page, next.as_deref(), "next"))
}

/// Renders a page with what every page shows: the current user, freshness,
/// whether to link the admin page (`has_perm`: the user's permissions are
/// loaded once per request, on this first check), the flashed messages, and
/// the CSRF token when the page has a form (the logout button counts).
async fn render(
    req: &HttpRequest,
    env: &Environment<'_>,
    current: &CurrentUser<Account>,
    name: &str,
    has_form: bool,
    extra: Value,
) -> actix_web::Result<HttpResponse> {
    let account = current.user().filter(|_| current.is_authenticated());
    let csrf_token = if has_form || account.is_some() {
        Some(csrf::token(req)?)
    } else {
        None
    };
    let is_admin = account.is_some() && has_perm(req, "admin").await?;
    let flashes: Vec<Value> = get_flashed_messages(req)
        .into_iter()
        .map(|(category, message)| context! { category, message })
        .collect();
    let ctx = context! {
        user => account.map(|a| context! {
            id => a.id,
            username => a.username.clone(),
            display_name => a.display_name.clone(),
        }),
        is_admin,
        fresh => login_fresh(req)?,
        remembered => login_remembered(req)?,
        flashes,
        csrf_token,
        ..extra
    };
    let html = env
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|err| {
            eprintln!("template {name}: {err:#}");
            ErrorInternalServerError("template error")
        })?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(html))
}

/// A form page again, answered `429 Too Many Requests` with `Retry-After`
/// and the throttle's message: the password was not checked.
async fn too_many(
    req: &HttpRequest,
    env: &Environment<'_>,
    current: &CurrentUser<Account>,
    name: &str,
    extra: Value,
    throttled: &Throttled,
) -> actix_web::Result<HttpResponse> {
    flash(req, &throttled.message, "error");
    let mut res = render(req, env, current, name, true, extra).await?;
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let (name, value) = throttled.header();
    res.headers_mut().insert(name, value);
    Ok(res)
}

#[derive(Debug, Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[get("/")]
async fn home(
    req: HttpRequest,
    env: Templates,
    current: CurrentUser<Account>,
) -> actix_web::Result<HttpResponse> {
    let ctx = context! {
        user_id => current.get_id(),
        is_authenticated => current.is_authenticated(),
        is_anonymous => current.is_anonymous(),
    };
    render(&req, &env, &current, "home.html", false, ctx).await
}

/// Behind `#[login_required]`: anonymous visitors are sent to `/login` with
/// `next=/members` and a flashed message.
#[get("/members")]
#[login_required]
async fn members(
    req: HttpRequest,
    env: Templates,
    current: CurrentUser<Account>,
) -> actix_web::Result<HttpResponse> {
    render(&req, &env, &current, "members.html", false, context! {}).await
}

#[get("/login")]
async fn login_form(
    req: HttpRequest,
    env: Templates,
    current: CurrentUser<Account>,
    query: web::Query<NextQuery>,
) -> actix_web::Result<HttpResponse> {
    // Only a safe `next` goes into the form.
    let next = query
        .next
        .as_deref()
        .filter(|n| !n.is_empty())
        .and_then(|n| safe_next(n, this_host(&req)));
    render(&req, &env, &current, "login.html", true, context! { next }).await
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    /// The "remember me" checkbox: present only when ticked.
    remember: Option<String>,
    next: Option<String>,
}

#[post("/login")]
async fn login(
    req: HttpRequest,
    env: Templates,
    current: CurrentUser<Account>,
    db: web::Data<Db>,
    form: web::Form<LoginForm>,
) -> actix_web::Result<HttpResponse> {
    let LoginForm {
        username,
        password,
        remember,
        next,
    } = form.into_inner();
    let username = username.trim();
    // Counted before Argon2 runs: a throttled guess costs no hash.
    if let Some(throttled) = throttle::check(&req, &db, username)? {
        let next = next
            .as_deref()
            .filter(|n| !n.is_empty())
            .and_then(|n| safe_next(n, this_host(&req)));
        let ctx = context! { next };
        return too_many(&req, &env, &current, "login.html", ctx, &throttled).await;
    }
    let account = db.by_username(username).map_err(ErrorInternalServerError)?;
    // Argon2 is slow on purpose: verified on the blocking pool, not on the
    // async worker, and at most a few at once (503 when the line is too
    // long: `hash_limit.rs`).
    let account = db.check_credentials(account, password).await?;
    let Some(account) = account else {
        flash(&req, "Invalid username or password.", "error");
        return Ok(back_to(&req, "/login", next.as_deref()));
    };
    let name = account.display_name.clone();
    if !login_user(
        &req,
        account,
        LoginOptions::new().remember(remember.is_some()),
    )? {
        flash(&req, "This account is disabled.", "error");
        return Ok(back_to(&req, "/login", next.as_deref()));
    }
    throttle::succeeded(&db, username)?;
    csrf::rotate(&req);
    flash(&req, &format!("Logged in as {name}."), "success");
    Ok(see_other(&next_or(&req, next.as_deref(), "/")))
}

/// The refresh view: a logged-in user whose login is not fresh (restored
/// from the remember cookie) confirms the password here.
#[get("/reauthenticate")]
#[login_required]
async fn reauthenticate_form(
    req: HttpRequest,
    env: Templates,
    current: CurrentUser<Account>,
    query: web::Query<NextQuery>,
) -> actix_web::Result<HttpResponse> {
    let next = query
        .next
        .as_deref()
        .filter(|n| !n.is_empty())
        .and_then(|n| safe_next(n, this_host(&req)));
    render(
        &req,
        &env,
        &current,
        "reauthenticate.html",
        true,
        context! { next },
    )
    .await
}

#[derive(Debug, Deserialize)]
struct ReauthenticateForm {
    password: String,
    next: Option<String>,
}

#[post("/reauthenticate")]
#[login_required]
async fn reauthenticate(
    req: HttpRequest,
    env: Templates,
    current: CurrentUser<Account>,
    db: web::Data<Db>,
    form: web::Form<ReauthenticateForm>,
) -> actix_web::Result<HttpResponse> {
    let ReauthenticateForm { password, next } = form.into_inner();
    let Some(account) = current.user().cloned() else {
        return Ok(see_other("/login"));
    };
    // A stolen remembered session must not get unlimited guesses here.
    if let Some(throttled) = throttle::check(&req, &db, &account.username)? {
        let next = next
            .as_deref()
            .filter(|n| !n.is_empty())
            .and_then(|n| safe_next(n, this_host(&req)));
        let ctx = context! { next };
        return too_many(&req, &env, &current, "reauthenticate.html", ctx, &throttled).await;
    }
    let hash = account.password_hash.clone();
    if !db.check_password(password, hash).await? {
        flash(&req, "Wrong password.", "error");
        return Ok(back_to(&req, "/reauthenticate", next.as_deref()));
    }
    throttle::succeeded(&db, &account.username)?;
    confirm_login(&req)?;
    flash(&req, "Password confirmed.", "success");
    Ok(see_other(&next_or(&req, next.as_deref(), "/settings")))
}

/// Behind `#[fresh_login_required]`: a login restored from the remember
/// cookie is sent to `/reauthenticate` first.
#[get("/settings")]
#[fresh_login_required]
async fn settings_form(
    req: HttpRequest,
    env: Templates,
    current: CurrentUser<Account>,
) -> actix_web::Result<HttpResponse> {
    render(&req, &env, &current, "settings.html", true, context! {}).await
}

#[derive(Debug, Deserialize)]
struct SettingsForm {
    display_name: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Behind `#[fresh_login_required]` (a password typed in this session, at
/// most `fresh_max_age` ago), and a new password also needs the current
/// one: a session taken over while fresh must not be enough to take the
/// account.
#[post("/settings")]
#[fresh_login_required]
async fn settings(
    req: HttpRequest,
    env: Templates,
    db: web::Data<Db>,
    current: CurrentUser<Account>,
    form: web::Form<SettingsForm>,
) -> actix_web::Result<HttpResponse> {
    let Some(account) = current.user().cloned() else {
        return Ok(see_other("/login"));
    };
    let SettingsForm {
        display_name,
        current_password,
        new_password,
    } = form.into_inner();
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > 60 {
        flash(
            &req,
            "The display name must have 1 to 60 characters.",
            "error",
        );
        return Ok(see_other("/settings"));
    }
    if !new_password.is_empty() && new_password.chars().count() < 8 {
        flash(
            &req,
            "The new password must have at least 8 characters.",
            "error",
        );
        return Ok(see_other("/settings"));
    }
    if !new_password.is_empty() {
        if current_password.is_empty() {
            flash(
                &req,
                "Enter your current password to change it. Nothing was saved.",
                "error",
            );
            return Ok(see_other("/settings"));
        }
        if let Some(throttled) = throttle::check(&req, &db, &account.username)? {
            return too_many(
                &req,
                &env,
                &current,
                "settings.html",
                context! {},
                &throttled,
            )
            .await;
        }
        let hash = account.password_hash.clone();
        if !db.check_password(current_password, hash).await? {
            flash(
                &req,
                "The current password is wrong. Nothing was saved.",
                "error",
            );
            return Ok(see_other("/settings"));
        }
        throttle::succeeded(&db, &account.username)?;
    }
    // Hashed before anything is saved: a 503 (too many hashes at once)
    // leaves the settings as they were.
    let new_hash = if new_password.is_empty() {
        None
    } else {
        Some(db.hash_password(new_password).await?)
    };
    db.set_display_name(account.id, display_name)
        .map_err(ErrorInternalServerError)?;
    if let Some(hash) = new_hash {
        db.set_password_hash(account.id, &hash)
            .map_err(ErrorInternalServerError)?;
        // The user's session auth hash changed: every other session of this
        // user ends, and older remember cookies stop working. Log this
        // session in again so it stays, with a new remember cookie if it
        // had one.
        let updated = db
            .by_id(account.id)
            .map_err(ErrorInternalServerError)?
            .ok_or_else(|| ErrorInternalServerError("account vanished"))?;
        let remember = login_remembered(&req)?;
        login_user(&req, updated, LoginOptions::new().remember(remember))?;
        flash(
            &req,
            "Password changed. Your other sessions have been logged out.",
            "success",
        );
    }
    flash(&req, "Settings saved.", "success");
    Ok(see_other("/settings"))
}

/// "Log out everywhere": bumps the account's session epoch, which
/// `User::session_auth_hash` covers, so every other session of the user
/// ends and every remember cookie issued before stops working (this one's
/// too). This session is logged in again with the new hash, with a new
/// remember cookie if it had one. For a lost phone, a shared computer, a
/// cookie that may have leaked.
#[post("/logout-everywhere")]
#[fresh_login_required]
async fn logout_everywhere(
    req: HttpRequest,
    db: web::Data<Db>,
    current: CurrentUser<Account>,
) -> actix_web::Result<HttpResponse> {
    let Some(account) = current.into_user() else {
        return Ok(see_other("/login"));
    };
    db.bump_session_epoch(account.id)
        .map_err(ErrorInternalServerError)?;
    let updated = db
        .by_id(account.id)
        .map_err(ErrorInternalServerError)?
        .ok_or_else(|| ErrorInternalServerError("account vanished"))?;
    let remember = login_remembered(&req)?;
    login_user(&req, updated, LoginOptions::new().remember(remember))?;
    flash(
        &req,
        "You have been logged out everywhere else: your other sessions and \
         every \"remember me\" cookie issued before no longer work.",
        "success",
    );
    Ok(see_other("/settings"))
}

/// Behind `#[permission_required("admin")]`: anonymous visitors are sent to
/// `/login?next=%2Fadmin`, logged-in users without `admin` get
/// [`forbidden_page`] (`403`).
#[get("/admin")]
#[permission_required("admin")]
async fn admin(
    req: HttpRequest,
    env: Templates,
    db: web::Data<Db>,
    current: CurrentUser<Account>,
) -> actix_web::Result<HttpResponse> {
    let mut accounts = Vec::new();
    for account in db.accounts().map_err(ErrorInternalServerError)? {
        let mut permissions: Vec<String> = db
            .permissions_of(account.id)
            .map_err(ErrorInternalServerError)?
            .into_iter()
            .collect();
        permissions.sort();
        accounts.push(context! {
            username => account.username,
            display_name => account.display_name,
            active => account.active,
            permissions,
        });
    }
    render(
        &req,
        &env,
        &current,
        "admin.html",
        false,
        context! { accounts },
    )
    .await
}

/// Logout is a POST (with the CSRF token): a GET link could be triggered by
/// any other site.
#[post("/logout")]
async fn logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    logout_user(&req).await?;
    csrf::rotate(&req);
    flash(&req, "You have been logged out.", "info");
    Ok(see_other("/"))
}

#[get("/static/style.css")]
async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLE)
}

async fn not_found(
    req: HttpRequest,
    env: Templates,
    current: CurrentUser<Account>,
) -> actix_web::Result<HttpResponse> {
    let mut res = render(&req, &env, &current, "not_found.html", false, context! {}).await?;
    *res.status_mut() = actix_web::http::StatusCode::NOT_FOUND;
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders() {
        let env = templates();
        let user = context! { id => 1, username => "alice", display_name => "Alice <3" };
        for (name, _) in TEMPLATES {
            let html = env
                .get_template(name)
                .unwrap()
                .render(context! {
                    user => user.clone(),
                    fresh => true,
                    remembered => false,
                    flashes => vec![context! { category => "info", message => "<b>hi</b>" }],
                    csrf_token => "t0ken",
                    next => "/members",
                    user_id => "1",
                    is_authenticated => true,
                    is_anonymous => false,
                    is_admin => true,
                    accounts => vec![context! {
                        username => "alice",
                        display_name => "Alice <3",
                        active => true,
                        permissions => vec!["admin"],
                    }],
                })
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            if name != "base.html" {
                // MiniJinja also escapes `/`, as `&#x2f;`.
                assert!(
                    html.contains("&lt;b&gt;hi&lt;") && !html.contains("<b>"),
                    "{name} escapes flashes"
                );
                assert!(
                    html.contains("Alice &lt;3"),
                    "{name} escapes the user's name"
                );
            }
        }
    }
}
