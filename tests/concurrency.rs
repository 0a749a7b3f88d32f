//! Many users at once against one real server (issue #7, item 3).
//!
//! A real `HttpServer` on a free loopback port with 4 workers serves the
//! app of `support_faults` (cookie-store sessions). 50 users, each a task
//! with its own cookie jar, log in (every other round with "remember me"),
//! browse, lose their session and come back through the remember cookie,
//! and log out — all at the same time. Their requests share one HTTP
//! client with 8 pooled keep-alive connections, so consecutive requests on
//! one connection (and on one worker's reused request objects) belong to
//! different users. The user loader yields, and `/me` extracts the user
//! twice across an await point, so requests interleave inside a worker.
//!
//! Every response must name exactly its own user (or nobody, after logout):
//! a state left in request extensions, a pooled request or any cache would
//! show up as another user's name. Bounded by request count, and by a time
//! limit that fails the test instead of hanging.

use std::time::Duration;

use crate::support_faults::*;
use actix_login::Profile;
use actix_session::storage::CookieSessionStore;
use actix_web::http::StatusCode;

const USERS: usize = 50;
const ROUNDS: usize = 6;
const BROWSE: usize = 40;
const LIMIT: Duration = Duration::from_secs(420);

/// One user's life; returns how many requests it made.
async fn user_life(i: usize, mut b: Browser) -> usize {
    let me = me_of(i);
    let mut n = 0;
    for round in 0..ROUNDS {
        let remember = (i + round).is_multiple_of(2);
        let page = b
            .get(&format!(
                "/login/{}?remember={}",
                user_id(i),
                u8::from(remember)
            ))
            .await;
        n += 1;
        assert_eq!(page.status, StatusCode::OK, "user {i} login: {}", page.body);
        assert_eq!(
            b.cookies.contains_key(REMEMBER_COOKIE),
            remember,
            "user {i} round {round}: remember cookie"
        );
        for k in 0..BROWSE {
            let path = if k.is_multiple_of(3) {
                "/protected"
            } else {
                "/me"
            };
            let page = b.get(path).await;
            n += 1;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "user {i} {path}: {}",
                page.body
            );
            let shown = page.body.trim_start_matches("protected ");
            assert_eq!(shown, me, "user {i} round {round} {path} saw someone else");
        }
        if remember {
            // The browser is closed and opened again: the remember cookie
            // restores this user, and only this user.
            b.close();
            let page = b.get("/me").await;
            n += 1;
            assert_eq!(page.body, me, "user {i} restored from the remember cookie");
            assert!(
                page.set.iter().any(|c| c == SESSION_COOKIE),
                "a new session"
            );
            let page = b.get("/protected").await;
            n += 1;
            assert_eq!(page.body, format!("protected {me}"));
        }
        let page = b.get("/logout").await;
        n += 1;
        assert_eq!(page.status, StatusCode::OK);
        if remember {
            assert!(
                page.deleted.iter().any(|c| c == REMEMBER_COOKIE),
                "logout deletes the remember cookie"
            );
        }
        let page = b.get("/me").await;
        n += 1;
        assert_eq!(page.body, "anonymous", "user {i} after logout");
        let page = b.get("/protected").await;
        n += 1;
        assert_eq!(
            page.status,
            StatusCode::UNAUTHORIZED,
            "user {i} after logout"
        );
    }
    n
}

fn expected_requests() -> usize {
    (0..USERS)
        .map(|i| {
            (0..ROUNDS)
                .map(|round| 1 + BROWSE + 3 + if (i + round).is_multiple_of(2) { 2 } else { 0 })
                .sum::<usize>()
        })
        .sum()
}

async fn run(profile: Profile) {
    let dir = Directory::new(USERS);
    let server = Server::start(&dir, profile, 4, CookieSessionStore::default);
    let http = http_client(8);
    let base = format!("http://{}", server.addr);
    let done = bounded(LIMIT, "the concurrent users", async {
        let tasks: Vec<_> = (0..USERS)
            .map(|i| actix_web::rt::spawn(user_life(i, Browser::new(http.clone(), base.clone()))))
            .collect();
        let mut total = 0;
        for (i, t) in tasks.into_iter().enumerate() {
            total += t.await.unwrap_or_else(|e| panic!("user {i} failed: {e}"));
        }
        total
    })
    .await;
    assert_eq!(done, expected_requests());
    assert_eq!(dir.failed_loads(), 0);
    assert!(dir.loads() > 0);
    server.stop().await;
}

#[actix_web::test]
async fn fifty_users_at_once_each_see_only_themselves_063() {
    run(Profile::V0_6_3).await;
}

#[actix_web::test]
async fn fifty_users_at_once_each_see_only_themselves_024() {
    run(Profile::V0_2_4).await;
}

/// The same users on separate connections (one client each), so that every
/// worker serves many users' connections at once.
#[actix_web::test]
async fn fifty_users_on_their_own_connections() {
    let dir = Directory::new(USERS);
    let server = Server::start(&dir, Profile::V0_6_3, 4, CookieSessionStore::default);
    let base = format!("http://{}", server.addr);
    let done = bounded(LIMIT, "the concurrent users", async {
        let tasks: Vec<_> = (0..USERS)
            .map(|i| actix_web::rt::spawn(user_life(i, Browser::new(http_client(2), base.clone()))))
            .collect();
        let mut total = 0;
        for (i, t) in tasks.into_iter().enumerate() {
            total += t.await.unwrap_or_else(|e| panic!("user {i} failed: {e}"));
        }
        total
    })
    .await;
    assert_eq!(done, expected_requests());
    server.stop().await;
}
