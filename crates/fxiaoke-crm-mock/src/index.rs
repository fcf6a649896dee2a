//! The ordered index of one object's records: `_id` → the record's JSON text.
//!
//! [`crm_mock::index::OrderedIndex`] does the ordering (walks from a bound, range counts);
//! this wrapper keeps each record as its JSON text (`Box<str>`), about the size the vendor
//! would send, parsed only when a page returns the record or a filter needs one of its
//! fields, and it counts the texts' bytes.

use std::ops::Bound;
use std::sync::{Arc, Mutex};

use crm_mock::index::OrderedIndex;

use super::order_index::OrderIndex;

/// `_id` → JSON text, sorted by `_id` (byte order, as `str` compares).
#[derive(Debug, Default)]
pub(crate) struct IdIndex {
    inner: OrderedIndex<Box<str>>,
    /// Sum of the JSON texts' lengths.
    text_bytes: usize,
    /// The records sorted by the orders of the last two ordered queries (an ordered export
    /// and its tie scans), until a record changes.
    order: Mutex<Vec<Arc<OrderIndex>>>,
}

impl IdIndex {
    /// The number of records.
    pub(crate) fn len(&self) -> usize {
        self.inner.len()
    }

    /// The total length of the stored JSON texts, in bytes.
    pub(crate) fn text_bytes(&self) -> usize {
        self.text_bytes
    }

    /// The JSON text of `id`.
    pub(crate) fn get(&self, id: &str) -> Option<&str> {
        self.inner.get(id).map(|t| &**t)
    }

    /// Whether `id` is stored.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.inner.contains_key(id)
    }

    /// Stores `text` under `id`, replacing what was there.
    pub(crate) fn insert(&mut self, id: &str, text: Box<str>) {
        self.forget_order();
        self.text_bytes += text.len();
        if let Some(old) = self.inner.insert(id, text) {
            self.text_bytes -= old.len();
        }
    }

    /// Removes `id`; its JSON text if it was stored.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Box<str>> {
        let old = self.inner.remove(id)?;
        self.forget_order();
        self.text_bytes -= old.len();
        Some(old)
    }

    /// Every record, ascending.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.inner.iter().map(|(k, v)| (k, &**v))
    }

    /// The kept order index `fits`, or the one `build` makes (then kept, with at most one
    /// other); kept until a record is inserted, replaced or removed.
    pub(crate) fn order_index(
        &self,
        fits: impl Fn(&OrderIndex) -> bool,
        build: impl FnOnce() -> OrderIndex,
    ) -> Arc<OrderIndex> {
        let mut kept = self.order.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = kept.iter().find(|o| fits(o)) {
            return found.clone();
        }
        let built = Arc::new(build());
        if kept.len() >= 2 {
            kept.remove(0);
        }
        kept.push(built.clone());
        built
    }

    fn forget_order(&mut self) {
        self.order
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The number of records with an `_id` between `lo` and `hi`.
    pub(crate) fn count(&self, lo: Bound<&str>, hi: Bound<&str>) -> usize {
        self.inner.count(lo, hi)
    }

    /// The records with an `_id` between `lo` and `hi`, ascending or (`!asc`) descending.
    pub(crate) fn range<'a>(
        &'a self,
        lo: Bound<&str>,
        hi: Bound<&str>,
        asc: bool,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.inner.range(lo, hi, asc).map(|(k, v)| (k, &**v))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn counts_text_bytes() {
        let mut index = IdIndex::default();
        index.insert("a", "12345".into());
        index.insert("b", "12".into());
        assert_eq!((index.len(), index.text_bytes()), (2, 7));
        index.insert("a", "1".into());
        assert_eq!((index.len(), index.text_bytes()), (2, 3));
        assert_eq!(index.remove("b").as_deref(), Some("12"));
        assert_eq!(index.remove("b"), None);
        assert_eq!((index.len(), index.text_bytes()), (1, 1));
        assert_eq!(index.get("a"), Some("1"));
        assert!(index.contains("a") && !index.contains("b"));
    }
}
