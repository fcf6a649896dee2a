//! [`FakeSource`]: a deterministic in-memory source for tests and benchmarks (feature
//! `test-util`).
//!
//! It behaves like a live tenant, not like a frozen list: every page is a separate "vendor
//! call" that reads the data as it is at that moment, so records created, edited or
//! deleted between pages (see [`FakeSource::during_next_read`]) are seen the way a real
//! keyset read would see them. Its incremental read implements the Fxiaoke keyset itself,
//! with the two AND-only filters the vendor offers: `modified_at EQ t AND id GT id` until a
//! short page, then `modified_at GT t`, so any number of records sharing one millisecond is
//! read exactly once. Its full read pages by `id GT last id`.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use futures::StreamExt;
use serde_json::value::RawValue;

use crate::source::{Page, PageStream, Read, Record, Source, SourceError, SourceKind, Vendor};

/// A record held by a [`FakeSource`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakeRecord {
    /// Modification time, epoch ms.
    pub modified_at: i64,
    /// The JSON text the fake "vendor" sends.
    pub json: String,
}

/// A change to the data of a [`FakeSource`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Creates or replaces a record.
    Put {
        /// The id.
        id: String,
        /// The new modification time, epoch ms.
        modified_at: i64,
        /// The new JSON text.
        json: String,
    },
    /// Deletes a record physically (as the vendor's recycle bin emptying would).
    Remove {
        /// The id.
        id: String,
    },
}

/// A failure injected into the next read of a [`FakeSource`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// After `pages` pages, the read yields an error (like a vendor error or an exhausted
    /// quota) and ends.
    ErrorAfter {
        /// Pages delivered before the error.
        pages: u64,
    },
    /// After `pages` pages, the next page carries an extra record with an empty id.
    RecordWithoutIdAfter {
        /// Pages delivered before the bad one.
        pages: u64,
    },
}

/// The error a [`FakeSource`] yields for [`Fault::ErrorAfter`] or for invalid JSON.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("fake vendor: {0}")]
pub struct FakeError(pub String);

/// A small deterministic random number generator (SplitMix64), so that seeded data is the
/// same on every machine and in every process.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

#[derive(Default)]
struct Data {
    records: BTreeMap<String, FakeRecord>,
    by_time: BTreeSet<(i64, String)>,
    faults: Vec<Fault>,
    changes: Vec<(u64, Change)>,
}

impl Data {
    fn apply(&mut self, change: Change) {
        match change {
            Change::Put {
                id,
                modified_at,
                json,
            } => {
                if let Some(old) = self.records.get(&id) {
                    self.by_time.remove(&(old.modified_at, id.clone()));
                }
                self.by_time.insert((modified_at, id.clone()));
                self.records.insert(id, FakeRecord { modified_at, json });
            }
            Change::Remove { id } => {
                if let Some(old) = self.records.remove(&id) {
                    self.by_time.remove(&(old.modified_at, id));
                }
            }
        }
    }
}

/// Where a read stands between two calls.
#[derive(Clone, Debug)]
enum Position {
    /// `modified_at EQ t AND id GT after`, ordered by id.
    Tie {
        t: i64,
        after: String,
    },
    /// `modified_at GT t` (everything when `None`), ordered by `(modified_at, id)`.
    After {
        t: Option<i64>,
    },
    /// `id GT after` (everything when `None`), ordered by id.
    Full {
        after: Option<String>,
    },
    Done,
}

/// A deterministic in-memory source; see the module docs.
pub struct FakeSource {
    vendor: Vendor,
    object: String,
    kind: SourceKind,
    page_size: usize,
    page_delay: Duration,
    data: Mutex<Data>,
    calls: AtomicU64,
}

impl std::fmt::Debug for FakeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSource")
            .field("vendor", &self.vendor)
            .field("object", &self.object)
            .field("kind", &self.kind)
            .field("page_size", &self.page_size)
            .field("records", &self.data().records.len())
            .finish_non_exhaustive()
    }
}

impl FakeSource {
    /// An empty source with pages of 100 records.
    pub fn new(vendor: Vendor, object: impl Into<String>, kind: SourceKind) -> Self {
        FakeSource {
            vendor,
            object: object.into(),
            kind,
            page_size: 100,
            page_delay: Duration::ZERO,
            data: Mutex::new(Data::default()),
            calls: AtomicU64::new(0),
        }
    }

