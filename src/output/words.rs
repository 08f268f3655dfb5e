//! Words for counts, lists and days left, the same in every message (casey/just's `Count` and
//! `List` are the model): [`Count`] ("1 secret", "3 secrets"), [`List`] ("a, b and c"),
//! [`DaysLeft`] ("in 3 days"), [`Expiry`] ("expires … (in 3 days)", "expired …") and
//! [`closest`], the name a typo most likely meant.

use std::fmt::{self, Display, Formatter};

/// A number and a noun that agree: `Count("secret", 1)` is "1 secret", `Count("secret", 3)` is
/// "3 secrets". A noun whose plural is not the singular and an `s` (or a phrase with a verb)
/// gives both forms: `Count(("secret is", "secrets are"), 2)` is "2 secrets are".
#[derive(Clone, Copy, Debug)]
pub struct Count<W, N = usize>(pub W, pub N);

/// How a noun is written for one and for many.
pub trait Noun {
    /// Writes the singular (`many` false) or the plural.
    fn write(&self, f: &mut Formatter<'_>, many: bool) -> fmt::Result;
}

impl Noun for &str {
    fn write(&self, f: &mut Formatter<'_>, many: bool) -> fmt::Result {
        if many {
            write!(f, "{self}s")
        } else {
            f.write_str(self)
        }
    }
}

impl Noun for (&str, &str) {
    fn write(&self, f: &mut Formatter<'_>, many: bool) -> fmt::Result {
        f.write_str(if many { self.1 } else { self.0 })
    }
}

impl<W: Noun, N: Display + PartialEq + From<u8>> Display for Count<W, N> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} ", self.1)?;
        self.0.write(f, self.1 != N::from(1))
    }
}

/// Items in a sentence: [`List::and`] writes "a, b and c", [`List::comma`] "a, b, c"; either
/// writes "none" when there is no item.
#[derive(Clone, Debug)]
pub struct List {
    items: Vec<String>,
    /// Between the last two items.
    last: &'static str,
}

impl List {
    /// "a", "a and b", "a, b and c".
    pub fn and<T: Display>(items: impl IntoIterator<Item = T>) -> Self {
        Self::new(items, " and ")
    }

    /// "a", "a, b", "a, b, c".
    pub fn comma<T: Display>(items: impl IntoIterator<Item = T>) -> Self {
        Self::new(items, ", ")
    }

    fn new<T: Display>(items: impl IntoIterator<Item = T>, last: &'static str) -> Self {
        Self {
            items: items.into_iter().map(|i| i.to_string()).collect(),
            last,
        }
    }
}

impl Display for List {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let n = self.items.len();
        if n == 0 {
            return f.write_str("none");
        }
        for (i, item) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(if i + 1 == n { self.last } else { ", " })?;
            }
            f.write_str(item)?;
        }
        Ok(())
    }
}

/// When something expires, in whole days from now ([`crate::report::expiry_days_left`]):
/// "already expired", "today", "in 1 day", "in 3 days".
#[derive(Clone, Copy, Debug)]
pub struct DaysLeft(pub i64);

impl Display for DaysLeft {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.0 {
            d if d < 0 => f.write_str("already expired"),
            0 => f.write_str("today"),
            d => write!(f, "in {}", Count("day", d)),
        }
    }
}

/// How a token is rotated, for every message that says it expires or has expired.
pub const HOW_TO_ROTATE: &str = "create a new token and put it where this one is kept; where \
     secrets hold it, `secret-refresh rotate NAME --repo OWNER/NAME` writes it into every target \
     and verifies it (see docs/rotating.md)";

/// When a token expires, from GitHub's header and [`crate::report::expiry_days_left`]:
/// "expires 2099-01-01 00:00:00 UTC (in 3 days)", or once past, "expired on 2024-01-01 00:00:00
/// UTC" (never "expires … (already expired)").
#[derive(Clone, Copy, Debug)]
pub struct Expiry<'a> {
    /// The date as GitHub wrote it.
    pub when: &'a str,
    pub days: i64,
}

