//! Limits (issue #7, item 5): huge cookies and headers, thousands of
//! cookies, non-UTF-8 header bytes, ids that are empty or megabytes long.
//! Each gets a clear answer — anonymous, a 4xx from the HTTP layer, or a
//! 500 from the session store — with memory bounded and no panic.
//!
//! Two layers are tested:
//!
//! * in-process (`test::init_service`, the fixture app of `common`), where
//!   no HTTP parser limits anything, so the library itself meets the input
//!   whole: a 16 MiB `Cookie` header, 10 000 cookies, 2 000 `Cookie`
//!   headers. Peak memory is measured with the kernel's peak-RSS counter
//!   (`VmHWM`, reset through `/proc/self/clear_refs`), so each test that
//!   measures memory runs alone in a process of its own (`alone`): the
//!   suite's other tests run in parallel threads of one process;
//! * a real `HttpServer` on a loopback port, fed raw bytes over TCP: what a
//!   client can actually send is bounded by actix-http first.
//!
//! Also here: regression tests for what the fuzz targets found (see
//! docs/fuzzing.md).

use std::{
    io::{Read, Write},
    net::{SocketAddr, TcpStream},
    process::Command,
    time::Duration,
};

use crate::common::*;
use actix_login::{Profile, SessionProtection};
use actix_session::storage::CookieSessionStore;
use actix_web::{
    http::{header, header::HeaderValue, StatusCode},
    test::TestRequest,
};

/// Runs `test` on an actix system of its own.
fn run<F: std::future::Future<Output = ()>>(test: impl FnOnce() -> F) {
    actix_web::rt::System::new().block_on(test());
}

/// Set in the process `alone` starts: run the test here.
const ALONE: &str = "ACTIX_LOGIN_TEST_ALONE";

/// Runs a test that measures the process's memory alone in a process of
/// its own, where no other test allocates: the test binary runs again with
/// only this test (named by libtest's thread name), and this test runs
/// `test` there. Its output (the measurements) is passed on. When the
/// harness gives no test name (`--test-threads=1` runs tests on the main
/// thread, one at a time), `test` runs here.
fn alone<F: std::future::Future<Output = ()>>(test: impl FnOnce() -> F) {
    let thread = std::thread::current();
    let name = thread.name().filter(|n| *n != "main");
    let (Some(name), None) = (name, std::env::var_os(ALONE)) else {
        return run(test);
    };
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            name,
            "--exact",
            "--include-ignored",
            "--test-threads=1",
            "--nocapture",
        ])
        .env(ALONE, name)
        .output()
        .expect("run the test binary again");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprint!("{stderr}");
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name}, alone in its own process: {}\n{stdout}",
        out.status
    );
}

const MIB: usize = 1 << 20;
const PROFILES: [Profile; 2] = [Profile::V0_6_3, Profile::V0_2_4];

// ------------------------------------------------------------------ memory

