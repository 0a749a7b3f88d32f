//! Many instances: two instances of the example app (two `app` processes)
//! on different loopback ports keep their sessions in one real `redis-server`
//! (Debian's package, started here on a free port) and share a SQLite user
//! file, as they would behind a load balancer. One visitor's cookies go to
//! either instance. Shown:
//!
//! 1. a login on one instance is seen by the other;
//! 2. a logout on one logs out the other, even for a copy of the cookies
//!    taken before the logout (the session lives in Redis, not the cookie);
//! 3. a remember cookie issued by one restores the login on the other (not
//!    fresh, so the other asks for the password before the settings page);
//! 4. sessions survive killing and restarting both app instances (Redis
//!    keeps running);
//! 5. a password change on one instance ends the user's other sessions on
//!    both and voids older remember cookies.
//!
//! And when Redis itself dies, the app answers 5xx at once instead of
//! hanging (it bounds every session-store call).
//!
//! Needs `redis-server`: `#[ignore]`d in a plain `cargo test`, run by
//! `bash scripts/test.sh`, which installs it. Run without it, the tests
//! fail, they never skip. `REDIS_SERVER=/path` picks another binary.

use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::support::{free_port, require_program, App, Visitor, SESSION_COOKIE};

const SECRET: &str = "redis-test secret shared by every instance of the site";
const TIMEOUT: Duration = Duration::from_secs(240);

