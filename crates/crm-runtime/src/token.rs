//! A token cache with single-flight refresh: however many callers find the token expired, one
//! token call is made and the others wait for its result, a failure included: callers that
//! waited on a fetch that failed get its error instead of each trying again.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Error;

/// A token that replaced a refused one and is refused too within this time is not replaced
/// again: the refusal means something else is wrong (the credentials, the corp, a permission),
/// and every further token call would only spend the vendor's token quota.
pub const YOUNG_TOKEN: Duration = Duration::from_secs(60);

/// The error for a vendor that refused a token issued moments ago: `api` with a description
/// that says so.
pub fn refused_young_token(mut api: crate::ApiError, age: Duration) -> Error {
    let why = format!(
        "the vendor refused a token issued {} s ago; a new one would fare no better, so none is fetched: check the credentials and the account's authorization",
        age.as_secs()
    );
    api.description = Some(match api.description.take() {
        Some(d) if !d.is_empty() => format!("{d}; {why}"),
        _ => why,
    });
    api.kind = crate::ApiErrorKind::Auth;
    Error::Api(api)
}

/// A token with its refresh deadline.
#[derive(Debug)]
pub struct Issued<T> {
    /// The token (or whatever the vendor issues: token + corp id, ...).
    pub token: T,
    /// When it was fetched.
    pub issued_at: Instant,
    /// Whether it was fetched to replace a token the vendor refused.
    pub replaces_refused: bool,
    /// When to fetch a new one (ahead of the real expiry by the refresh margin).
    pub refresh_at: Instant,
    /// Increases with each fetch; used to invalidate exactly the token that was rejected.
    pub generation: u64,
}

impl<T> Issued<T> {
    /// Whether the token was fetched less than `age` ago.
    pub fn is_younger_than(&self, age: Duration) -> bool {
        self.issued_at.elapsed() < age
    }

    /// Whether a refusal of this token should be answered with a new token: not when it
    /// already replaced a refused one less than [`YOUNG_TOKEN`] ago (one refresh, then a clear
    /// error instead of a token call per business call).
    pub fn may_be_replaced(&self) -> bool {
        !(self.replaces_refused && self.is_younger_than(YOUNG_TOKEN))
    }
}

/// What the cache holds.
#[derive(Debug)]
enum Slot<T> {
    Empty,
    Token(Arc<Issued<T>>),
    /// The fetch that finished `finished`-th failed with `error`.
    Failed {
        finished: u64,
        error: Error,
    },
}

/// Caches one token. Holds its lock while fetching, so concurrent callers on a cold or expired
/// cache cause exactly one token call; if it fails, the callers that were waiting for it get
/// the same error.
#[derive(Debug)]
pub struct TokenCache<T> {
    slot: tokio::sync::Mutex<Slot<T>>,
    refresh_margin: Duration,
    fetches: AtomicU64,
    /// Fetches finished (successful or not).
    finished: AtomicU64,
    /// The last token was refused: the next one replaces a refused token.
    refused: std::sync::atomic::AtomicBool,
}

impl<T> TokenCache<T> {
    /// A cache that refreshes `refresh_margin` before expiry (or at half the lifetime, if the
    /// vendor issues a token shorter than twice the margin).
    pub fn new(refresh_margin: Duration) -> Self {
        Self {
            slot: tokio::sync::Mutex::new(Slot::Empty),
            refresh_margin,
            fetches: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            refused: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// How many times a token was fetched.
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The cached token, or a new one from `fetch`, which returns the token and its lifetime.
    /// A caller that waited while a fetch failed gets that fetch's error.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<Arc<Issued<T>>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration), Error>>,
    {
        // Fetches that finished before this caller came; one that finishes later (failed) is
        // the one it waited for.
        let seen = self.finished.load(Ordering::SeqCst);
        let mut slot = self.slot.lock().await;
        match &*slot {
            Slot::Token(issued) if Instant::now() < issued.refresh_at => return Ok(issued.clone()),
            Slot::Failed { finished, error } if *finished > seen => return Err(error.clone()),
            _ => {}
        }
        let started = Instant::now();
        let fetched = fetch().await;
        let finished = self.finished.fetch_add(1, Ordering::SeqCst) + 1;
        let (token, lifetime) = match fetched {
            Ok(fetched) => fetched,
            Err(error) => {
                *slot = Slot::Failed {
                    finished,
                    error: error.clone(),
                };
                return Err(error);
            }
        };
        let margin = self.refresh_margin.min(lifetime / 2);
        let generation = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
        let issued = Arc::new(Issued {
            token,
            issued_at: started,
            replaces_refused: self.refused.swap(false, Ordering::SeqCst),
            refresh_at: started + lifetime.saturating_sub(margin),
            generation,
        });
        *slot = Slot::Token(issued.clone());
        Ok(issued)
    }

    /// Drops the token of `generation` (the vendor rejected it), unless it was already
    /// replaced by a newer one.
    pub async fn invalidate(&self, generation: u64) {
        let mut slot = self.slot.lock().await;
        if matches!(&*slot, Slot::Token(t) if t.generation == generation) {
            *slot = Slot::Empty;
            self.refused.store(true, Ordering::SeqCst);
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_fetch_is_shared_with_the_callers_waiting_on_it() {
        let cache = Arc::new(TokenCache::<String>::new(Duration::from_secs(60)));
        let calls = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (cache, calls) = (cache.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async move {
                        calls.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Err(Error::Config("token endpoint down".into()))
                    })
                    .await
                    .map(|t| t.token.clone())
            }));
        }
        for t in tasks {
            assert!(t.await.unwrap().is_err());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one fetch for 20 callers");
        // A caller arriving after the failure tries again.
        let again = cache
            .get(|| async { Ok(("t".to_owned(), Duration::from_secs(7200))) })
            .await
            .unwrap();
        assert_eq!(again.token, "t");
        assert!(again.is_younger_than(Duration::from_secs(60)));
        assert!(
            again.may_be_replaced(),
            "a first token may be replaced when refused"
        );
        cache.invalidate(again.generation).await;
        let replacement = cache
            .get(|| async { Ok(("u".to_owned(), Duration::from_secs(7200))) })
            .await
            .unwrap();
        assert!(
            !replacement.may_be_replaced(),
            "a replacement refused at once is not replaced again"
        );
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

    #[tokio::test(start_paused = true)]
    async fn a_token_shorter_than_twice_the_margin_is_refreshed_at_half_its_lifetime() {
        let cache = TokenCache::<u32>::new(Duration::from_secs(300));
        let fetch = |v| move || async move { Ok((v, Duration::from_secs(400))) };
        cache.get(fetch(1)).await.unwrap();
        tokio::time::advance(Duration::from_secs(199)).await;
        assert_eq!(cache.get(fetch(2)).await.unwrap().token, 1, "still fresh");
        tokio::time::advance(Duration::from_secs(1)).await;
        assert_eq!(
            cache.get(fetch(2)).await.unwrap().token,
            2,
            "refreshed at 200 s"
        );
    }
}
