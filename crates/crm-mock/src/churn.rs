//! Other users' writes while a client reads: the settings and the deterministic dice the three
//! mocks share. What a create, an edit or a delete is differs per vendor; each mock's
//! `LiveTenant::churn` documents its own.

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
