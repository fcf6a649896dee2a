//! Other users' writes while a client reads: the settings, the deterministic dice and the
//! switch the three mocks share. What a create, an edit or a delete is differs per vendor;
//! each mock's `LiveTenant::churn` documents its own.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Other users' writes, made just before every `every`-th list request of a mock is answered.
/// Deterministic for a given `seed`.
///
/// ```
/// use crm_mock::Churn;
///
/// let churn = Churn { every: 3, creates: 1, deletes: 1, edits: 1, seed: 7 };
/// assert!(!churn.due(2));
/// assert!(churn.due(3));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Churn {
    /// How often, in list requests (0: never).
    pub every: u64,
    /// Records created each time, at random positions of the list order.
    pub creates: u32,
    /// Records deleted each time (physically, as by another user's delete).
    pub deletes: u32,
    /// Records edited each time.
    pub edits: u32,
    /// The seed of the choices.
    pub seed: u64,
}

impl Churn {
    /// Whether the `call`-th list request (1 for the first) is preceded by writes.
    pub fn due(&self, call: u64) -> bool {
        self.every != 0 && call.is_multiple_of(self.every)
    }

    /// The dice of this churn's choices, seeded from [`Churn::seed`].
    pub fn dice(&self) -> Dice {
        Dice(self.seed | 1)
    }
}

/// A small deterministic generator (xorshift64) for a mock's random choices: the same seed
/// gives the same writes, so a failing test can be replayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dice(u64);

impl Default for Dice {
    /// The dice of seed 0.
    fn default() -> Self {
        Dice(1)
    }
}

impl Dice {
    /// The next number.
    pub fn roll(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// One of `keys`, chosen by the next roll; `None` when there is none.
    pub fn pick(&mut self, keys: &[String]) -> Option<String> {
        let len = u64::try_from(keys.len()).ok().filter(|l| *l > 0)?;
        let n = self.roll() % len;
        keys.get(usize::try_from(n).ok()?).cloned()
    }
}

/// A mock's running [`Churn`]: switched on, changed or off while clients read
/// ([`set`](Self::set)), and the ids of every record it created, edited or deleted so far
/// ([`touched`](Self::touched)), so that a test can tell the records other users changed from
/// those that must arrive exactly once.
///
/// ```
/// use crm_mock::{Churn, ChurnControl};
///
/// let control = ChurnControl::new(None);
/// assert!(control.due(4).is_none(), "off");
/// control.set(Some(Churn { every: 2, creates: 1, deletes: 0, edits: 0, seed: 7 }));
/// let mut writes = control.due(4).expect("the 4th list request is preceded by writes");
/// assert_eq!(writes.churn().creates, 1);
/// let picked = writes.dice().pick(&["a".to_owned(), "b".to_owned()]);
/// writes.touch(picked.expect("one of two"));
/// drop(writes);
/// assert!(control.due(5).is_none(), "only every 2nd");
/// assert_eq!(control.touched().len(), 1);
/// ```
#[derive(Debug, Default)]
pub struct ChurnControl(Mutex<ChurnState>);

#[derive(Debug, Default)]
struct ChurnState {
    /// `None`: off.
    running: Option<Churn>,
    dice: Dice,
    touched: BTreeSet<String>,
}

impl ChurnControl {
    /// A control running `churn` (or none).
    pub fn new(churn: Option<Churn>) -> Self {
        let control = Self::default();
        control.set(churn);
        control
    }

    /// Runs `churn` from the next list request on (its dice start again from its seed), or
    /// stops writing (`None`). The ids touched so far are kept.
    pub fn set(&self, churn: Option<Churn>) {
        let mut state = self.lock();
        if let Some(c) = &churn {
            state.dice = c.dice();
        }
        state.running = churn;
    }

    /// The writes due before the `call`-th list request, if the running churn has any. Holds
    /// the control until dropped.
    pub fn due(&self, call: u64) -> Option<ChurnWrites<'_>> {
        let state = self.lock();
        let churn = state.running.filter(|c| c.due(call))?;
        Some(ChurnWrites { churn, state })
    }

