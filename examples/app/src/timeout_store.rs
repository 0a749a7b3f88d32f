//! A session store that gives up after a deadline.
//!
//! actix-session's Redis store waits as long as its connection manager does,
//! and with Redis down that is indefinitely: every request would hang. Wrapped
//! in [`TimeoutStore`], a store that does not answer in time is an error, which
//! the session middleware turns into a `500` — a clean failure the client can
//! retry, with the session left as it was in Redis.

use std::{collections::HashMap, time::Duration as StdDuration};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::{cookie::time::Duration, rt::time::timeout};

/// `S` with every operation bounded by `limit`.
#[derive(Clone)]
pub struct TimeoutStore<S> {
    inner: S,
    limit: StdDuration,
}

impl<S> TimeoutStore<S> {
    /// Wraps `inner`.
    pub fn new(inner: S, limit: StdDuration) -> Self {
        TimeoutStore { inner, limit }
    }

    fn late(&self) -> anyhow::Error {
        anyhow::anyhow!("the session store did not answer within {:?}", self.limit)
    }
}

impl<S: SessionStore> SessionStore for TimeoutStore<S> {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        timeout(self.limit, self.inner.load(key))
            .await
            .unwrap_or_else(|_| Err(LoadError::Other(self.late())))
    }

    async fn save(
        &self,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        timeout(self.limit, self.inner.save(state, ttl))
            .await
            .unwrap_or_else(|_| Err(SaveError::Other(self.late())))
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        timeout(self.limit, self.inner.update(key, state, ttl))
            .await
            .unwrap_or_else(|_| Err(UpdateError::Other(self.late())))
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        timeout(self.limit, self.inner.update_ttl(key, ttl))
            .await
            .unwrap_or_else(|_| Err(self.late()))
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        timeout(self.limit, self.inner.delete(key))
            .await
            .unwrap_or_else(|_| Err(self.late()))
    }
}
