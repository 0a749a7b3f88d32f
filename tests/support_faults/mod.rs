//! Shared by the load and fault tests (`concurrency.rs`, `store_faults.rs`,
//! `limits.rs`): a small app on actix-login served by a real `HttpServer`
//! on a loopback port, a browser-like client with its own cookie jar, and
//! a `redis-server` that can be killed and started again.
//!
//! The app: users `user-0` … `user-N` in a [`Directory`] that can be told
//! to fail (the database is down: the loader returns `Err`); routes
//! `/login/{id}?remember=1`, `/me` (the current user, read twice across an
//! await point), `/protected` (`#[login_required]`), `/logout`, `/`.

use std::{
    collections::{BTreeMap, HashMap},
    env,
    io::{Read, Write},
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use actix_login::{
    login_required, login_user, logout_user, CurrentUser, LoaderError, LoginManager, LoginOptions,
    Profile, User, UserLoader,
};
use actix_session::{storage::SessionStore, SessionMiddleware};
use actix_web::{
    cookie::{time::OffsetDateTime, Cookie, Key},
    dev::ServerHandle,
    http::{header, StatusCode},
    web, App, FromRequest, HttpRequest, HttpResponse, HttpServer,
};

pub const SESSION_COOKIE: &str = "sid";
pub const REMEMBER_COOKIE: &str = "remember_token";
pub const SECRET: &str = "fault-test secret: long enough for Key::derive_from (32+)";

// ------------------------------------------------------------------ users

#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub name: String,
}

impl User for Account {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

/// The user table. `down(true)` makes every load fail.
#[derive(Debug)]
pub struct Directory {
    users: HashMap<String, Account>,
    down: AtomicBool,
    loads: AtomicUsize,
    failed_loads: AtomicUsize,
}

impl Directory {
    /// `n` users, `user-0` … `user-{n-1}`, named `Name {i}`.
    pub fn new(n: usize) -> Arc<Directory> {
        Arc::new(Directory {
            users: (0..n)
                .map(|i| {
                    let a = Account {
                        id: user_id(i),
                        name: format!("Name {i}"),
                    };
                    (a.id.clone(), a)
                })
                .collect(),
            down: AtomicBool::new(false),
            loads: AtomicUsize::new(0),
            failed_loads: AtomicUsize::new(0),
        })
    }

    pub fn down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }

    pub fn failed_loads(&self) -> usize {
        self.failed_loads.load(Ordering::SeqCst)
    }
}

pub fn user_id(i: usize) -> String {
    format!("user-{i}")
}

pub struct DirectoryLoader(pub Arc<Directory>);

impl UserLoader for DirectoryLoader {
    type User = Account;

    async fn load_user(
        &self,
        id: &str,
        _req: &HttpRequest,
    ) -> Result<Option<Account>, LoaderError> {
        // Let the worker run other requests in the middle of this one.
        actix_web::rt::task::yield_now().await;
        self.0.loads.fetch_add(1, Ordering::SeqCst);
        if self.0.down.load(Ordering::SeqCst) {
            self.0.failed_loads.fetch_add(1, Ordering::SeqCst);
            return Err(LoaderError::from("the user database is down"));
        }
        Ok(self.0.users.get(id).cloned())
    }
}

// ------------------------------------------------------------------ routes

fn describe(user: &CurrentUser<Account>) -> String {
    match user.user() {
        Some(u) if user.is_authenticated() => format!("user={} name={}", u.id, u.name),
        _ => "anonymous".to_owned(),
    }
}

async fn login(
    req: HttpRequest,
    dir: web::Data<Arc<Directory>>,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> actix_web::Result<HttpResponse> {
    let Some(account) = dir.users.get(id.as_str()).cloned() else {
        return Ok(HttpResponse::NotFound().body("no such user"));
    };
    let remember = query.get("remember").map(String::as_str) == Some("1");
    login_user(&req, account, LoginOptions::new().remember(remember))?;
    Ok(HttpResponse::Ok().body(format!("logged in {id}")))
}

/// The user, then an await point where the worker serves other requests,
/// then the user extracted again: both must be the same.
async fn me(req: HttpRequest, first: CurrentUser<Account>) -> actix_web::Result<HttpResponse> {
    let before = describe(&first);
    actix_web::rt::task::yield_now().await;
    let again = CurrentUser::<Account>::extract(&req).await?;
    let after = describe(&again);
    if before != after {
        return Ok(HttpResponse::Conflict().body(format!("changed: {before} -> {after}")));
    }
    Ok(HttpResponse::Ok().body(before))
}

#[login_required]
async fn protected(user: CurrentUser<Account>) -> HttpResponse {
    HttpResponse::Ok().body(format!("protected {}", describe(&user)))
}

async fn logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    logout_user(&req).await?;
    Ok(HttpResponse::Ok().body("logged out"))
}

