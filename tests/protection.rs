//! Session protection (reference §5.7, §1.6): the identifier of the client
//! (address and `User-Agent`) stored at login, and what basic and strong
//! protection do when it changes.

use std::net::{IpAddr, Ipv4Addr};

use crate::common::*;
use actix_login::{session_identifier, Profile, SessionProtection, Signal};
use actix_web::{http::StatusCode, test::TestRequest};

async fn protected_client(
    mode: SessionProtection,
    signals: &Signals,
) -> Client<
    impl actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
> {
    let s = signals.clone();
    client_with(move |b| s.subscribe(b.session_protection(mode))).await
}

/// Upstream `test_session_protection_basic_passes_successive_requests`.
#[actix_web::test]
async fn basic_protection_passes_successive_requests() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Basic, &signals).await;
    c.get("/login-notch-remember").await;
    for _ in 0..3 {
        let r = c.get("/username").await;
        assert_eq!(r.body, "Notch");
        assert!(
            r.set_cookies().is_empty(),
            "a steady request writes nothing: {:?}",
            r.set_cookies()
        );
    }
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
}

/// Upstream `test_session_protection_strong_passes_successive_requests`.
#[actix_web::test]
async fn strong_protection_passes_successive_requests() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Strong, &signals).await;
    c.get("/login-notch-remember").await;
    for _ in 0..3 {
        assert_eq!(c.body("/username").await, "Notch");
    }
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
}

/// Upstream `test_session_protection_basic_marks_session_unfresh` and
/// `test_session_protection_basic_fires_signal`.
#[actix_web::test]
async fn basic_protection_marks_the_login_stale_when_the_user_agent_changes() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Basic, &signals).await;
    c.get("/login-notch").await;
    signals.clear();
    let r = c.get_with_ua("/username", "different").await;
    assert_eq!(r.body, "Notch");
    assert_eq!(signals.take_names(), vec!["accessed", "session-protected"]);
    assert_eq!(c.body("/is-fresh").await, "False");
    // Still logged in for login_required, refused by fresh_login_required.
    assert_eq!(
        c.get_with_ua("/protected", "different").await.status,
        StatusCode::OK
    );
    assert_eq!(
        c.get_with_ua("/fresh", "different").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[actix_web::test]
async fn basic_protection_marks_the_login_stale_when_the_address_changes() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Basic, &signals).await;
    c.get("/login-notch").await;
    c.peer = "10.9.8.7:4000".parse().unwrap();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(signals.count(Signal::SessionProtected), 1);
    assert_eq!(c.body("/is-fresh").await, "False");
}

/// Upstream `test_session_protection_basic_skips_when_remember_me`.
#[actix_web::test]
async fn basic_protection_skips_a_session_restored_from_the_remember_cookie() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Basic, &signals).await;
    c.get("/login-notch-remember").await;
    c.clear_session();
    signals.clear();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
    // CHANGELOG "Fixed" (#685): the restore stores the identifier, so the
    // next request does not fire either.
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
}

/// Upstream `test_session_protection_strong_skips_when_remember_me`, and the
/// fix of #685: the user is not logged out on the second request.
#[actix_web::test]
async fn strong_protection_keeps_a_session_restored_from_the_remember_cookie() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Strong, &signals).await;
    c.get("/login-notch-remember").await;
    c.clear_session();
    signals.clear();
    assert_eq!(c.body("/username").await, "Notch");
    let r = c.get("/username").await;
    assert_eq!(r.body, "Notch");
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE),
        None,
        "the cookie is not deleted"
    );
    assert_eq!(c.body("/protected").await, "Access Granted");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
}

/// Upstream `test_permanent_strong_session_protection_marks_session_unfresh`
/// and `..._fires_signal`.
#[actix_web::test]
async fn strong_protection_on_a_permanent_session_only_marks_it_stale() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Strong, &signals).await;
    assert_eq!(c.body("/login-notch-permanent").await, "True");
    signals.clear();
    assert_eq!(c.get_with_ua("/username", "different").await.body, "Notch");
    assert_eq!(signals.count(Signal::SessionProtected), 1);
    assert_eq!(c.body("/is-fresh").await, "False");
}