impl Expiry<'_> {
    /// Whether the date has passed.
    pub fn expired(&self) -> bool {
        self.days < 0
    }
}

impl Display for Expiry<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.expired() {
            write!(f, "expired on {}", self.when)
        } else {
            write!(f, "expires {} ({})", self.when, DaysLeft(self.days))
        }
    }
}

/// The candidate `word` most likely misspells: the nearest by edit distance (letters compared
/// case-insensitively), when it is near enough to be a slip (at most a third of the word's
/// letters off, at least one), and is not the word itself. The first of equally near ones.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let allowed = (word.len() / 3).max(1);
    candidates
        .into_iter()
        .filter_map(|c| {
            let d = edit_distance(&word, &c.to_lowercase().chars().collect::<Vec<_>>());
            (d > 0 && d <= allowed).then_some((d, c))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance: the fewest insertions, deletions and substitutions from `a` to `b`.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = i;
        let mut previous = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or_default();
            let here = if ca == cb {
                diagonal
            } else {
                1 + diagonal.min(above).min(previous)
            };
            diagonal = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = here;
            }
            previous = here;
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closest_name_is_the_likely_slip_and_nothing_farther() {
        let inputs = [
            "token",
            "secrets",
            "files",
            "dry-run",
            "prefix",
            "repository",
        ];
        assert_eq!(closest("file", inputs), Some("files"));
        assert_eq!(closest("token_", inputs), Some("token"));
        assert_eq!(closest("DRY_RUN", inputs), Some("dry-run"));
        assert_eq!(closest("secret", inputs), Some("secrets"));
        // Too far to be a slip, or the word itself.
        assert_eq!(closest("repo", inputs), None);
        assert_eq!(closest("xyz", inputs), None);
        assert_eq!(closest("files", inputs), None);
        assert_eq!(
            closest("MOOGO_CACHE_SESSION", ["OTHER", "MOOGO_CACHED_SESSION"]),
            Some("MOOGO_CACHED_SESSION")
        );
        let distance = |a: &str, b: &str| {
            edit_distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
            )
        };
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("abc", ""), 3);
        assert_eq!(distance("flaw", "lawn"), 2);
    }

    #[test]
    fn counts_agree_with_their_number() {
        assert_eq!(Count("secret", 0).to_string(), "0 secrets");
        assert_eq!(Count("secret", 1).to_string(), "1 secret");
        assert_eq!(Count("request", 3_u64).to_string(), "3 requests");
        assert_eq!(
            Count(("secret is", "secrets are"), 1).to_string(),
            "1 secret is"
        );
        assert_eq!(
            Count(("secret is", "secrets are"), 2).to_string(),
            "2 secrets are"
        );
    }

    #[test]
    fn lists_join_for_a_sentence_and_say_none_when_empty() {
        assert_eq!(List::and(["a"]).to_string(), "a");
        assert_eq!(List::and(["a", "b"]).to_string(), "a and b");
        assert_eq!(List::and(["a", "b", "c"]).to_string(), "a, b and c");
        assert_eq!(List::comma(["a", "b", "c"]).to_string(), "a, b, c");
        assert_eq!(List::comma(Vec::<String>::new()).to_string(), "none");
    }

    #[test]
    fn days_left_reads_as_a_time() {
        assert_eq!(DaysLeft(-1).to_string(), "already expired");
        assert_eq!(DaysLeft(0).to_string(), "today");
        assert_eq!(DaysLeft(1).to_string(), "in 1 day");
        assert_eq!(DaysLeft(90).to_string(), "in 90 days");
        let when = "2099-01-01 00:00:00 UTC";
        assert_eq!(
            Expiry { when, days: 3 }.to_string(),
            "expires 2099-01-01 00:00:00 UTC (in 3 days)"
        );
        assert_eq!(
            Expiry { when, days: 0 }.to_string(),
            "expires 2099-01-01 00:00:00 UTC (today)"
        );
        assert_eq!(
            Expiry { when, days: -1 }.to_string(),
            "expired on 2099-01-01 00:00:00 UTC"
        );
    }
}