async fn index() -> HttpResponse {
    HttpResponse::Ok().body("hello")
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/login/{id}", web::get().to(login))
        .route("/me", web::get().to(me))
        .route("/protected", web::get().to(protected))
        .route("/logout", web::get().to(logout));
}

pub fn login_manager(dir: &Arc<Directory>, profile: Profile) -> LoginManager<Account> {
    LoginManager::builder(DirectoryLoader(dir.clone()), SECRET)
        .profile(profile)
        .build()
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    pub handle: ServerHandle,
    task: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Serves the app with `workers` workers on a free loopback port, its
    /// sessions in the store `make_store` builds (one per worker).
    pub fn start<S, F>(
        dir: &Arc<Directory>,
        profile: Profile,
        workers: usize,
        make_store: F,
    ) -> Server
    where
        S: SessionStore + 'static,
        F: Fn() -> S + Send + Clone + 'static,
    {
        let manager = login_manager(dir, profile);
        let data = web::Data::new(dir.clone());
        let key = Key::derive_from(SECRET.as_bytes());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(manager.clone())
                .wrap(
                    SessionMiddleware::builder(make_store(), key.clone())
                        .cookie_name(SESSION_COOKIE.to_owned())
                        .cookie_secure(false)
                        .build(),
                )
                .configure(routes)
        })
        .workers(workers)
        .shutdown_timeout(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("bind a loopback port");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        let task = actix_web::rt::spawn(server);
        Server { addr, handle, task }
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.task.await;
    }
}

// ------------------------------------------------------------- the store

// ------------------------------------------------------------------ client

/// A response, read whole.
#[derive(Debug)]
pub struct Page {
    pub status: StatusCode,
    pub body: String,
    /// Names of the cookies the response set (not deleted).
    pub set: Vec<String>,
    /// Names of the cookies the response deleted.
    pub deleted: Vec<String>,
}

/// One browser: a cookie jar, sending through a (possibly shared) client.
#[derive(Clone)]
pub struct Browser {
    pub http: awc::Client,
    pub base: String,
    pub cookies: BTreeMap<String, String>,
}

pub fn http_client(connections: usize) -> awc::Client {
    awc::Client::builder()
        .disable_redirects()
        .timeout(Duration::from_secs(60))
        .connector(awc::Connector::new().limit(connections))
        .finish()
}

impl Browser {
    pub fn new(http: awc::Client, base: String) -> Browser {
        Browser {
            http,
            base,
            cookies: BTreeMap::new(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        match self.try_get(path).await {
            Ok(page) => page,
            Err(e) => panic!("GET {path}: {e}"),
        }
    }

    pub async fn try_get(&mut self, path: &str) -> Result<Page, String> {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            let header = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req = req.insert_header((header::COOKIE, header));
        }
        let mut res = req.send().await.map_err(|e| e.to_string())?;
        let mut page = Page {
            status: res.status(),
            body: String::new(),
            set: Vec::new(),
            deleted: Vec::new(),
        };
        for value in res.headers().get_all(header::SET_COOKIE) {
            let text = value.to_str().map_err(|e| e.to_string())?.to_owned();
            let cookie = Cookie::parse(text).map_err(|e| e.to_string())?;
            let expired = cookie
                .max_age()
                .is_some_and(|age| age.is_zero() || age.is_negative())
                || cookie
                    .expires_datetime()
                    .is_some_and(|at| at <= OffsetDateTime::now_utc())
                || cookie.value().is_empty();
            if expired {
                self.cookies.remove(cookie.name());
                page.deleted.push(cookie.name().to_owned());
            } else {
                self.cookies
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
                page.set.push(cookie.name().to_owned());
            }
        }
        let body = res.body().limit(1 << 20).await.map_err(|e| e.to_string())?;
        page.body = String::from_utf8_lossy(&body).into_owned();
        Ok(page)
    }

    /// The browser was closed: session cookies are gone, the remember
    /// cookie stays.
    pub fn close(&mut self) {
        self.cookies.remove(SESSION_COOKIE);
    }
}

/// What `/me` answers for user `i`.
pub fn me_of(i: usize) -> String {
    format!("user={} name=Name {i}", user_id(i))
}

// ------------------------------------------------------------------ redis

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// `redis-server` from `$REDIS_SERVER` or `PATH`; a failure that says how
/// to install it otherwise (never a skip).
pub fn redis_server_program() -> PathBuf {
    if let Some(path) = env::var_os("REDIS_SERVER") {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "REDIS_SERVER={} is not a file",
            path.display()
        );
        return path;
    }
    env::var_os("PATH")
        .iter()
        .flat_map(env::split_paths)
        .map(|dir| dir.join("redis-server"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`redis-server` was not found on PATH: this test needs it and does not skip.\n\
                 Install it with `bash scripts/install-test-deps.sh` (Debian: apt-get install redis-server),\n\
                 or set REDIS_SERVER to its path."
            )
        })
}

