//! Signals (reference §1.8 and the signal tests of §5): which one, how many
//! times, with which user, and which requests send none.

use crate::common::*;
use actix_login::{SessionProtection, Signal};
use actix_web::http::StatusCode;

async fn recorded(
    hook: impl FnOnce(
        actix_login::LoginManagerBuilder<TestUser>,
    ) -> actix_login::LoginManagerBuilder<TestUser>,
) -> (
    Client<
        impl actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
    >,
    Signals,
) {
    let signals = Signals::default();
    let s = signals.clone();
    let c = client_with(move |b| s.subscribe(hook(b))).await;
    (c, signals)
}

fn notch(signal: Signal) -> (Signal, Option<String>) {
    (signal, Some("Notch".to_owned()))
}

/// Upstream `test_login_user_emits_signal`.
#[actix_web::test]
async fn login_user_sends_logged_in_with_the_user() {
    let (mut c, signals) = recorded(|b| b).await;
    c.get("/login-notch").await;
    assert_eq!(signals.take(), vec![notch(Signal::LoggedIn)]);
}

#[actix_web::test]
async fn refused_login_sends_nothing() {
    let (mut c, signals) = recorded(|b| b).await;
    assert_eq!(c.body("/login-as/3").await, "False");
    assert_eq!(signals.take(), vec![]);
}

/// Upstream `test_logout_emits_signal`.
#[actix_web::test]
async fn logout_user_sends_logged_out_with_the_user() {
    let (mut c, signals) = recorded(|b| b).await;
    c.get("/login-notch").await;
    signals.clear();
    c.get("/logout").await;
    assert_eq!(
        signals.take(),
        vec![(Signal::Accessed, None), notch(Signal::LoggedOut)]
    );
}

/// Upstream `test_logout_without_current_user`: 0.6.3 sends `logged-out`
/// even when nobody was logged in.
#[actix_web::test]
async fn logout_without_a_user_still_sends_logged_out() {
    let (mut c, signals) = recorded(|b| b).await;
    c.get("/logout").await;
    assert_eq!(
        signals.take(),
        vec![(Signal::Accessed, None), (Signal::LoggedOut, None)]
    );
}

/// Upstream `test_user_loaded_from_cookie_fired`.
#[actix_web::test]
async fn restoring_from_the_remember_cookie_sends_loaded_from_cookie_once() {
    let (mut c, signals) = recorded(|b| b).await;
    c.get("/login-notch-remember").await;
    c.clear_session();
    signals.clear();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(
        signals.take(),
        vec![(Signal::Accessed, None), notch(Signal::LoadedFromCookie)]
    );
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(signals.take(), vec![(Signal::Accessed, None)]);
}

#[actix_web::test]
async fn invalid_or_orphaned_remember_cookie_sends_no_loaded_from_cookie() {
    let (mut c, signals) = recorded(|b| b).await;
    c.set_remember("1|deadbeef");
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(signals.count(Signal::LoadedFromCookie), 0);
    // A valid cookie whose user is gone.
    c.users.forget("2");
    c.set_remember(&signed("2"));
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(signals.count(Signal::LoadedFromCookie), 0);
}

/// Upstream `test_user_loaded_from_request_fired`.
#[actix_web::test]
async fn request_loader_sends_loaded_from_request() {
    let (mut c, signals) = recorded(|b| b.request_loader(QueryLoader)).await;
    assert_eq!(c.body("/username?user_id=1").await, "Notch");
    assert_eq!(
        signals.take(),
        vec![(Signal::Accessed, None), notch(Signal::LoadedFromRequest)]
    );
    assert_eq!(c.body("/username?user_id=9000").await, "Anonymous");
    assert_eq!(signals.take(), vec![(Signal::Accessed, None)]);
}

/// Upstream `test_user_login_confirmed_signal_fired` (anonymous, as
/// upstream fires it).
#[actix_web::test]
async fn confirm_login_sends_login_confirmed() {
    let (mut c, signals) = recorded(|b| b).await;
    c.get("/confirm-login").await;
    assert_eq!(signals.take(), vec![(Signal::LoginConfirmed, None)]);
}

/// Upstream `test_unauthorized_fires_unauthorized_signal`.
#[actix_web::test]
async fn unauthorized_sends_unauthorized_once() {
    let (mut c, signals) = recorded(|b| b).await;
    assert_eq!(c.get("/secret").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(signals.take(), vec![(Signal::Unauthorized, None)]);
    assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signals.take(),
        vec![(Signal::Accessed, None), (Signal::Unauthorized, None)]
    );
}