fn status_kib(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// Resets the peak-RSS counter and returns the current RSS (KiB).
fn reset_peak() -> usize {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS (clear_refs)");
    status_kib("VmRSS")
}

/// Peak RSS growth (bytes) since `reset_peak` returned `base`.
fn peak_growth(base: usize) -> usize {
    status_kib("VmHWM").saturating_sub(base) * 1024
}

/// GET `path` with exactly these extra headers (raw values).
async fn get_with<S>(
    c: &mut Client<S>,
    path: &str,
    headers: &[(header::HeaderName, HeaderValue)],
) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
{
    let mut req = TestRequest::get().uri(path);
    for (name, value) in headers {
        req = req.append_header((name.clone(), value.clone()));
    }
    c.send(req).await
}

fn cookie(bytes: &[u8]) -> (header::HeaderName, HeaderValue) {
    (
        header::COOKIE,
        HeaderValue::from_bytes(bytes).expect("a header value"),
    )
}

// -------------------------------------------------------------- huge input

/// A 16 MiB remember cookie (ASCII, non-ASCII, and a 16 MiB id with a
/// valid signature for nobody) is anonymous, and costs at most a few
/// copies of itself.
#[test]
fn a_16_mib_remember_cookie_is_anonymous_with_bounded_memory() {
    alone(|| async {
        for profile in PROFILES {
            let mut c = client_with(move |b| b.profile(profile)).await;
            assert_eq!(c.body("/username").await, "Anonymous");
            let signed_nobody =
                manager(|b| b.profile(profile)).encode_cookie(&"x".repeat(16 * MIB));
            let cases: [(&str, Vec<u8>); 4] = [
                (
                    "ascii",
                    [b"remember=1|".as_slice(), &vec![b'a'; 16 * MIB]].concat(),
                ),
                (
                    "latin-1",
                    [b"remember=1|".as_slice(), &vec![0xe9; 16 * MIB]].concat(),
                ),
                (
                    "quoted escapes",
                    [b"remember=\"".as_slice(), &b"\\101".repeat(4 * MIB), b"\""].concat(),
                ),
                (
                    "signed for nobody",
                    format!("remember={signed_nobody}").into_bytes(),
                ),
            ];
            for (label, raw) in cases {
                let h = cookie(&raw);
                let base = reset_peak();
                let r = get_with(&mut c, "/username", &[h]).await;
                let grew = peak_growth(base);
                eprintln!("{profile:?} {label}: peak RSS +{} MiB", grew / MIB);
                if label == "signed for nobody" && profile == Profile::V0_6_3 {
                    // Flask-Login 0.6.3 stores a verified id in the session
                    // before asking the loader, and keeps it when the loader
                    // finds nobody: 16 MiB cannot be saved in the cookie
                    // store, whose save error is a 500 (no cookie set).
                    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{label}");
                    assert!(r.set_cookies().is_empty(), "{label}");
                } else {
                    assert_eq!(r.status, StatusCode::OK, "{profile:?} {label}");
                    assert_eq!(r.body, "Anonymous", "{profile:?} {label}");
                }
                assert!(
                    grew <= 8 * raw.len(),
                    "{profile:?} {label}: a {} MiB cookie raised the peak RSS by {} MiB",
                    raw.len() / MIB,
                    grew / MIB
                );
            }
            // The loader was asked about the 16 MiB id once and found nobody.
            assert_eq!(c.body("/username").await, "Anonymous");
        }
    });
}

/// Repeated huge cookies do not accumulate: the RSS after 40 requests of
/// 2 MiB is where it was after 8.
#[test]
fn huge_cookies_do_not_leak() {
    alone(|| async {
        let mut c = client().await;
        let raw = [b"remember=1|".as_slice(), &vec![0xe9; 2 * MIB]].concat();
        let h = cookie(&raw);
        let mut after_warmup = 0;
        for n in 0..40 {
            let r = get_with(&mut c, "/username", std::slice::from_ref(&h)).await;
            assert_eq!(r.body, "Anonymous");
            if n == 7 {
                after_warmup = status_kib("VmRSS");
            }
        }
        let end = status_kib("VmRSS");
        assert!(
            end.saturating_sub(after_warmup) <= 16 * 1024,
            "RSS grew from {after_warmup} KiB to {end} KiB over 32 requests"
        );
    });
}

/// 10 000 cookies in one header, and 2 000 `Cookie` headers: the remember
/// cookie is still found (Werkzeug's rules: first one wins in 0.6.3, last
/// in 0.2.4), unrelated junk is ignored.
#[test]
fn thousands_of_cookies() {
    alone(|| async {
        for profile in PROFILES {
            let mut c = client_with(move |b| b.profile(profile)).await;
            let good = manager(|b| b.profile(profile)).encode_cookie("2");
            let mut one = String::new();
            for i in 0..10_000 {
                one.push_str(&format!("c{i}=v{i}; "));
            }
            one.push_str(&format!("remember={good}"));
            let base = reset_peak();
            let r = get_with(&mut c, "/username", &[cookie(one.as_bytes())]).await;
            assert_eq!(r.body, "Steve", "{profile:?}: one header, 10 000 cookies");
            assert!(peak_growth(base) <= 64 * MIB);
            c.jar = Jar::default();

            let mut many: Vec<_> = (0..2_000)
                .map(|i| cookie(format!("c{i}=v{i}; junk=\"unterminated").as_bytes()))
                .collect();
            many.push(cookie(format!("remember={good}").as_bytes()));
            let r = get_with(&mut c, "/username", &many).await;
            assert_eq!(r.body, "Steve", "{profile:?}: 2 001 Cookie headers");
            c.jar = Jar::default();

            // 10 000 forged remember cookies before the real one: 0.6.3
            // reads the first (anonymous), 0.2.4 the last (Steve).
            let forged = "remember=2|deadbeef; ".repeat(10_000);
            let r = get_with(
                &mut c,
                "/username",
                &[cookie(format!("{forged}remember={good}").as_bytes())],
            )
            .await;
            let want = if profile == Profile::V0_6_3 {
                "Anonymous"
            } else {
                "Steve"
            };
            assert_eq!(r.body, want, "{profile:?}: 10 000 forged cookies first");
            c.jar = Jar::default();
        }
    });
}

// ------------------------------------------------------------ non-UTF-8

/// Non-UTF-8 bytes in every header the library reads: no panic, no 5xx; a
/// valid remember cookie next to a non-UTF-8 cookie still restores the
/// user (the library reads the raw bytes); a session survives a non-UTF-8
/// `User-Agent` that stays the same, even under strong protection.
#[test]
fn non_utf8_header_bytes() {
    run(|| async {
        for profile in PROFILES {
            let good = manager(|b| b.profile(profile)).encode_cookie("1");
            let mut c = client_with(move |b| {
                b.profile(profile)
                    .session_protection(SessionProtection::Strong)
                    .json_for_api_clients(true)
                    .trusted_proxy("127.0.0.1".parse().unwrap())
            })
            .await;
            let junk: &[u8] = b"\xff\xfe\x80 \xc3\x28 \xe9";
            let mut raw = b"junk=".to_vec();
            raw.extend_from_slice(junk);
            raw.extend_from_slice(format!("; remember={good}").as_bytes());
            let ua = (header::USER_AGENT, HeaderValue::from_bytes(junk).unwrap());
            let r = get_with(&mut c, "/username", &[cookie(&raw), ua.clone()]).await;
            assert_eq!(
                r.body, "Notch",
                "{profile:?}: restored next to a non-UTF-8 cookie"
            );
            // Now the session (set by the restore) with the same odd UA.
            c.user_agent = None;
            let r = get_with(&mut c, "/username", std::slice::from_ref(&ua)).await;
            assert_eq!(
                r.body, "Notch",
                "{profile:?}: same non-UTF-8 User-Agent, same login"
            );
            for (name, value) in [
                (header::ACCEPT, junk),
                (header::X_FORWARDED_FOR, junk),
                (header::HeaderName::from_static("x-requested-with"), junk),
                (header::USER_AGENT, b"\x80\x81\x82".as_slice()),
            ] {
                let h = (name.clone(), HeaderValue::from_bytes(value).unwrap());
                for path in ["/protected", "/username", "/fresh", "/logout"] {
                    let r = get_with(&mut c, path, &[h.clone(), ua.clone()]).await;
                    assert!(
                        !r.status.is_server_error(),
                        "{profile:?} {name} on {path}: {}",
                        r.status
                    );
                }
            }
        }
    });
}

// ------------------------------------------------------------------- ids

/// The empty id works like any other: login, remember, restore.
#[test]
fn empty_id_round_trips() {
    run(|| async {
        for profile in PROFILES {
            let mut c = client_with(move |b| b.profile(profile)).await;
            c.users
                .insert(TestUser::new("", "Nobody-in-particular", true));
            assert_eq!(c.body("/login-as?id=&remember=1").await, "True");
            c.clear_session();
            let r = c.get("/username").await;
            assert_eq!(r.body, "Nobody-in-particular", "{profile:?}");
        }
    });
}

/// Long ids cannot be logged in with the cookie session store: the session
/// is too big to save, which is a 500 from actix-session, with no cookie
/// set (no remember cookie for a login that did not happen), and memory
/// bounded. Through `login_user` the id is 60 KB (a request target cannot
/// be longer in-process: `http::Uri` stops at 64 KiB); through a valid
/// remember cookie (issued by another service with the same secret) it is
/// 4 MiB and the user exists.
#[test]
fn long_ids_are_refused_by_the_cookie_store() {
    alone(|| async {
        for profile in PROFILES {
            let mut c = client_with(move |b| b.profile(profile)).await;
            let id = "m".repeat(60_000);
            c.users.insert(TestUser::new(&id, "Long", true));
            let base = reset_peak();
            let r = c.get(&format!("/login-as?id={id}&remember=1")).await;
            assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{profile:?}");
            assert!(
                r.set_cookies().is_empty(),
                "{profile:?}: {:?}",
                r.set_cookies()
            );
            assert!(peak_growth(base) <= 64 * MIB, "{profile:?}");

            let id = "M".repeat(4 * MIB);
            c.users.insert(TestUser::new(&id, "Huge", true));
            let signed = manager(|b| b.profile(profile)).encode_cookie(&id);
            let h = cookie(format!("remember={signed}").as_bytes());
            let base = reset_peak();
            let r = get_with(&mut c, "/username", &[h]).await;
            assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{profile:?}");
            assert!(r.set_cookies().is_empty());
            assert!(peak_growth(base) <= 64 * MIB, "{profile:?}");
            // Nothing changed for the client, which still works.
            assert_eq!(c.body("/username").await, "Anonymous");
        }
    });
}

/// A 60 KB request target on a guarded page: the login redirect carries
/// it percent-encoded (at most 3 bytes per byte), no panic. (1 MiB is
/// refused by the HTTP layer: see the real-server test.)
#[test]
fn long_request_target() {
    run(|| async {
        let mut c = client_with(|b| b.login_view("/login")).await;
        let target = format!("/protected?q={}", "%C3%A9x".repeat(60_000 / 7));
        let r = c.get(&target).await;
        assert_eq!(r.status, StatusCode::FOUND);
        let location = r.location().expect("a redirect");
        assert!(location.starts_with("/login?next=%2Fprotected%3Fq%3D"));
        assert!(location.len() <= 3 * target.len() + 64);
    });
}

// --------------------------------------------------------- a real server

/// Sends raw bytes on a new connection; returns the status line.
fn raw_request(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(30))).unwrap();
    // The server may answer and close before reading everything.
    let _ = s.write_all(request);
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                reply.extend_from_slice(&buf[..n]);
                if reply.windows(4).any(|w| w == b"\r\n\r\n") {
                    break;
                }
            }
            Err(e) if reply.is_empty() => panic!("no answer: {e}"),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&reply);
    text.lines().next().unwrap_or_default().to_owned()
}

