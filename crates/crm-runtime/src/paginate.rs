//! Pagination as a `Stream` of records, with bounded prefetch and a loop guard.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::future::Future;

use futures::stream::{BoxStream, StreamExt};
use tokio::sync::mpsc;

use crate::error::Error;

/// One page of records and the cursor of the next page (`None` on the last page).
#[derive(Debug, Clone)]
pub struct Page<R, C> {
    /// The records of this page.
    pub records: Vec<R>,
    /// Where the next page starts, or `None` when this was the last.
    pub next: Option<C>,
}

/// Streams every record of every page, starting at `start`.
///
/// A background task fetches pages ahead of the consumer, at most `prefetch` pages (at least
/// one) beyond the one being read, so the next request overlaps with processing but memory stays
/// bounded. A page whose next cursor equals its own cursor is an [`Error::NoProgress`], not an
/// endless loop. The first error ends the stream. Dropping the stream stops the task. Needs a
/// Tokio runtime.
pub fn paginate<R, C, F, Fut>(
    operation: &'static str,
    start: C,
    prefetch: usize,
    mut fetch: F,
) -> BoxStream<'static, Result<R, Error>>
where
    R: Send + 'static,
    C: Clone + PartialEq + Debug + Send + 'static,
    F: FnMut(C) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Page<R, C>, Error>> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<Result<Vec<R>, Error>>(prefetch.max(1));
    tokio::spawn(async move {
        let mut cursor = start;
        loop {
            let page = match fetch(cursor.clone()).await {
                Ok(page) => page,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let next = page.next;
            if tx.send(Ok(page.records)).await.is_err() {
                return; // the consumer is gone
            }
            match next {
                None => return,
                Some(next) if next == cursor => {
                    let detail =
                        format!("the page at {cursor:?} points to itself as the next page");
                    let _ = tx.send(Err(Error::NoProgress { operation, detail })).await;
                    return;
                }
                Some(next) => cursor = next,
            }
        }
    });
    futures::stream::unfold(
        (rx, VecDeque::new(), false),
        |(mut rx, mut buffer, done)| async move {
            loop {
                if let Some(record) = buffer.pop_front() {
                    return Some((Ok(record), (rx, buffer, done)));
                }
                if done {
                    return None;
                }
                match rx.recv().await {
                    Some(Ok(records)) => buffer = records.into(),
                    Some(Err(e)) => return Some((Err(e), (rx, buffer, true))),
                    None => return None,
                }
            }
        },
    )
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    #[tokio::test]
    async fn yields_every_record_once_and_stops() {
        let stream = paginate("list", 0u32, 2, |page| async move {
            let records: Vec<u32> = (page * 10..(page * 10 + 10).min(95)).collect();
            Ok(Page {
                records,
                next: (page < 9).then_some(page + 1),
            })
        });
        let all: Vec<u32> = stream.try_collect().await.unwrap();
        assert_eq!(all, (0..95).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_page_without_progress_is_an_error() {
        let stream = paginate("list", 0u32, 1, |page| async move {
            Ok(Page {
                records: vec![page],
                next: Some((page + 1).min(3)),
            })
        });
        let results: Vec<Result<u32, Error>> = stream.collect().await;
        assert_eq!(results.len(), 5, "0,1,2,3 then the error");
        assert!(matches!(results[4], Err(Error::NoProgress { .. })));
    }
}