    /// Records per page (at least 1).
    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// A pause before each call (to make a sync slow enough to interrupt).
    pub fn with_page_delay(mut self, delay: Duration) -> Self {
        self.page_delay = delay;
        self
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Creates or replaces a record.
    pub fn put(&self, id: impl Into<String>, modified_at: i64, json: impl Into<String>) {
        self.apply(Change::Put {
            id: id.into(),
            modified_at,
            json: json.into(),
        });
    }

    /// Deletes a record physically; whether it existed.
    pub fn remove(&self, id: &str) -> bool {
        let existed = self.data().records.contains_key(id);
        self.apply(Change::Remove { id: id.to_owned() });
        existed
    }

    /// Applies a change now.
    pub fn apply(&self, change: Change) {
        self.data().apply(change);
    }

    /// Every record, by id.
    pub fn records(&self) -> BTreeMap<String, FakeRecord> {
        self.data().records.clone()
    }

    /// How many records it holds.
    pub fn len(&self) -> usize {
        self.data().records.len()
    }

    /// Whether it holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The latest modification time held (`None` when empty).
    pub fn max_modified_at(&self) -> Option<i64> {
        self.data().by_time.last().map(|(t, _)| *t)
    }

    /// Injects a fault into the next read only.
    pub fn fail_next_read(&self, fault: Fault) {
        self.data().faults.push(fault);
    }

    /// Applies `change` during the next read only, once `after_pages` pages were delivered
    /// (before the next call), like an edit a user makes while a sync runs.
    pub fn during_next_read(&self, after_pages: u64, change: Change) {
        self.data().changes.push((after_pages, change));
    }

    /// Adds `count` seeded records with modification times from `first_ms` on, about 150
    /// per millisecond value (so ties are larger than a default page). Returns the ids.
    pub fn seed(&self, seed: u64, count: usize, first_ms: i64) -> Vec<String> {
        let mut rng = SplitMix64::new(seed);
        let groups = (count as u64 / 150).max(1);
        let mut ids = Vec::with_capacity(count);
        let mut data = self.data();
        while ids.len() < count {
            let id = format!("{:016x}", rng.next_u64());
            if data.records.contains_key(&id) {
                continue;
            }
            let t = first_ms.saturating_add(i64::try_from(rng.below(groups)).unwrap_or(0) * 1000);
            let json = seeded_json(&mut rng, &id, t, 0);
            data.apply(Change::Put {
                id: id.clone(),
                modified_at: t,
                json,
            });
            ids.push(id);
        }
        ids
    }

    /// Deterministic changes from a seed: `edits` existing records get a new JSON and a
    /// modification time in `at_ms..at_ms + 3` (ties again), `creates` new records appear
    /// at those times, and `deletes` records are removed physically. Returns the changes
    /// (already applied).
    pub fn seeded_changes(
        &self,
        seed: u64,
        edits: usize,
        creates: usize,
        deletes: usize,
        at_ms: i64,
    ) -> Vec<Change> {
        let mut rng = SplitMix64::new(seed);
        let mut changes = Vec::new();
        let mut data = self.data();
        for n in 0..edits {
            let Some(id) = pick(&mut rng, &data.records) else {
                break;
            };
            let t = at_ms.saturating_add(i64::try_from(rng.below(3)).unwrap_or(0));
            let json = seeded_json(&mut rng, &id, t, n as u64 + 1);
            changes.push(Change::Put {
                id,
                modified_at: t,
                json,
            });
            if let Some(c) = changes.last() {
                data.apply(c.clone());
            }
        }
        for _ in 0..creates {
            let id = format!("{:016x}", rng.next_u64());
            let t = at_ms.saturating_add(i64::try_from(rng.below(3)).unwrap_or(0));
            let json = seeded_json(&mut rng, &id, t, 0);
            let change = Change::Put {
                id,
                modified_at: t,
                json,
            };
            data.apply(change.clone());
            changes.push(change);
        }
        for _ in 0..deletes {
            let Some(id) = pick(&mut rng, &data.records) else {
                break;
            };
            let change = Change::Remove { id };
            data.apply(change.clone());
            changes.push(change);
        }
        changes
    }

    /// One vendor call at `position`: the records it returns and the next position.
    fn call(&self, position: &Position) -> (Vec<(String, FakeRecord)>, Position) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let n = self.page_size;
        let data = self.data();
        let record = |id: &String| data.records.get(id).map(|r| (id.clone(), r.clone()));
        match position {
            Position::Tie { t, after } => {
                let found: Vec<_> = data
                    .by_time
                    .range((Bound::Excluded((*t, after.clone())), Bound::Unbounded))
                    .take_while(|(m, _)| m == t)
                    .take(n)
                    .filter_map(|(_, id)| record(id))
                    .collect();
                let next = match found.last() {
                    Some((id, _)) if found.len() == n => Position::Tie {
                        t: *t,
                        after: id.clone(),
                    },
                    _ => Position::After { t: Some(*t) },
                };
                (found, next)
            }
            Position::After { t } => {
                let from = match t {
                    None => Bound::Unbounded,
                    Some(t) => match t.checked_add(1) {
                        Some(next) => Bound::Included((next, String::new())),
                        None => return (Vec::new(), Position::Done),
                    },
                };
                let found: Vec<_> = data
                    .by_time
                    .range((from, Bound::Unbounded))
                    .take(n)
                    .filter_map(|(_, id)| record(id))
                    .collect();
                let next = match found.last() {
                    Some((id, r)) if found.len() == n => Position::Tie {
                        t: r.modified_at,
                        after: id.clone(),
                    },
                    _ => Position::Done,
                };
                (found, next)
            }
            Position::Full { after } => {
                let from = match after {
                    None => Bound::Unbounded,
                    Some(a) => Bound::Excluded(a.clone()),
                };
                let found: Vec<_> = data
                    .records
                    .range::<String, _>((from, Bound::Unbounded))
                    .take(n)
                    .map(|(id, r)| (id.clone(), r.clone()))
                    .collect();
                let next = match found.last() {
                    Some((id, _)) if found.len() == n => Position::Full {
                        after: Some(id.clone()),
                    },
                    _ => Position::Done,
                };
                (found, next)
            }
            Position::Done => (Vec::new(), Position::Done),
        }
    }
}

