//! A token cache with single-flight refresh: however many callers find the token expired, one
//! token call is made and the others wait for its result.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

/// A token with its refresh deadline.
#[derive(Debug)]
pub struct Issued<T> {
    /// The token (or whatever the vendor issues: token + corp id, ...).
    pub token: T,
    /// When to fetch a new one (ahead of the real expiry by the refresh margin).
    pub refresh_at: Instant,
    /// Increases with each fetch; used to invalidate exactly the token that was rejected.
    pub generation: u64,
}

/// Caches one token. Holds its lock while fetching, so concurrent callers on a cold or expired
/// cache cause exactly one token call.
#[derive(Debug)]
pub struct TokenCache<T> {
    slot: tokio::sync::Mutex<Option<Arc<Issued<T>>>>,
    refresh_margin: Duration,
    fetches: AtomicU64,
}

impl<T> TokenCache<T> {
    /// A cache that refreshes `refresh_margin` before expiry (or at half the lifetime, if the
    /// vendor issues a token shorter than twice the margin).
    pub fn new(refresh_margin: Duration) -> Self {
        Self {
            slot: tokio::sync::Mutex::new(None),
            refresh_margin,
            fetches: AtomicU64::new(0),
        }
    }

    /// How many times a token was fetched.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The cached token, or a new one from `fetch`, which returns the token and its lifetime.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<Issued<T>>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration), Error>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(issued) = slot.as_ref().filter(|t| Instant::now() < t.refresh_at) {
            return Ok(issued.clone());
        }
        let started = Instant::now();
        let (token, lifetime) = fetch().await?;
        let margin = self.refresh_margin.min(lifetime / 2);
        let generation = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
        let issued = Arc::new(Issued {
            token,
            refresh_at: started + lifetime.saturating_sub(margin),
            generation,
        });
        *slot = Some(issued.clone());
        Ok(issued)
    }

    /// Drops the token of `generation` (the vendor rejected it), unless it was already
    /// replaced by a newer one.
    pub async fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|t| t.generation == generation) {
            *slot = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_fetch_for_many_callers() {
        let cache = Arc::new(TokenCache::<String>::new(Duration::from_secs(60)));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let cache = cache.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(("t".to_owned(), Duration::from_secs(7200)))
                    })
                    .await
                    .map(|t| t.token.clone())
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), "t");
        }
        assert_eq!(cache.fetch_count(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_ahead_and_invalidates_once() {
        let cache = TokenCache::<u32>::new(Duration::from_secs(300));
        let fetch = |v| move || async move { Ok((v, Duration::from_secs(7200))) };
        let a = cache.get(fetch(1)).await.unwrap();
        tokio::time::advance(Duration::from_secs(6800)).await;
        assert_eq!(cache.get(fetch(2)).await.unwrap().token, 1, "still fresh");
        tokio::time::advance(Duration::from_secs(200)).await;
        let b = cache.get(fetch(2)).await.unwrap();
        assert_eq!(b.token, 2, "refreshed 300 s before expiry");
        cache.invalidate(a.generation).await; // stale generation: ignored
        assert_eq!(cache.get(fetch(3)).await.unwrap().token, 2);
        cache.invalidate(b.generation).await;
        assert_eq!(cache.get(fetch(3)).await.unwrap().token, 3);
    }
}