/// Upstream `test_needs_refresh_fires_needs_refresh_signal`.
#[actix_web::test]
async fn needs_refresh_sends_needs_refresh_once() {
    let (mut c, signals) = recorded(|b| b).await;
    c.get("/needs-refresh").await;
    assert_eq!(signals.take(), vec![(Signal::NeedsRefresh, None)]);
    c.get("/login-as/1?fresh=0").await;
    signals.clear();
    assert_eq!(c.get("/fresh").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signals.take(),
        vec![(Signal::Accessed, None), (Signal::NeedsRefresh, None)]
    );
}

/// Upstream `test_requests_without_accessing_session`.
#[actix_web::test]
async fn only_requests_that_ask_for_the_user_load_it() {
    let (mut c, signals) = recorded(|b| b).await;
    c.get("/login-notch").await;
    signals.clear();
    let calls = c.users.calls();
    assert_eq!(c.body("/").await, "Welcome!");
    assert_eq!(signals.take(), vec![]);
    assert_eq!(c.users.calls(), calls, "the loader is not called");
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(signals.take(), vec![]);
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(signals.take(), vec![(Signal::Accessed, None)]);
    assert_eq!(c.users.calls(), calls + 1);
}

/// Upstream `StaticTestCase.test_static_loads_without_accessing_session`.
#[actix_web::test]
async fn not_found_requests_do_not_load_the_user() {
    let (mut c, signals) = recorded(|b| b).await;
    c.get("/login-notch").await;
    signals.clear();
    let calls = c.users.calls();
    let r = c.get("/static/favicon.ico").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.set_cookies().is_empty());
    assert_eq!(signals.take(), vec![]);
    assert_eq!(c.users.calls(), calls);
}

/// Upstream `test_session_protection_basic_fires_signal`,
/// `test_session_protection_strong_fires_signal_user_agent` and
/// `test_permanent_strong_session_protection_fires_signal`.
#[actix_web::test]
async fn session_protection_sends_session_protected_once_per_request() {
    for (mode, login, after) in [
        (SessionProtection::Basic, "/login-notch", "Notch"),
        (SessionProtection::Strong, "/login-notch", "Anonymous"),
        (SessionProtection::Strong, "/login-notch-permanent", "Notch"),
    ] {
        let (mut c, signals) = recorded(move |b| b.session_protection(mode)).await;
        c.get(login).await;
        signals.clear();
        assert_eq!(
            c.get_with_ua("/username", "different").await.body,
            after,
            "{mode:?} {login}"
        );
        assert_eq!(
            signals.take(),
            vec![(Signal::Accessed, None), (Signal::SessionProtected, None)],
            "{mode:?} {login}"
        );
    }
}

/// The parity scenario "signals full cycle", by request.
#[actix_web::test]
async fn a_full_cycle_sends_signals_in_order() {
    let (mut c, signals) = recorded(|b| b.login_view("/login").refresh_view("/refresh-view")).await;
    c.get("/protected").await;
    assert_eq!(signals.take_names(), vec!["accessed", "unauthorized"]);
    c.get("/login").await;
    assert_eq!(signals.take_names(), Vec::<&str>::new());
    c.get("/login-notch-remember").await;
    assert_eq!(signals.take_names(), vec!["logged-in"]);
    c.get("/protected").await;
    assert_eq!(signals.take_names(), vec!["accessed"]);
    c.clear_session();
    c.get("/fresh").await;
    assert_eq!(
        signals.take_names(),
        vec!["accessed", "loaded-from-cookie", "needs-refresh"]
    );
    c.get("/confirm-login").await;
    assert_eq!(signals.take_names(), vec!["login-confirmed"]);
    c.get("/fresh").await;
    assert_eq!(signals.take_names(), vec!["accessed"]);
    c.get("/logout").await;
    assert_eq!(signals.take_names(), vec!["accessed", "logged-out"]);
}

#[test]
fn signal_names_are_flask_logins() {
    let names: Vec<&str> = Signal::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        vec![
            "logged-in",
            "logged-out",
            "loaded-from-cookie",
            "loaded-from-request",
            "login-confirmed",
            "unauthorized",
            "needs-refresh",
            "session-protected",
            "accessed",
            "imported-from-flask"
        ]
    );
    assert_eq!(Signal::SessionProtected.to_string(), "session-protected");
}
