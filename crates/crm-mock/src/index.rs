//! An ordered index of a mock's records by their key (`_id`, a code): what a page needs
//! without a scan of every record.
//!
//! A sorted sequence of sorted chunks (each at most `MAX_CHUNK` entries, never empty). It
//! answers:
//! - a lookup, an insert and a remove in `O(log n + MAX_CHUNK)`;
//! - a walk from a key bound in either direction, `O(log n)` to start and `O(1)` per step;
//! - a walk from a position (the `n`-th record, for page-number paging) and the number of
//!   keys in a range (the `total` of a page), both in `O(log n + n / MAX_CHUNK)`, which a
//!   `BTreeMap` cannot do without walking every record before the position or in the range.

use std::cmp::Ordering;
use std::ops::Bound;

/// Largest chunk: a full one splits in two halves.
const MAX_CHUNK: usize = 512;

/// Key → value, sorted by key (byte order, as `str` compares).
#[derive(Clone, Debug)]
pub struct OrderedIndex<V> {
    chunks: Vec<Vec<(Box<str>, V)>>,
    len: usize,
}

impl<V> Default for OrderedIndex<V> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

/// A position: chunk and offset inside it (`offset == chunk.len()` only for the end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Pos {
    chunk: usize,
    offset: usize,
}

impl<V> OrderedIndex<V> {
    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds `id` or where it would go: the first whose last key is `>= id`,
    /// else the last chunk.
    fn chunk_for(&self, id: &str) -> usize {
        let i = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|(k, _)| &**k < id));
        i.min(self.chunks.len().saturating_sub(1))
    }

    /// The first position whose key is `>= id` (`strict`: `> id`).
    fn lower(&self, id: &str, strict: bool) -> Pos {
        let chunk = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|(k, _)| is_before(k, id, strict)));
        match self.chunks.get(chunk) {
            Some(c) => Pos {
                chunk,
                offset: c.partition_point(|(k, _)| is_before(k, id, strict)),
            },
            None => self.end(),
        }
    }

    /// The position after the last entry.
    fn end(&self) -> Pos {
        Pos {
            chunk: self.chunks.len(),
            offset: 0,
        }
    }

    /// The number of entries before `pos`.
    fn rank(&self, pos: Pos) -> usize {
        self.chunks[..pos.chunk.min(self.chunks.len())]
            .iter()
            .map(Vec::len)
            .sum::<usize>()
            + pos.offset
    }

    /// The position of a bound taken as the start of a range.
    fn start_of(&self, bound: Bound<&str>) -> Pos {
        match bound {
            Bound::Unbounded => Pos {
                chunk: 0,
                offset: 0,
            },
            Bound::Included(id) => self.lower(id, false),
            Bound::Excluded(id) => self.lower(id, true),
        }
    }

    /// The position just after the end of a range ending at `bound`.
    fn end_of(&self, bound: Bound<&str>) -> Pos {
        match bound {
            Bound::Unbounded => self.end(),
            Bound::Included(id) => self.lower(id, true),
            Bound::Excluded(id) => self.lower(id, false),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        let chunk = self.chunks.get(self.chunk_for(key))?;
        let i = chunk.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?;
        Some(&chunk[i].1)
    }

    /// The value of `key`, to change in place.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        let c = self.chunk_for(key);
        let chunk = self.chunks.get_mut(c)?;
        let i = chunk.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?;
        Some(&mut chunk[i].1)
    }

    /// Whether `key` is stored.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Stores `value` under `key`; the value it replaces, if any.
    pub fn insert(&mut self, key: &str, value: V) -> Option<V> {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::new());
        }
        let c = self.chunk_for(key);
        let last = c + 1 == self.chunks.len();
        let chunk = &mut self.chunks[c];
        match chunk.binary_search_by(|(k, _)| (**k).cmp(key)) {
            Ok(i) => Some(std::mem::replace(&mut chunk[i].1, value)),
            Err(i) => {
                chunk.insert(i, (key.into(), value));
                self.len += 1;
                if chunk.len() > MAX_CHUNK {
                    // Appends (growing keys, the usual case) leave full chunks behind them;
                    // other inserts split in halves.
                    let appended = i + 1 == chunk.len() && last;
                    let at = if appended {
                        chunk.len() - 1
                    } else {
                        chunk.len() / 2
                    };
                    let tail = chunk.split_off(at);
                    // The chunk doubled its capacity to take the entry that overflowed it.
                    chunk.shrink_to_fit();
                    self.chunks.insert(c + 1, tail);
                }
                None
            }
        }
    }

    /// Removes `key`; its value if it was stored.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let c = self.chunk_for(key);
        let chunk = self.chunks.get_mut(c)?;
        let i = chunk.binary_search_by(|(k, _)| (**k).cmp(key)).ok()?;
        let (_, value) = chunk.remove(i);
        if chunk.is_empty() {
            self.chunks.remove(c);
        } else if chunk.len() < MAX_CHUNK / 4 && c + 1 < self.chunks.len() {
            // Merge small neighbours so that deletes never leave a long tail of tiny chunks.
            if self.chunks[c].len() + self.chunks[c + 1].len() <= MAX_CHUNK {
                let next = self.chunks.remove(c + 1);
                self.chunks[c].extend(next);
            }
        }
        self.len -= 1;
        Some(value)
    }

    /// Removes every entry.
    pub fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    /// Every entry, ascending.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &V)> {
        self.chunks.iter().flatten().map(|(k, v)| (&**k, v))
    }

    /// Every key, ascending.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.iter().map(|(k, _)| k)
    }

    /// Every value, ascending by key.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &V> {
        self.iter().map(|(_, v)| v)
    }

    /// The entries from the `n`-th (0-based) on, ascending: the start of a page of
    /// page-number paging without walking the pages before it.
    pub fn iter_from(&self, n: usize) -> impl Iterator<Item = (&str, &V)> {
        let mut before = 0;
        let mut start = (self.chunks.len(), 0);
        for (i, c) in self.chunks.iter().enumerate() {
            if n < before + c.len() {
                start = (i, n - before);
                break;
            }
            before += c.len();
        }
        let (chunk, offset) = start;
        self.chunks[chunk..]
            .iter()
            .enumerate()
            .flat_map(move |(i, c)| c[if i == 0 { offset } else { 0 }..].iter())
            .map(|(k, v)| (&**k, v))
    }

    /// The number of keys between `lo` and `hi`.
    pub fn count(&self, lo: Bound<&str>, hi: Bound<&str>) -> usize {
        let start = self.rank(self.start_of(lo));
        let end = self.rank(self.end_of(hi));
        end.saturating_sub(start)
    }

    /// The entries between `lo` and `hi`, ascending or (`!asc`) descending.
    pub fn range<'a>(
        &'a self,
        lo: Bound<&str>,
        hi: Bound<&str>,
        asc: bool,
    ) -> Box<dyn Iterator<Item = (&'a str, &'a V)> + 'a> {
        let start = self.start_of(lo);
        let end = self.end_of(hi);
        if (start.chunk, start.offset) >= (end.chunk, end.offset) {
            return Box::new(std::iter::empty());
        }
        // Whole chunks between the two positions, then trim the first and the last.
        let last_chunk = if end.offset == 0 {
            end.chunk - 1
        } else {
            end.chunk
        };
        let chunks = &self.chunks[start.chunk..=last_chunk];
        let n = chunks.len();
        let entries = chunks.iter().enumerate().flat_map(move |(i, c)| {
            let from = if i == 0 { start.offset } else { 0 };
            let to = if i + 1 == n && end.offset != 0 {
                end.offset
            } else {
                c.len()
            };
            c[from..to].iter()
        });
        let map = |(k, v): &'a (Box<str>, V)| (&**k, v);
        if asc {
            Box::new(entries.map(map))
        } else {
            Box::new(
                chunks
                    .iter()
                    .enumerate()
                    .rev()
                    .flat_map(move |(i, c)| {
                        let from = if i == 0 { start.offset } else { 0 };
                        let to = if i + 1 == n && end.offset != 0 {
                            end.offset
                        } else {
                            c.len()
                        };
                        c[from..to].iter().rev()
                    })
                    .map(map),
            )
        }
    }
}