#[actix_web::test]
async fn strong_protection_with_permanent_sessions_configured_only_marks_stale() {
    let signals = Signals::default();
    let s = signals.clone();
    let mut c = client_with(move |b| {
        s.subscribe(
            b.session_protection(SessionProtection::Strong)
                .permanent_sessions(true),
        )
    })
    .await;
    c.get("/login-notch").await;
    assert_eq!(c.get_with_ua("/username", "different").await.body, "Notch");
    assert_eq!(signals.count(Signal::SessionProtected), 1);
    assert_eq!(c.body("/is-fresh").await, "False");
}

/// Upstream `test_session_protection_strong_deletes_session` and
/// `test_session_protection_strong_fires_signal_user_agent`: the login is
/// dropped, the app's own session data stays.
#[actix_web::test]
async fn strong_protection_logs_out_but_keeps_the_apps_session_data() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Strong, &signals).await;
    c.get("/session/set?key=foo&value=%22bar%22").await;
    c.get("/login-notch").await;
    signals.clear();
    let r = c.get_with_ua("/username", "different").await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(signals.take_names(), vec!["accessed", "session-protected"]);
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE),
        None,
        "no remember cookie was sent (CHANGELOG Fixed, #538)"
    );
    assert_eq!(c.body("/session/get?key=foo").await, "\"bar\"");
    assert_eq!(c.body("/session/keys").await, "foo");
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn strong_protection_deletes_the_remember_cookie_the_request_carried() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Strong, &signals).await;
    c.get("/login-notch-remember").await;
    let r = c.get_with_ua("/username", "different").await;
    assert_eq!(r.body, "Anonymous");
    let deletion = r.set_cookie(REMEMBER_COOKIE).expect("deletion");
    assert!(deletion.is_deletion(), "{deletion:?}");
    assert_eq!(c.jar.get(REMEMBER_COOKIE), None);
    assert_eq!(
        c.get_with_ua("/username", "different").await.body,
        "Anonymous"
    );
    assert_eq!(c.body("/username").await, "Anonymous");
}

/// Upstream `test_session_protection_skip_when_off_and_anonymous` and
/// `..._basic_and_anonymous`.
#[actix_web::test]
async fn protection_skips_an_anonymous_empty_session() {
    for mode in [
        SessionProtection::Off,
        SessionProtection::Basic,
        SessionProtection::Strong,
    ] {
        let signals = Signals::default();
        let mut c = protected_client(mode, &signals).await;
        let r = c.get("/").await;
        assert_eq!(r.body, "Welcome!");
        assert_eq!(signals.count(Signal::Accessed), 0, "{mode:?}");
        let r = c.get("/username").await;
        assert_eq!(r.body, "Anonymous");
        assert!(
            r.set_cookies().is_empty(),
            "{mode:?}: the session stays empty: {:?}",
            r.set_cookies()
        );
        assert_eq!(signals.take_names(), vec!["accessed"], "{mode:?}");
        assert!(c.jar.is_empty());
    }
}

/// 0.6.3 (kept by the port): an anonymous session holding other data but no
/// identifier counts as changed.
#[actix_web::test]
async fn basic_protection_marks_an_anonymous_session_with_data_stale() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Basic, &signals).await;
    c.get("/session/set?key=foo&value=1").await;
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(signals.count(Signal::SessionProtected), 1);
    assert_eq!(c.body("/session/get?key=_fresh").await, "false");
    assert_eq!(c.body("/session/get?key=foo").await, "1");
}

#[actix_web::test]
async fn protection_off_ignores_a_changed_client() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Off, &signals).await;
    c.get("/login-notch").await;
    c.peer = "10.0.0.1:1".parse().unwrap();
    assert_eq!(c.get_with_ua("/username", "different").await.body, "Notch");
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
}