fn pick(rng: &mut SplitMix64, records: &BTreeMap<String, FakeRecord>) -> Option<String> {
    let n = records.len() as u64;
    if n == 0 {
        return None;
    }
    let i = usize::try_from(rng.below(n)).unwrap_or(0);
    records.keys().nth(i).cloned()
}

/// A record the way a CRM sends it, with its keys in one of two orders.
fn seeded_json(rng: &mut SplitMix64, id: &str, t: i64, version: u64) -> String {
    let amount = rng.below(1_000_000);
    let name = format!("客户 {}", rng.below(10_000));
    let owner = rng.below(100) + 1000;
    if rng.below(2) == 0 {
        format!(
            r#"{{"_id":"{id}","name":"{name}","payment_amount":"{}.{:02}","owner":["{owner}"],"last_modified_time":{t},"version":{version},"field_x__c":null}}"#,
            amount / 100,
            amount % 100
        )
    } else {
        format!(
            r#"{{"version":{version}, "field_x__c":null, "owner":["{owner}"], "last_modified_time":{t}, "payment_amount":"{}.{:02}", "name":"{name}", "_id":"{id}"}}"#,
            amount / 100,
            amount % 100
        )
    }
}

struct ReadState {
    position: Position,
    delivered: u64,
    faults: Vec<Fault>,
    changes: Vec<(u64, Change)>,
}

impl Source for FakeSource {
    fn vendor(&self) -> Vendor {
        self.vendor
    }

    fn object(&self) -> &str {
        &self.object
    }

    fn kind(&self) -> SourceKind {
        self.kind
    }

