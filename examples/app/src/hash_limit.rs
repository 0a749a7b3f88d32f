//! A bound on how many Argon2 computations run at once, across every worker
//! of the app.
//!
//! Each Argon2 hash or verification holds 46 MiB while it runs (see
//! `Hashing::params` in `db.rs`). The login throttle (`throttle.rs`) bounds
//! the guesses per account name and per client address, but not their
//! total: a flood from many addresses against many names passes it, and
//! without a bound every one of those checks would run at once, N × 46 MiB
//! for N concurrent logins, until the process runs out of memory. So every
//! Argon2 computation a request starts goes through [`HashGate::run`] (the
//! `Db` methods that hash or verify call it; `db.rs` exposes no other way):
//!
//! - at most [`HashingLimit::concurrency`] run at once, so they never take
//!   more than `concurrency` × 46 MiB. The default is one per CPU: with
//!   p = 1 an Argon2 computation keeps one core busy, and more at once would
//!   only make each slower;
//! - the others wait in line (tokio's `Semaphore`, first come first served),
//!   each for at most [`HashingLimit::max_wait`]; past it the request is
//!   answered `503 Service Unavailable` with `Retry-After` ([`Busy`]), so a
//!   flood turns into quick refusals instead of a growing pile of waiting
//!   requests. The throttle has already counted the attempt;
//! - the computation runs on the blocking thread pool (`web::block`), off
//!   the async workers, and holds its permit until it ends: the permit moves
//!   into the job, so a request dropped mid-way (the client went away) does
//!   not free a permit while its computation still runs.
//!
//! The hashes made at startup, to seed the database, run one after the
//! other before the server accepts a request.

use std::{
    fmt,
    num::NonZeroUsize,
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use actix_web::{
    http::{header, StatusCode},
    rt::time::timeout,
    web, HttpResponse, ResponseError,
};
use tokio::sync::Semaphore;

/// How long a request waits for a free computation before it gets a `503`.
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(5);

/// How many Argon2 computations may run at once, and how long a request
/// waits for one (`HASHING_CONCURRENCY`, `HASHING_MAX_WAIT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashingLimit {
    /// At most this many at once: the app's Argon2 memory is at most this
    /// many × 46 MiB. Default: the number of CPUs.
    pub concurrency: NonZeroUsize,
    /// How long a request waits in line before it is answered `503`.
    /// Default [`DEFAULT_MAX_WAIT`]; zero: never wait.
    pub max_wait: Duration,
    /// **Tests only** (`TEST_HASHING_HOLD`): while this file exists, every
    /// computation waits after taking its permit, and the app notes on
    /// standard error each one that starts (with how many are running) and
    /// each request that has to wait in line. The end-to-end tests hold a
    /// computation this way to see the bound, without relying on timing.
    pub test_hold: Option<PathBuf>,
}

impl Default for HashingLimit {
    fn default() -> Self {
        HashingLimit {
            concurrency: default_concurrency(),
            max_wait: DEFAULT_MAX_WAIT,
            test_hold: None,
        }
    }
}

/// One computation per CPU (at least one).
pub fn default_concurrency() -> NonZeroUsize {
    std::thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
}

/// The bound itself: made once from a [`HashingLimit`], shared by every
/// worker (clones share the permits).
#[derive(Debug, Clone)]
pub struct HashGate {
    permits: Arc<Semaphore>,
    max_wait: Duration,
    hold: Option<Arc<Hold>>,
}

impl HashGate {
    /// A gate with `limit.concurrency` permits.
    pub fn new(limit: &HashingLimit) -> HashGate {
        HashGate {
            permits: Arc::new(Semaphore::new(limit.concurrency.get())),
            max_wait: limit.max_wait,
            hold: limit.test_hold.clone().map(|path| {
                Arc::new(Hold {
                    path,
                    running: AtomicUsize::new(0),
                })
            }),
        }
    }

    /// Runs `job`, an Argon2 computation, on the blocking thread pool once a
    /// permit is free.
    ///
    /// # Errors
    ///
    /// [`Busy`] (503) when no permit came free within the wait; a `500` if
    /// the job panicked.
    pub async fn run<T, F>(&self, job: F) -> actix_web::Result<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                if self.hold.is_some() {
                    eprintln!("hashing: waiting for a permit");
                }
                let wait = Arc::clone(&self.permits).acquire_owned();
                match timeout(self.max_wait, wait).await {
                    Ok(Ok(permit)) => permit,
                    // Waited too long (the semaphore is never closed).
                    Ok(Err(_)) | Err(_) => {
                        return Err(Busy {
                            retry_after: self.max_wait.as_secs().max(1),
                        }
                        .into())
                    }
                }
            }
        };
        let hold = self.hold.clone();
        Ok(web::block(move || {
            // Dropped when the job ends, in reverse order: the count, then
            // the permit.
            let _permit = permit;
            let _running = hold.as_deref().map(Hold::enter);
            job()
        })
        .await?)
    }
}

/// The test hook behind [`HashingLimit::test_hold`].
#[derive(Debug)]
struct Hold {
    path: PathBuf,
    running: AtomicUsize,
}

impl Hold {
    /// Counts a computation in, notes it, and waits while the file exists.
    fn enter(&self) -> Running<'_> {
        let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        eprintln!("hashing: started, {running} running");
        while self.path.exists() {
            std::thread::sleep(Duration::from_millis(10));
        }
        Running(self)
    }
}

/// Counts a computation out when dropped.
struct Running<'a>(&'a Hold);

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// No Argon2 computation came free in time: `503 Service Unavailable`, with
/// `Retry-After`. The password was not checked.
#[derive(Debug)]
pub struct Busy {
    retry_after: u64,
}

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("too many password checks at once")
    }
}

impl ResponseError for Busy {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::ServiceUnavailable()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::RETRY_AFTER, self.retry_after))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(
                "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                 <title>503 Service Unavailable · actix-login demo</title>\
                 <link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main>\
                 <h1>503 Service Unavailable</h1><p id=\"busy\">Too many passwords are \
                 being checked right now, and yours was not. Please try again in a few \
                 seconds.</p><p><a href=\"/\">Home</a></p></main></body></html>",
            )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use tokio::sync::oneshot;

    use super::*;

    #[actix_web::test]
    async fn a_dropped_request_keeps_its_permit_until_its_computation_ends() {
        let gate = HashGate::new(&HashingLimit {
            concurrency: NonZeroUsize::MIN,
            max_wait: Duration::ZERO,
            test_hold: None,
        });
        let (started, has_started) = oneshot::channel();
        let (release, released) = mpsc::channel::<()>();
        let first = actix_web::rt::spawn({
            let gate = gate.clone();
            async move {
                gate.run(move || {
                    started.send(()).unwrap();
                    released.recv().unwrap();
                })
                .await
            }
        });
        has_started.await.unwrap();
        // The request goes away; its computation still runs, and still
        // holds the only permit.
        first.abort();
        assert!(first.await.is_err());
        let busy = gate.run(|| ()).await.unwrap_err();
        let res = busy.error_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers().get(header::RETRY_AFTER).unwrap(), "1");
        // Once it ends, the permit is free again.
        release.send(()).unwrap();
        let patient = HashGate {
            max_wait: Duration::from_secs(600),
            ..gate
        };
        assert_eq!(patient.run(|| 42).await.unwrap(), 42);
    }
}