/// A `redis-server` child on a free loopback port, killed on drop.
struct RedisServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl RedisServer {
    fn start(dir: &Path) -> RedisServer {
        let program = require_program(&["redis-server"], "REDIS_SERVER", "redis-server");
        let port = free_port();
        let log = dir.join("redis.log");
        let child = Command::new(&program)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            // No persistence: Redis keeps running while the app instances
            // restart, which is what the test shows.
            .args(["--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .arg("--dir")
            .arg(dir)
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let mut server = RedisServer { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(reply) = server.command(&["PING"]) {
                if reply.starts_with("+PONG") {
                    return server;
                }
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "redis-server exited at start ({status}); log:\n{}",
                    server.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING on port {port} within 15 s; log:\n{}",
                server.log_text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// One command in RESP, and the raw reply (enough for PING and DBSIZE).
    fn command(&self, args: &[&str]) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes())?;
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf)?;
        Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// SIGKILL, as in a crash.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL redis-server");
        self.child.wait().expect("reap redis-server");
    }

    fn dbsize(&self) -> u64 {
        let reply = self.command(&["DBSIZE"]).expect("DBSIZE");
        reply
            .trim()
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("unexpected DBSIZE reply {reply:?}"))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An instance of the site: the `app` binary with its sessions in `redis`
/// and its users in the SQLite file `database`, on `port` (`0`: any).
fn instance(dir: &Path, redis: &RedisServer, database: &Path, port: u16) -> App {
    App::start(
        dir,
        &[
            ("PORT", &port.to_string()),
            ("SESSION_STORE", "redis"),
            ("REDIS_URL", &redis.url()),
            ("DATABASE", database.to_str().expect("a UTF-8 path")),
            ("SECRET_KEY", SECRET),
        ],
    )
}

#[actix_web::test]
#[ignore = "needs redis-server: run by `bash scripts/test.sh`"]
async fn instances_share_sessions_through_redis() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let redis = RedisServer::start(dir.path());
    let database = dir.path().join("users.sqlite3");
    actix_web::rt::time::timeout(TIMEOUT, scenarios(dir.path(), &redis, &database))
        .await
        .unwrap_or_else(|_| panic!("the Redis scenarios took longer than {TIMEOUT:?}"));
    drop(redis);
}

async fn scenarios(dir: &Path, redis: &RedisServer, database: &Path) {
    let a = instance(dir, redis, database, 0);
    let b = instance(dir, redis, database, 0);
    assert_ne!(a.addr, b.addr);

    // 1. A login on A is seen by B.
    let mut visitor = Visitor::default();
    visitor.log_in(&a, false).await;
    assert!(redis.dbsize() >= 1, "the session is stored in Redis");
    visitor
        .get(&b.url("/members"))
        .await
        .assert_ok_with("Alice Liddell");
    let on_b = visitor.get(&b.url("/")).await;
    on_b.assert_ok_with(r#"<td id="fresh">true</td>"#);

    // 2. A logout on B logs out A, even for cookies copied before it.
    let before_logout = visitor.clone();
    let token = on_b.csrf_token();
    visitor
        .post(&b.url("/logout"), &[("csrf_token", &token)])
        .await
        .assert_redirect("/");
    visitor
        .get(&a.url("/members"))
        .await
        .assert_redirect("/login?next=%2Fmembers");
    let mut replay = before_logout;
    replay
        .get(&a.url("/members"))
        .await
        .assert_redirect("/login?next=%2Fmembers");

    // 3. A remember cookie issued by A restores the login on B.
    let mut returning = Visitor::default();
    returning.log_in(&a, true).await;
    returning.cookies.remove(SESSION_COOKIE); // the browser was closed
    let page = returning.get(&b.url("/members")).await;
    page.assert_ok_with("Alice Liddell");
    page.assert_ok_with(r#"<strong id="freshness">not fresh</strong>"#);
    assert!(
        returning.cookies.contains_key(SESSION_COOKIE),
        "B started a new session"
    );
    returning
        .get(&b.url("/settings"))
        .await
        .assert_redirect("/reauthenticate?next=%2Fsettings");
    // ... and the session B restored is seen by A.
    returning
        .get(&a.url("/members"))
        .await
        .assert_ok_with("not fresh");

    // 4. Sessions survive restarting both app instances.
    let mut staying = Visitor::default();
    staying.log_in(&b, false).await;
    staying
        .get(&a.url("/members"))
        .await
        .assert_ok_with("Alice Liddell");
    let (port_a, port_b) = (a.stop(), b.stop());
    assert!(
        TcpStream::connect(("127.0.0.1", port_a)).is_err()
            && TcpStream::connect(("127.0.0.1", port_b)).is_err(),
        "both instances are down"
    );
    let a = instance(dir, redis, database, port_a);
    let b = instance(dir, redis, database, port_b);
    let page = staying.get(&a.url("/members")).await;
    page.assert_ok_with("Alice Liddell");
    page.assert_ok_with(r#"<strong id="freshness">fresh</strong>"#);
    staying
        .get(&b.url("/members"))
        .await
        .assert_ok_with("Alice Liddell");
    // The logged-out visitor stays logged out, the remembered one stays in.
    visitor
        .get(&b.url("/members"))
        .await
        .assert_redirect("/login?next=%2Fmembers");
    returning
        .get(&b.url("/members"))
        .await
        .assert_ok_with("Alice Liddell");

    // 5. A password change on A ends alice's other sessions on both
    //    instances and voids her older remember cookies; the session that
    //    changed it stays logged in.
    let token = staying.get(&a.url("/settings")).await.csrf_token();
    staying
        .post(
            &a.url("/settings"),
            &[
                ("csrf_token", &token),
                ("display_name", "Alice Liddell"),
                ("current_password", "wonderland"),
                ("new_password", "looking-glass"),
            ],
        )
        .await
        .assert_redirect("/settings");
    staying
        .get(&b.url("/members"))
        .await
        .assert_ok_with("Alice Liddell");
    returning
        .get(&a.url("/members"))
        .await
        .assert_redirect("/login?next=%2Fmembers");
    returning.cookies.remove(SESSION_COOKIE);
    returning
        .get(&b.url("/members"))
        .await
        .assert_redirect("/login?next=%2Fmembers");

    a.stop();
    b.stop();
}

/// Redis killed under the app: a request is answered 5xx within the app's
/// bound on a store call (2 s), not left hanging; the login made before is
/// kept in nobody's name.
#[actix_web::test]
#[ignore = "needs redis-server: run by `bash scripts/test.sh`"]
async fn the_app_answers_5xx_while_redis_is_down() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut redis = RedisServer::start(dir.path());
    let app = instance(dir.path(), &redis, &dir.path().join("users.sqlite3"), 0);
    let mut visitor = Visitor::default();
    visitor.log_in(&app, false).await;
    visitor
        .get(&app.url("/members"))
        .await
        .assert_ok_with("Alice Liddell");
    redis.kill();
    let asked = Instant::now();
    let page = visitor.get(&app.url("/members")).await;
    assert!(
        page.status.is_server_error(),
        "{} while Redis is down:\n{}",
        page.status,
        page.body
    );
    assert!(
        asked.elapsed() < Duration::from_secs(15),
        "the answer took {:?}",
        asked.elapsed()
    );
}