    fn pages(&self, read: Read) -> PageStream<'_> {
        let (faults, changes) = {
            let mut data = self.data();
            (
                std::mem::take(&mut data.faults),
                std::mem::take(&mut data.changes),
            )
        };
        let position = match read {
            Read::Full => Position::Full { after: None },
            Read::Incremental { after: None } => Position::After { t: None },
            Read::Incremental { after: Some(c) } => Position::Tie {
                t: c.modified_at,
                after: c.id,
            },
        };
        let state = ReadState {
            position,
            delivered: 0,
            faults,
            changes,
        };
        futures::stream::unfold(state, move |mut st| async move {
            loop {
                if matches!(st.position, Position::Done) {
                    return None;
                }
                let due: Vec<Change> = {
                    let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut st.changes)
                        .into_iter()
                        .partition(|(after, _)| *after <= st.delivered);
                    st.changes = later;
                    due.into_iter().map(|(_, c)| c).collect()
                };
                for change in due {
                    self.apply(change);
                }
                if st
                    .faults
                    .iter()
                    .any(|f| matches!(f, Fault::ErrorAfter { pages } if *pages <= st.delivered))
                {
                    self.calls.fetch_add(1, Ordering::Relaxed);
                    st.position = Position::Done;
                    let error: SourceError = Box::new(FakeError(format!(
                        "injected failure after {} pages (quota exhausted)",
                        st.delivered
                    )));
                    return Some((Err(error), st));
                }
                if !self.page_delay.is_zero() {
                    tokio::time::sleep(self.page_delay).await;
                }
                let (found, next) = self.call(&st.position);
                st.position = next;
                if found.is_empty() {
                    continue;
                }
                let mut records = Vec::with_capacity(found.len() + 1);
                for (id, r) in found {
                    match RawValue::from_string(r.json) {
                        Ok(json) => records.push(Record::new(id, json, Some(r.modified_at))),
                        Err(e) => {
                            st.position = Position::Done;
                            let error: SourceError =
                                Box::new(FakeError(format!("record {id} is not JSON: {e}")));
                            return Some((Err(error), st));
                        }
                    }
                }
                let bad = st.faults.iter().any(
                    |f| matches!(f, Fault::RecordWithoutIdAfter { pages } if *pages == st.delivered),
                );
                if bad
                    && let Ok(record) = Record::from_json("", r#"{"name":"no id"}"#, Some(0))
                {
                    records.push(record);
                }
                st.delivered += 1;
                return Some((Ok(Page::new(records)), st));
            }
        })
        .boxed()
    }

    fn vendor_calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cursor;
    use futures::TryStreamExt;

    fn ids(pages: &[Page]) -> Vec<String> {
        pages
            .iter()
            .flat_map(|p| p.records.iter().map(|r| r.id.clone()))
            .collect()
    }

    async fn read(source: &FakeSource, read: Read) -> Vec<Page> {
        source.pages(read).try_collect().await.expect("read")
    }

    #[tokio::test]
    async fn a_tie_larger_than_a_page_is_read_exactly_once_in_key_order() {
        let s = FakeSource::new(Vendor::Fxiaoke, "AccountObj", SourceKind::Incremental)
            .with_page_size(3);
        for i in 0..10 {
            s.put(format!("t{i:02}"), 5, "{}");
        }
        s.put("a", 4, "{}");
        s.put("z", 6, "{}");
        let pages = read(&s, Read::Incremental { after: None }).await;
        let got = ids(&pages);
        let mut want = vec!["a".to_owned()];
        want.extend((0..10).map(|i| format!("t{i:02}")));
        want.push("z".to_owned());
        assert_eq!(got, want);

        let after = read(
            &s,
            Read::Incremental {
                after: Some(Cursor::new(5, "t04")),
            },
        )
        .await;
        assert_eq!(ids(&after).first().map(String::as_str), Some("t05"));
        assert_eq!(ids(&after).len(), 6);
        let from_ms = read(
            &s,
            Read::Incremental {
                after: Some(Cursor::new(5, "")),
            },
        )
        .await;
        assert_eq!(ids(&from_ms).len(), 11);
    }

    #[tokio::test]
    async fn a_full_read_pages_by_id() {
        let s = FakeSource::new(Vendor::U8, "contacts", SourceKind::FullPass).with_page_size(2);
        s.seed(1, 7, 0);
        let pages = read(&s, Read::Full).await;
        assert_eq!(pages.len(), 4);
        let got = ids(&pages);
        let want: Vec<String> = s.records().into_keys().collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn faults_and_changes_apply_to_the_next_read_only() {
        let s = FakeSource::new(Vendor::U8, "contacts", SourceKind::FullPass).with_page_size(2);
        s.seed(2, 6, 0);
        s.fail_next_read(Fault::ErrorAfter { pages: 1 });
        let items: Vec<_> = s.pages(Read::Full).collect().await;
        assert_eq!(items.len(), 2);
        assert!(items[1].is_err());
        assert_eq!(read(&s, Read::Full).await.len(), 3);

        s.during_next_read(
            1,
            Change::Put {
                id: "zzzz".into(),
                modified_at: 9,
                json: "{}".into(),
            },
        );
        assert_eq!(ids(&read(&s, Read::Full).await).len(), 7);
    }

    #[test]
    fn seeded_data_is_deterministic() {
        let a = FakeSource::new(Vendor::Fxiaoke, "o", SourceKind::Incremental);
        let b = FakeSource::new(Vendor::Fxiaoke, "o", SourceKind::Incremental);
        a.seed(7, 500, 1_000);
        b.seed(7, 500, 1_000);
        assert_eq!(
            a.seeded_changes(8, 20, 5, 5, 9_000),
            b.seeded_changes(8, 20, 5, 5, 9_000)
        );
        assert_eq!(a.records(), b.records());
        assert_eq!(a.len(), 500);
    }
}