#[actix_web::test]
async fn login_stores_the_identifier_of_the_client() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Basic, &signals).await;
    c.get("/login-notch").await;
    let expected = session_identifier(
        Profile::V0_6_3,
        Some("127.0.0.1"),
        Some(USER_AGENT.as_bytes()),
    );
    assert_eq!(
        c.body("/session/get?key=_id").await,
        format!("\"{}\"", stored_form(Profile::V0_6_3, &expected))
    );
}

/// `confirm_login` stores the new identifier: the stale login is fresh again
/// and the new client is accepted from then on.
#[actix_web::test]
async fn confirm_login_adopts_the_new_client() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Basic, &signals).await;
    c.get("/login-notch").await;
    c.user_agent = Some("new browser".to_owned());
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");
    c.get("/confirm-login").await;
    assert_eq!(c.body("/is-fresh").await, "True");
    signals.clear();
    assert_eq!(c.body("/fresh").await, "Access Granted");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
}

/// CHANGELOG "Fixed" (#700): a client cannot choose the address that is
/// hashed by sending `X-Forwarded-For`.
#[actix_web::test]
async fn x_forwarded_for_is_ignored_without_a_trusted_proxy() {
    let signals = Signals::default();
    let mut c = protected_client(SessionProtection::Strong, &signals).await;
    c.send(
        TestRequest::get()
            .uri("/login-notch")
            .insert_header(("X-Forwarded-For", "10.1.1.1")),
    )
    .await;
    let r = c
        .send(
            TestRequest::get()
                .uri("/username")
                .insert_header(("X-Forwarded-For", "10.1.1.2")),
        )
        .await;
    assert_eq!(r.body, "Notch");
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(signals.count(Signal::SessionProtected), 0);
    // The identifier is the peer's.
    let expected = session_identifier(
        Profile::V0_6_3,
        Some("127.0.0.1"),
        Some(USER_AGENT.as_bytes()),
    );
    assert_eq!(
        c.body("/session/get?key=_id").await,
        format!("\"{}\"", stored_form(Profile::V0_6_3, &expected))
    );
}

/// The trusted-proxy variant of upstream's X-Forwarded-For tests (§5.11).
#[actix_web::test]
async fn x_forwarded_for_from_a_trusted_proxy_is_the_client_address() {
    let signals = Signals::default();
    let s = signals.clone();
    let mut c = client_with(move |b| {
        s.subscribe(
            b.session_protection(SessionProtection::Strong)
                .trusted_proxy(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        )
    })
    .await;
    let xff = |v: &'static str| TestRequest::get().insert_header(("X-Forwarded-For", v));
    c.send(xff("10.1.1.1").uri("/login-notch")).await;
    let expected = session_identifier(
        Profile::V0_6_3,
        Some("10.1.1.1"),
        Some(USER_AGENT.as_bytes()),
    );
    assert_eq!(
        c.send(xff("10.1.1.1").uri("/session/get?key=_id"))
            .await
            .body,
        format!("\"{}\"", stored_form(Profile::V0_6_3, &expected))
    );
    // The same client behind a longer chain of the trusted proxy.
    assert_eq!(
        c.send(xff("10.1.1.1, 127.0.0.1").uri("/username"))
            .await
            .body,
        "Notch"
    );
    // A spoofed left-most entry does not matter: the right-most untrusted one counts.
    assert_eq!(
        c.send(xff("6.6.6.6, 10.1.1.1").uri("/username")).await.body,
        "Notch"
    );
    assert_eq!(signals.count(Signal::SessionProtected), 0);
    // Another client address: strong protection logs the session out.
    assert_eq!(
        c.send(xff("10.1.1.2").uri("/username")).await.body,
        "Anonymous"
    );
    assert_eq!(signals.count(Signal::SessionProtected), 1);
}