/// A `redis-server` child on a fixed loopback port, with an append-only
/// file fsynced on every write, so a SIGKILL loses no acknowledged write
/// and a restart on the same port and directory has every session back.
pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
}

impl Redis {
    pub fn start(dir: &Path) -> Redis {
        let mut redis = Redis {
            child: None,
            port: free_port(),
            dir: dir.to_owned(),
        };
        redis.spawn();
        redis
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "already running");
        let program = redis_server_program();
        let child = Command::new(&program)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .args(["--daemonize", "no", "--loglevel", "warning"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(reply) = self.command(&["PING"]) {
                if reply.starts_with(b"+PONG") {
                    return;
                }
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!(
                    "redis-server exited at start ({status}); log:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING on port {} within 20 s; log:\n{}",
                self.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL, and wait until the port refuses connections.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL redis-server");
        child.wait().expect("reap redis-server");
        assert!(
            TcpStream::connect(("127.0.0.1", self.port)).is_err(),
            "redis-server still answers after SIGKILL"
        );
    }

    /// Starts it again on the same port, from the same append-only file.
    pub fn restart(&mut self) {
        self.spawn();
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
    }

    /// One command in RESP; the raw reply.
    pub fn command(&self, args: &[&str]) -> std::io::Result<Vec<u8>> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        stream.write_all(request.as_bytes())?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buf[..n]);
            if resp_complete(&reply) {
                break;
            }
        }
        Ok(reply)
    }

    /// Every key and its value (sessions are strings), sorted.
    pub fn dump(&self) -> BTreeMap<String, String> {
        let keys = parse_resp(&self.command(&["KEYS", "*"]).expect("KEYS"));
        let mut out = BTreeMap::new();
        for key in keys.into_iter().flatten() {
            let value = parse_resp(&self.command(&["GET", &key]).expect("GET"));
            out.insert(key, value.into_iter().flatten().next().unwrap_or_default());
        }
        out
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether `reply` holds one whole RESP value.
fn resp_complete(reply: &[u8]) -> bool {
    fn value(s: &[u8], i: usize) -> Option<usize> {
        let line_end = s[i..].windows(2).position(|w| w == b"\r\n")? + i;
        let line = std::str::from_utf8(&s[i + 1..line_end]).ok()?;
        let next = line_end + 2;
        match s.get(i)? {
            b'+' | b'-' | b':' => Some(next),
            b'$' => {
                let n: i64 = line.parse().ok()?;
                if n < 0 {
                    return Some(next);
                }
                let end = next + n as usize + 2;
                (s.len() >= end).then_some(end)
            }
            b'*' => {
                let n: i64 = line.parse().ok()?;
                let mut at = next;
                for _ in 0..n.max(0) {
                    at = value(s, at)?;
                }
                Some(at)
            }
            _ => None,
        }
    }
    !reply.is_empty() && value(reply, 0).is_some()
}

/// Bulk strings of a reply (an array of them, or one), `None` for nil.
fn parse_resp(reply: &[u8]) -> Vec<Option<String>> {
    let text = String::from_utf8_lossy(reply);
    let mut lines = text.split("\r\n");
    let mut out = Vec::new();
    let first = lines.next().unwrap_or_default();
    let count = match first.as_bytes().first() {
        Some(b'*') => first[1..].parse::<usize>().unwrap_or(0),
        Some(b'$') => {
            if first == "$-1" {
                return vec![None];
            }
            return vec![lines.next().map(str::to_owned)];
        }
        _ => panic!("unexpected reply {text:?}"),
    };
    for _ in 0..count {
        let len = lines.next().unwrap_or_default();
        if len == "$-1" {
            out.push(None);
        } else {
            out.push(lines.next().map(str::to_owned));
        }
    }
    out
}

/// Runs `f` with a time limit, failing with `what` when it is exceeded.
pub async fn bounded<F: std::future::Future>(limit: Duration, what: &str, f: F) -> F::Output {
    actix_web::rt::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| panic!("{what} did not finish within {limit:?}"))
}