    /// The ids of every record the churn created, edited or deleted, in id order.
    pub fn touched(&self) -> BTreeSet<String> {
        self.lock().touched.clone()
    }

    fn lock(&self) -> MutexGuard<'_, ChurnState> {
        // The state stays consistent whatever panicked while holding it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The writes before one list request, from [`ChurnControl::due`].
#[derive(Debug)]
pub struct ChurnWrites<'a> {
    churn: Churn,
    state: MutexGuard<'a, ChurnState>,
}

impl ChurnWrites<'_> {
    /// How many records to create, delete and edit.
    pub fn churn(&self) -> Churn {
        self.churn
    }

    /// The dice of the choices.
    pub fn dice(&mut self) -> &mut Dice {
        &mut self.state.dice
    }

    /// Notes that record `id` was created, edited or deleted.
    pub fn touch(&mut self, id: impl Into<String>) {
        self.state.touched.insert(id.into());
    }
}

/// Checks that `touched` (a churn's [`ChurnControl::touched`]) names exactly what changed
/// between two snapshots of a mock's records: every key whose value differs (added, removed
/// or changed), and besides those only keys absent from both (created and deleted again).
/// Returns how many keys changed, or which key breaks the rule.
///
/// ```
/// use std::collections::{BTreeMap, BTreeSet};
///
/// let before = BTreeMap::from([("a", 1), ("b", 2)]);
/// let after = BTreeMap::from([("b", 3), ("c", 4)]);
/// let named = BTreeSet::from(["a", "b", "c", "gone"]);
/// assert_eq!(crm_mock::check_touched(&before, &after, &named), Ok(3));
/// assert!(crm_mock::check_touched(&before, &after, &BTreeSet::from(["a", "b"])).is_err());
/// ```
pub fn check_touched<K: Ord + fmt::Debug, V: PartialEq>(
    before: &BTreeMap<K, V>,
    after: &BTreeMap<K, V>,
    touched: &BTreeSet<K>,
) -> Result<usize, String> {
    let changed: BTreeSet<&K> = before
        .keys()
        .chain(after.keys())
        .filter(|key| before.get(*key) != after.get(*key))
        .collect();
    if let Some(key) = changed.iter().find(|key| !touched.contains(**key)) {
        return Err(format!("{key:?} changed but is not named"));
    }
    let unchanged_named = touched.iter().find(|key| {
        !changed.contains(key) && (before.contains_key(*key) || after.contains_key(*key))
    });
    match unchanged_named {
        Some(key) => Err(format!("{key:?} is named but did not change")),
        None => Ok(changed.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_makes_the_same_choices() {
        let churn = Churn {
            every: 2,
            creates: 0,
            deletes: 0,
            edits: 0,
            seed: 42,
        };
        let keys: Vec<String> = (0..10).map(|i| i.to_string()).collect();
        let (mut a, mut b) = (churn.dice(), churn.dice());
        let picks_a: Vec<_> = (0..20).map(|_| a.pick(&keys)).collect();
        let picks_b: Vec<_> = (0..20).map(|_| b.pick(&keys)).collect();
        assert_eq!(picks_a, picks_b);
        assert!(picks_a.iter().all(Option::is_some));
        let distinct: std::collections::BTreeSet<_> = picks_a.iter().flatten().collect();
        assert!(distinct.len() > 3, "the picks spread: {distinct:?}");
        assert_eq!(a.pick(&[]), None);
    }

    #[test]
    fn every_nth_call_is_due_and_zero_never() {
        let mut churn = Churn {
            every: 3,
            creates: 1,
            deletes: 1,
            edits: 1,
            seed: 1,
        };
        let due: Vec<u64> = (1..=9).filter(|c| churn.due(*c)).collect();
        assert_eq!(due, [3, 6, 9]);
        churn.every = 0;
        assert!((1..=9).all(|c| !churn.due(c)));
    }
}