fn status_of(line: &str) -> u16 {
    line.split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a status line: {line:?}"))
}

/// What a client can send to a real server: oversized headers are refused
/// by actix-http with a 4xx before any middleware runs; non-UTF-8 bytes
/// pass and are handled; the server keeps serving after each.
#[test]
fn a_real_server_refuses_oversized_heads_and_keeps_serving() {
    run(|| async {
        let dir = crate::support_faults::Directory::new(3);
        let server = crate::support_faults::Server::start(
            &dir,
            Profile::V0_6_3,
            1,
            CookieSessionStore::default,
        );
        let addr = server.addr;
        let results = actix_web::rt::task::spawn_blocking(move || {
            let get = |extra: &[u8]| {
                let mut req = b"GET /me HTTP/1.1\r\nHost: x\r\nConnection: close\r\n".to_vec();
                req.extend_from_slice(extra);
                req.extend_from_slice(b"\r\n");
                raw_request(addr, &req)
            };
            let mut out = Vec::new();
            let big = [
                b"Cookie: remember_token=".as_slice(),
                &vec![b'a'; MIB],
                b"\r\n",
            ]
            .concat();
            out.push(("a 1 MiB Cookie header", get(&big)));
            let many: Vec<u8> = (0..2_000)
                .flat_map(|i| format!("Cookie: c{i}=v\r\n").into_bytes())
                .collect();
            out.push(("2 000 Cookie headers", get(&many)));
            let line = [
                b"GET /protected?q=".as_slice(),
                &vec![b'a'; MIB],
                b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            ]
            .concat();
            out.push(("a 1 MiB request target", raw_request(addr, &line)));
            out.push((
                "non-UTF-8 Cookie and User-Agent",
                get(
                    b"Cookie: j=\xff\xfe; remember_token=\xe9|\x80\r\nUser-Agent: \xc3\x28\xff\r\n",
                ),
            ));
            out.push(("a normal request", get(b"")));
            out
        })
        .await
        .expect("the raw client");
        for (what, line) in &results[..3] {
            eprintln!("{what}: {line}");
            let status = status_of(line);
            assert!((400..500).contains(&status), "{what}: {line}");
        }
        assert_eq!(
            status_of(&results[3].1),
            200,
            "{}: {}",
            results[3].0,
            results[3].1
        );
        assert_eq!(status_of(&results[4].1), 200, "the server still serves");
        server.stop().await;
    });
}

// ------------------------------------------------ fuzzing regressions

/// Kept from the `remember_cookie` fuzz target (a false positive of its
/// first oracle, not a library bug): an id may embed a signed value,
/// `x|sig(x)`, and the signed value of that id then has `x|sig(x)` as a
/// prefix. That prefix is accepted — as `x`, exactly what its signature
/// says — and no other cut of the value is accepted at all.
#[test]
fn a_signed_value_inside_an_id_is_only_ever_its_own_id() {
    for profile in PROFILES {
        let m = manager(|b| b.profile(profile));
        let inner = "\u{fffd}}\0\u{6}"; // the fuzzer's id, minimized
        let embedded = m.encode_cookie(inner);
        let id = format!("{embedded}\u{fffd}.com");
        let signed = m.encode_cookie(&id);
        for cut in (0..=signed.len()).filter(|&n| signed.is_char_boundary(n)) {
            match m.decode_cookie(&signed[..cut]) {
                None => {}
                Some(got) if cut == signed.len() => assert_eq!(got, id),
                Some(got) => {
                    assert_eq!(cut, embedded.len(), "{profile:?}: cut at {cut}");
                    assert_eq!(got, inner);
                }
            }
        }
    }
}
