//! The example app's own defences, driven over HTTP as a visitor (or an
//! attacker with a browser) would: login throttling, the bound on Argon2
//! computations at once, the current password for a new one,
//! `fresh_max_age`, "log out everywhere".

use std::time::{Duration, Instant};

use actix_web::{
    http::{header, StatusCode},
    rt::task::JoinHandle,
};

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

/// Starts an app that runs at most one Argon2 computation at once, a login
/// waiting `max_wait` seconds for it, and that holds every computation
/// while the file `hold` exists (`TEST_HASHING_HOLD`), created here.
fn start_with_one_hashing(
    dir: &std::path::Path,
    max_wait: &str,
    workers: &str,
) -> (App, std::path::PathBuf) {
    let hold = dir.join("hold-hashing");
    std::fs::write(&hold, "").expect("the hold file");
    let app = App::start(
        dir,
        &[
            ("HASHING_CONCURRENCY", "1"),
            ("HASHING_MAX_WAIT", max_wait),
            ("TEST_HASHING_HOLD", hold.to_str().expect("a UTF-8 path")),
            ("WORKERS", workers),
        ],
    );
    (app, hold)
}

/// A new visitor posts the login form, in the background: its answer.
async fn log_in_in_background(
    app: &App,
    username: &'static str,
    password: &'static str,
) -> JoinHandle<Page> {
    let mut visitor = Visitor::default();
    let token = visitor.get(&app.url("/login")).await.csrf_token();
    let url = app.url("/login");
    actix_web::rt::spawn(async move {
        let form = [
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ];
        visitor.post(&url, &form).await
    })
}

/// Waits until the app has noted `what` on its standard error `times`
/// times (`TEST_HASHING_HOLD`). The deadline only ends a test that would
/// otherwise hang: nothing here depends on how fast the app is.
async fn wait_for_note(app: &App, what: &str, times: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let stderr = app.stderr();
        // Fail at once, rather than at the deadline, past the bound.
        assert!(
            stderr
                .lines()
                .filter_map(|line| line.strip_prefix("hashing: started, "))
                .all(|running| running == "1 running"),
            "two computations ran at once; stderr:\n{stderr}"
        );
        if stderr.matches(what).count() >= times {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not note {what:?} {times} times; stderr:\n{stderr}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Each Argon2 computation the app started, with how many were running
/// then (itself included): every one alone.
#[track_caller]
fn assert_ran_one_at_a_time(app: &App, computations: usize) {
    let stderr = app.stderr();
    let running: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("hashing: started, "))
        .collect();
    assert_eq!(running, vec!["1 running"; computations], "{stderr}");
}

#[actix_web::test]
async fn password_checks_beyond_the_argon2_bound_wait_their_turn() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // Two workers: the bound is the app's, not each worker's. The wait is
    // long enough never to run out here.
    let (app, hold) = start_with_one_hashing(dir.path(), "600", "2");

    // alice's check takes the only permit, and is held there.
    let alice = log_in_in_background(&app, "alice", "wonderland").await;
    wait_for_note(&app, "hashing: started", 1).await;
    // carol's and an unknown name's (a dummy hash, as costly) wait in line
    // instead of running beside it.
    let carol = log_in_in_background(&app, "carol", "looking-glass").await;
    wait_for_note(&app, "hashing: waiting for a permit", 1).await;
    let nobody = log_in_in_background(&app, "nobody", "a guess").await;
    wait_for_note(&app, "hashing: waiting for a permit", 2).await;
    assert_ran_one_at_a_time(&app, 1);

    // Released, all three are checked, one after the other.
    std::fs::remove_file(&hold).expect("release the hold");
    alice.await.expect("alice's login").assert_redirect("/");
    carol.await.expect("carol's login").assert_redirect("/");
    nobody
        .await
        .expect("the unknown name's login")
        .assert_redirect("/login");
    assert_ran_one_at_a_time(&app, 3);
}

#[actix_web::test]
async fn a_login_that_waits_too_long_for_argon2_is_answered_503() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (app, hold) = start_with_one_hashing(dir.path(), "1", "1");

    // alice's check takes the only permit, and is held there: carol's
    // waits its second in line, then is refused, her password unchecked.
    let alice = log_in_in_background(&app, "alice", "wonderland").await;
    wait_for_note(&app, "hashing: started", 1).await;
    let carol = log_in_in_background(&app, "carol", "looking-glass").await;
    wait_for_note(&app, "hashing: waiting for a permit", 1).await;
    let refused = carol.await.expect("carol's login");
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.body
    );
    assert_eq!(
        refused
            .headers
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert!(refused.body.contains(r#"id="busy""#), "{}", refused.body);
    assert_ran_one_at_a_time(&app, 1);

    // Released, alice is logged in, and the permit is free for carol.
    std::fs::remove_file(&hold).expect("release the hold");
    alice.await.expect("alice's login").assert_redirect("/");
    Visitor::default()
        .try_log_in(&app, "carol", "looking-glass")
        .await
        .assert_redirect("/");
    assert_ran_one_at_a_time(&app, 2);
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
