//! The example app's own defences, driven over HTTP as a visitor (or an
//! attacker with a browser) would: login throttling, the current password
//! for a new one, `fresh_max_age`, "log out everywhere".

use std::time::Duration;

use actix_web::http::{header, StatusCode};

use crate::support::{App, Page, Visitor, SESSION_COOKIE};

/// A refusal by the throttle: `429`, the message, and a `Retry-After`
/// within the 15-minute window.
#[track_caller]
fn assert_throttled(page: &Page, message: &str) {
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "{}", page.body);
    assert!(
        page.body.contains(message),
        "{message:?} in:\n{}",
        page.body
    );
    let retry_after: u64 = page
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!(
        (1..=900).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
}

#[actix_web::test]
async fn failed_logins_are_throttled_per_account_and_per_address() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let app = App::start(dir.path(), &[]);
    let mut visitor = Visitor::default();

    // Four wrong passwords, then the right one: the login succeeds and
    // clears the account's count.
    for _ in 0..4 {
        visitor
            .try_log_in(&app, "alice", "a guess")
            .await
            .assert_redirect("/login");
    }
    visitor
        .try_log_in(&app, "alice", "wonderland")
        .await
        .assert_redirect("/");
    visitor.log_out(&app).await;

    // Five wrong passwords: the sixth attempt is refused before the
    // password is checked, even with the right password.
    for _ in 0..5 {
        visitor
            .try_log_in(&app, "alice", "another guess")
            .await
            .assert_redirect("/login");
    }
    let refused = visitor.try_log_in(&app, "alice", "wonderland").await;
    assert_throttled(
        &refused,
        "Too many failed password attempts for this account. Try again in 15 minutes.",
    );
    assert!(
        refused.body.contains(r#"id="login-form""#),
        "the form again"
    );
    visitor
        .get(&app.url("/members"))
        .await
        .assert_redirect("/login?next=%2Fmembers");
    // Another browser (a new session) is refused all the same.
    assert_throttled(
        &Visitor::default()
            .try_log_in(&app, "alice", "wonderland")
            .await,
        "for this account",
    );

    // Other names are not locked, but the address counts every failure:
    // 5 above and 15 here make 20, and then it is refused too.
    for i in 0..15 {
        let page = visitor
            .try_log_in(&app, &format!("nobody{i}"), "a guess")
            .await;
        page.assert_redirect("/login");
        visitor
            .get(&app.url("/login"))
            .await
            .assert_ok_with("Invalid username or password.");
    }
    assert_throttled(
        &visitor.try_log_in(&app, "nobody-else", "a guess").await,
        "Too many failed password attempts from your network.",
    );
    assert!(
        app.stderr().contains("INSECURE_FAST_HASHING") && !app.stderr().contains("panicked"),
        "{}",
        app.stderr()
    );
}

#[actix_web::test]
async fn reauthentication_is_throttled_too() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let app = App::start(dir.path(), &[]);
    // Someone holding alice's remember cookie, but not her password.
    let mut thief = Visitor::default();
    thief.log_in(&app, true).await;
    thief.cookies.remove(SESSION_COOKIE);
    thief
        .get(&app.url("/settings"))
        .await
        .assert_redirect("/reauthenticate?next=%2Fsettings");
    let token = thief.get(&app.url("/reauthenticate")).await.csrf_token();
    for _ in 0..5 {
        thief
            .post(
                &app.url("/reauthenticate"),
                &[("csrf_token", token.as_str()), ("password", "a guess")],
            )
            .await
            .assert_redirect("/reauthenticate");
    }
    let refused = thief
        .post(
            &app.url("/reauthenticate"),
            &[("csrf_token", token.as_str()), ("password", "wonderland")],
        )
        .await;
    assert_throttled(&refused, "for this account");
    thief
        .get(&app.url("/settings"))
        .await
        .assert_redirect("/reauthenticate?next=%2Fsettings");
}

