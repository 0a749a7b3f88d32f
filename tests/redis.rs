//! Many instances: two instances of the example app (`src/demo/`) on
//! different loopback ports keep their sessions in one real `redis-server`
//! (Debian's package, started here on a free port) and share a SQLite user
//! file, as they would behind a load balancer. One visitor's cookies go to
//! either instance. Shown:
//!
//! 1. a login on one instance is seen by the other;
//! 2. a logout on one logs out the other, even for a copy of the cookies
//!    taken before the logout (the session lives in Redis, not the cookie);
//! 3. a remember cookie issued by one restores the login on the other (not
//!    fresh, so the other asks for the password before the settings page);
//! 4. sessions survive restarting both app instances (Redis keeps running);
//! 5. a password change on one instance ends the user's other sessions on
//!    both and voids older remember cookies.
//!
//! `redis-server` must be installed (`bash scripts/install-test-deps.sh`);
//! without it the test fails, it never skips. `REDIS_SERVER=/path` picks
//! another binary.

use std::{
    collections::BTreeMap,
    env,
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use actix_login_suite::demo::{
    start, Database, DemoConfig, SessionBackend, REMEMBER_COOKIE, SESSION_COOKIE,
};
use actix_web::{
    cookie::{time::OffsetDateTime, Cookie},
    dev::ServerHandle,
    http::{header, StatusCode},
};

const SECRET: &str = "redis-test secret shared by every instance of the site";
const TIMEOUT: Duration = Duration::from_secs(240);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// The program on `PATH` (or in `$override_var`), or a failure that says how
/// to install it.
fn require_program(name: &str, override_var: &str, package: &str) -> PathBuf {
    if let Some(path) = env::var_os(override_var) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{override_var}={} is not a file",
            path.display()
        );
        return path;
    }
    env::var_os("PATH")
        .iter()
        .flat_map(env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` was not found on PATH: this test needs it and does not skip.\n\
                 Install it with `bash scripts/install-test-deps.sh` (Debian: apt-get install {package}),\n\
                 or set {override_var} to its path."
            )
        })
}

/// A `redis-server` child on a free loopback port, killed on drop.
struct RedisServer {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl RedisServer {
    fn start(dir: &Path) -> RedisServer {
        let program = require_program("redis-server", "REDIS_SERVER", "redis-server");
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

/// One running app instance.
struct Instance {
    addr: SocketAddr,
    handle: ServerHandle,
    task: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
}

impl Instance {
    async fn start(redis_url: &str, database: &Path, port: u16) -> Instance {
        let app = start(DemoConfig {
            port,
            database: Database::File(database.to_owned()),
            sessions: SessionBackend::Redis {
                url: redis_url.to_owned(),
            },
            secret_key: SECRET.to_owned(),
            workers: Some(1),
            ..DemoConfig::default()
        })
        .await
        .unwrap_or_else(|e| panic!("the app did not start on port {port}: {e}"));
        let handle = app.server.handle();
        let task = actix_web::rt::spawn(app.server);
        Instance {
            addr: app.addr,
            handle,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(self) -> u16 {
        self.handle.stop(true).await;
        self.task
            .await
            .expect("server task")
            .expect("server result");
        self.addr.port()
    }
}

/// An HTTP response, read whole.
struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl Page {
    fn csrf_token(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF token in the page:\n{}", self.body))
            + marker.len();
        let end = self.body[start..].find('"').expect("end of the token") + start;
        self.body[start..end].to_owned()
    }

    #[track_caller]
    fn assert_redirect(&self, to: &str) {
        assert!(
            self.status.is_redirection() && self.location.as_deref() == Some(to),
            "expected a redirect to {to}, got {} {:?}:\n{}",
            self.status,
            self.location,
            self.body
        );
    }

    #[track_caller]
    fn assert_ok_with(&self, text: &str) {
        assert!(
            self.status == StatusCode::OK && self.body.contains(text),
            "expected 200 with {text:?}, got {} {:?}:\n{}",
            self.status,
            self.location,
            self.body
        );
    }
}

/// A visitor: one browser's cookie jar, sent to whichever instance the
/// "load balancer" picks. Cookies are not told apart by port, as in a
/// browser.
#[derive(Clone, Default)]
struct Visitor {
    cookies: BTreeMap<String, String>,
}

impl Visitor {
    fn client() -> awc::Client {
        awc::Client::builder()
            .disable_redirects()
            .timeout(Duration::from_secs(30))
            .finish()
    }

    async fn send(&mut self, req: awc::ClientRequest, form: Option<&[(&str, &str)]>) -> Page {
        let cookie_header = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = if cookie_header.is_empty() {
            req
        } else {
            req.insert_header((header::COOKIE, cookie_header))
        };
        let sent = match form {
            Some(form) => req.send_form(&form).await,
            None => req.send().await,
        };
        let mut res = sent.unwrap_or_else(|e| panic!("request failed: {e}"));
        for value in res.headers().get_all(header::SET_COOKIE) {
            let cookie = Cookie::parse(value.to_str().expect("ASCII Set-Cookie").to_owned())
                .expect("a cookie");
            let expired = cookie
                .max_age()
                .is_some_and(|age| age.is_zero() || age.is_negative())
                || cookie
                    .expires_datetime()
                    .is_some_and(|at| at <= OffsetDateTime::now_utc());
            if expired {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        let body = res.body().limit(1 << 20).await.expect("response body");
        Page {
            status: res.status(),
            location: res
                .headers()
                .get(header::LOCATION)
                .map(|l| l.to_str().expect("ASCII Location").to_owned()),
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    async fn get(&mut self, url: &str) -> Page {
        self.send(Self::client().get(url), None).await
    }

    async fn post(&mut self, url: &str, form: &[(&str, &str)]) -> Page {
        self.send(Self::client().post(url), Some(form)).await
    }

    /// Logs in as alice through the login form, as a browser would.
    async fn log_in(&mut self, at: &Instance, remember: bool) {
        let form = self.get(&at.url("/login?next=%2Fmembers")).await;
        let token = form.csrf_token();
        let mut fields = vec![
            ("csrf_token", token.as_str()),
            ("username", "alice"),
            ("password", "wonderland"),
            ("next", "/members"),
        ];
        if remember {
            fields.push(("remember", "on"));
        }
        self.post(&at.url("/login"), &fields)
            .await
            .assert_redirect("/members");
        assert_eq!(
            self.cookies.contains_key(REMEMBER_COOKIE),
            remember,
            "remember cookie"
        );
    }
}

#[actix_web::test]
async fn instances_share_sessions_through_redis() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let redis = RedisServer::start(dir.path());
    let database = dir.path().join("users.sqlite3");
    actix_web::rt::time::timeout(TIMEOUT, scenarios(&redis, &database))
        .await
        .unwrap_or_else(|_| panic!("the Redis scenarios took longer than {TIMEOUT:?}"));
    drop(redis);
}

async fn scenarios(redis: &RedisServer, database: &Path) {
    let url = redis.url();
    let a = Instance::start(&url, database, 0).await;
    let b = Instance::start(&url, database, 0).await;
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
    let (port_a, port_b) = (a.stop().await, b.stop().await);
    assert!(
        TcpStream::connect(("127.0.0.1", port_a)).is_err()
            && TcpStream::connect(("127.0.0.1", port_b)).is_err(),
        "both instances are down"
    );
    let a = Instance::start(&url, database, port_a).await;
    let b = Instance::start(&url, database, port_b).await;
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

    a.stop().await;
    b.stop().await;
}