/// Whether `key` comes before the bound `id` (`strict`: before or equal).
fn is_before(key: &str, id: &str, strict: bool) -> bool {
    match key.cmp(id) {
        Ordering::Less => true,
        Ordering::Equal => strict,
        Ordering::Greater => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn bounds(lo: Option<(u32, bool)>, hi: Option<(u32, bool)>) -> [Option<(String, bool)>; 2] {
        [
            lo.map(|(k, inc)| (format!("{k:05}"), inc)),
            hi.map(|(k, inc)| (format!("{k:05}"), inc)),
        ]
    }

    fn as_bound(b: &Option<(String, bool)>) -> Bound<&str> {
        match b {
            None => Bound::Unbounded,
            Some((k, true)) => Bound::Included(k),
            Some((k, false)) => Bound::Excluded(k),
        }
    }

    /// Inserts, replaces and removes thousands of keys in a scrambled order, comparing every
    /// answer with a `BTreeMap` holding the same entries.
    #[test]
    fn agrees_with_a_btreemap() {
        let mut index = OrderedIndex::default();
        let mut model = BTreeMap::new();
        let mut x: u32 = 12345;
        for step in 0..6000_u32 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let k = (x >> 8) % 3000;
            let key = format!("{k:05}");
            if step % 5 == 4 {
                assert_eq!(index.remove(&key), model.remove(&key), "{key}");
            } else {
                let text = format!("v{step}");
                assert_eq!(
                    index.insert(&key, text.clone()),
                    model.insert(key, text),
                    "{step}"
                );
            }
        }
        assert_eq!(index.len(), model.len());
        let all: Vec<(String, String)> = index
            .iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect();
        let expected: Vec<(String, String)> = model.clone().into_iter().collect();
        assert_eq!(all, expected);
        assert!(
            index
                .chunks
                .iter()
                .all(|c| !c.is_empty() && c.len() <= MAX_CHUNK)
        );
        for k in [0, 1, 2, 17, 500, 1499, 2998, 2999, 3000] {
            let key = format!("{k:05}");
            assert_eq!(index.get(&key), model.get(&key));
        }
        for n in [
            0,
            1,
            511,
            512,
            513,
            model.len() - 1,
            model.len(),
            model.len() + 5,
        ] {
            let from: Vec<&str> = index.iter_from(n).map(|(k, _)| k).collect();
            let expected: Vec<&str> = model.keys().skip(n).map(String::as_str).collect();
            assert_eq!(from, expected, "{n}");
        }
        let edges = [
            None,
            Some(0),
            Some(1),
            Some(700),
            Some(1501),
            Some(2999),
            Some(3100),
        ];
        for lo in edges {
            for hi in edges {
                for (lo_inc, hi_inc) in [(true, true), (true, false), (false, true), (false, false)]
                {
                    let [lo_b, hi_b] = bounds(lo.map(|k| (k, lo_inc)), hi.map(|k| (k, hi_inc)));
                    let (l, h) = (as_bound(&lo_b), as_bound(&hi_b));
                    let inside = |k: &str| {
                        let above = match l {
                            Bound::Unbounded => true,
                            Bound::Included(b) => k >= b,
                            Bound::Excluded(b) => k > b,
                        };
                        let below = match h {
                            Bound::Unbounded => true,
                            Bound::Included(b) => k <= b,
                            Bound::Excluded(b) => k < b,
                        };
                        above && below
                    };
                    let expected: Vec<&str> = model
                        .keys()
                        .map(String::as_str)
                        .filter(|k| inside(k))
                        .collect();
                    let got: Vec<&str> = index.range(l, h, true).map(|(k, _)| k).collect();
                    assert_eq!(got, expected, "{lo_b:?} {hi_b:?}");
                    let mut down: Vec<&str> = index.range(l, h, false).map(|(k, _)| k).collect();
                    down.reverse();
                    assert_eq!(down, expected, "{lo_b:?} {hi_b:?} descending");
                    assert_eq!(index.count(l, h), expected.len(), "{lo_b:?} {hi_b:?}");
                }
            }
        }
    }

    #[test]
    fn empty_index() {
        let mut index = OrderedIndex::<String>::default();
        assert!(index.is_empty());
        assert_eq!(index.iter_from(0).count(), 0);
        assert_eq!(index.get("a"), None);
        assert_eq!(index.remove("a"), None);
        assert_eq!(index.count(Bound::Unbounded, Bound::Unbounded), 0);
        assert_eq!(
            index
                .range(Bound::Unbounded, Bound::Unbounded, true)
                .count(),
            0
        );
        index.insert("a", "1".into());
        assert!(index.contains_key("a"));
        assert_eq!(index.remove("a").as_deref(), Some("1"));
        assert_eq!(index.len(), 0);
    }
}