#[actix_web::test]
async fn changing_the_password_needs_the_current_one() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let app = App::start(dir.path(), &[]);
    // A fresh session: someone at alice's unlocked computer, say.
    let mut visitor = Visitor::default();
    visitor.log_in(&app, false).await;
    let change = |current: &'static str, display_name: &'static str| {
        [
            ("display_name", display_name),
            ("current_password", current),
            ("new_password", "a new password"),
        ]
    };

    for (current, refusal) in [
        (
            "",
            "Enter your current password to change it. Nothing was saved.",
        ),
        (
            "a guess",
            "The current password is wrong. Nothing was saved.",
        ),
    ] {
        let token = visitor.get(&app.url("/settings")).await.csrf_token();
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend(change(current, "Mallory"));
        visitor
            .post(&app.url("/settings"), &form)
            .await
            .assert_redirect("/settings");
        let page = visitor.get(&app.url("/settings")).await;
        page.assert_ok_with(refusal);
        page.assert_ok_with(r#"value="Alice Liddell""#);
    }
    // The password is unchanged: another browser logs in with it.
    Visitor::default()
        .try_log_in(&app, "alice", "wonderland")
        .await
        .assert_redirect("/");

    // With the current password, the change is made.
    let token = visitor.get(&app.url("/settings")).await.csrf_token();
    let mut form = vec![("csrf_token", token.as_str())];
    form.extend(change("wonderland", "Alice L."));
    visitor
        .post(&app.url("/settings"), &form)
        .await
        .assert_redirect("/settings");
    visitor
        .get(&app.url("/settings"))
        .await
        .assert_ok_with("Password changed.");
    Visitor::default()
        .try_log_in(&app, "alice", "wonderland")
        .await
        .assert_redirect("/login");
    Visitor::default()
        .try_log_in(&app, "alice", "a new password")
        .await
        .assert_redirect("/");
}

#[actix_web::test]
async fn a_fresh_login_goes_stale_after_fresh_max_age() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Two seconds instead of the default ten minutes.
    let app = App::start(dir.path(), &[("FRESH_MAX_AGE", "2")]);
    let mut visitor = Visitor::default();
    visitor.log_in(&app, false).await;
    visitor
        .get(&app.url("/settings"))
        .await
        .assert_ok_with(r#"id="settings-form""#);

    // Later, the same session (or a copy of its cookie) is still logged
    // in, but no longer fresh: the settings page wants the password.
    actix_web::rt::time::sleep(Duration::from_millis(3500)).await;
    let page = visitor.get(&app.url("/members")).await;
    page.assert_ok_with(r#"<strong id="freshness">not fresh</strong>"#);
    page.assert_ok_with("(not fresh)");
    visitor
        .get(&app.url("/settings"))
        .await
        .assert_redirect("/reauthenticate?next=%2Fsettings");
    let token = visitor
        .get(&app.url("/reauthenticate?next=%2Fsettings"))
        .await
        .csrf_token();
    visitor
        .post(
            &app.url("/reauthenticate"),
            &[
                ("csrf_token", token.as_str()),
                ("password", "wonderland"),
                ("next", "/settings"),
            ],
        )
        .await
        .assert_redirect("/settings");
    visitor
        .get(&app.url("/settings"))
        .await
        .assert_ok_with("Password confirmed.");
}

#[actix_web::test]
async fn log_out_everywhere_revokes_other_sessions_and_remember_cookies() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let app = App::start(dir.path(), &[]);
    // Alice on her laptop, with "remember me"; a copy of its cookies taken
    // by someone else; and her phone, also remembered.
    let mut laptop = Visitor::default();
    laptop.log_in(&app, true).await;
    let mut stolen = laptop.clone();
    let mut phone = Visitor::default();
    phone.log_in(&app, true).await;

    let token = laptop.get(&app.url("/settings")).await.csrf_token();
    laptop
        .post(
            &app.url("/logout-everywhere"),
            &[("csrf_token", token.as_str())],
        )
        .await
        .assert_redirect("/settings");
    let page = laptop.get(&app.url("/settings")).await;
    page.assert_ok_with("You have been logged out everywhere else");
    page.assert_ok_with(r#"id="settings-form""#);

    // The laptop stays in, with a new remember cookie that works alone.
    let mut reopened = laptop.clone();
    reopened.cookies.remove(SESSION_COOKIE);
    reopened
        .get(&app.url("/members"))
        .await
        .assert_ok_with(r#"<strong id="freshness">not fresh</strong>"#);

    // Every session and remember cookie issued before is worthless: the
    // stolen copy and the phone, with their sessions or with their
    // remember cookies alone.
    for visitor in [&mut stolen, &mut phone] {
        let mut cookie_only = visitor.clone();
        cookie_only.cookies.remove(SESSION_COOKIE);
        for v in [visitor, &mut cookie_only] {
            v.get(&app.url("/members"))
                .await
                .assert_redirect("/login?next=%2Fmembers");
        }
    }
}
