//! `stored-at`: what preflight saw of each target's secrets — every name and its `updated_at`,
//! never a value — handed by preflight's output to the step that writes, so that step does not
//! overwrite a secret another run stored since.
//!
//! The text comes from an earlier step's output, so it is untrusted input: its size is capped
//! ([`MAX_BYTES`], GitHub's own limit for one output), it must be exactly the shape preflight
//! writes (a version, target labels without control characters, valid secret names, RFC 3339
//! times), and errors never echo it.
//!
//! ```json
//! {"version":1,"targets":{"acme/api":{"MOOGO_CACHED_SESSION":"2099-01-02T03:04:05Z"}}}
//! ```
//!
//! Every secret of a target is recorded, not only the names the writing step will write: the
//! listing that gives them is one request whatever is kept, names derived from `files` globs
//! are known only after the tests ran, and a complete record makes absence mean absence (a
//! secret created since preflight is then seen as moved).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::config::names::SecretName;

/// The most `stored-at` may hold, in bytes: GitHub caps one step output at 1 MB.
pub const MAX_BYTES: usize = 1_000_000;
/// The longest target label accepted (a repository, an environment of one, an organisation).
const MAX_LABEL: usize = 512;
/// The only version written and read.
const VERSION: u32 = 1;

/// Why `stored-at` was refused. Never holds any of its text but a validated target label.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoredAtError {
    #[error(
        "it is {0} bytes; preflight's record is at most {MAX_BYTES}: pass \
         `steps.<preflight>.outputs.stored-at` unchanged"
    )]
    TooLarge(usize),
    #[error(
        "it is not the record preflight writes (a JSON object with `version` 1 and `targets`): \
         pass `steps.<preflight>.outputs.stored-at` unchanged"
    )]
    Shape,
    #[error("target {0} of the record is not a target label (empty, too long or with control characters)")]
    Label(usize),
    #[error("target `{0}` of the record holds a name that is not a secret name")]
    Name(String),
    #[error("target `{0}` of the record holds a time that is not RFC 3339")]
    Time(String),
}

/// The record as written: target label → secret name → `updated_at`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    version: u32,
    targets: BTreeMap<String, BTreeMap<String, String>>,
}

/// What preflight saw: per target, every secret's name (upper-cased, as GitHub keeps them) and
/// when it was last written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredAt {
    /// Keyed by the target's label as written (its case kept).
    targets: BTreeMap<String, BTreeMap<String, OffsetDateTime>>,
}

impl StoredAt {
    /// Records every secret of `target` (its label) with its `updated_at`.
    pub fn record(
        &mut self,
        target: &str,
        secrets: impl IntoIterator<Item = (String, OffsetDateTime)>,
    ) {
        let entry = self.targets.entry(target.to_owned()).or_default();
        for (name, at) in secrets {
            entry.insert(name.to_ascii_uppercase(), at);
        }
    }

    /// The record of `target`, its label compared case-insensitively (GitHub's names are).
    pub fn target(&self, label: &str) -> Option<&BTreeMap<String, OffsetDateTime>> {
        self.targets
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(label))
            .map(|(_, secrets)| secrets)
    }

    /// How many targets are recorded.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The record as the `stored-at` output carries it.
    pub fn to_json(&self) -> String {
        let wire = Wire {
            version: VERSION,
            targets: self
                .targets
                .iter()
                .map(|(label, secrets)| {
                    let secrets = secrets
                        .iter()
                        .map(|(name, at)| (name.clone(), rfc3339(*at)))
                        .collect();
                    (label.clone(), secrets)
                })
                .collect(),
        };
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Reads the `stored-at` input: the exact shape [`StoredAt::to_json`] writes, at most
    /// [`MAX_BYTES`].
    pub fn parse(text: &str) -> Result<StoredAt, StoredAtError> {
        let text = text.trim();
        if text.len() > MAX_BYTES {
            return Err(StoredAtError::TooLarge(text.len()));
        }
        let wire: Wire = serde_json::from_str(text).map_err(|_| StoredAtError::Shape)?;
        if wire.version != VERSION {
            return Err(StoredAtError::Shape);
        }
        let mut record = StoredAt::default();
        for (i, (label, secrets)) in wire.targets.into_iter().enumerate() {
            if label.is_empty() || label.len() > MAX_LABEL || label.chars().any(char::is_control) {
                return Err(StoredAtError::Label(i + 1));
            }
            let mut kept = BTreeMap::new();
            for (name, at) in secrets {
                let name = SecretName::parse(&name)
                    .ok()
                    .filter(|n| n.as_str() == name)
                    .ok_or_else(|| StoredAtError::Name(label.clone()))?;
                let at = OffsetDateTime::parse(&at, &Rfc3339)
                    .map_err(|_| StoredAtError::Time(label.clone()))?;
                kept.insert(name.folded(), at);
            }
            record.targets.insert(label, kept);
        }
        Ok(record)
    }
}

/// `at` in RFC 3339, UTC, as GitHub writes `updated_at`.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// How a secret compares with what preflight saw of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    /// As preflight saw it (absent then and now, or written at the same time).
    Same,
    /// Written since preflight, at this time: another run stored it.
    Moved(OffsetDateTime),
    /// Absent at preflight, stored now (at this time): another run created it.
    Created(OffsetDateTime),
    /// Present at preflight, gone now: deleted since, so there is no newer value to keep.
    Deleted,
}

impl Since {
    /// `then`: what preflight saw; `now`: what is stored now.
    pub fn of(then: Option<OffsetDateTime>, now: Option<OffsetDateTime>) -> Since {
        match (then, now) {
            (Some(a), Some(b)) if a == b => Since::Same,
            (None, None) => Since::Same,
            (Some(_), Some(b)) => Since::Moved(b),
            (None, Some(b)) => Since::Created(b),
            (Some(_), None) => Since::Deleted,
        }
    }

    /// Whether a value stored since preflight would be overwritten by writing now.
    pub fn is_newer(self) -> bool {
        matches!(self, Since::Moved(_) | Since::Created(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).expect("time")
    }

    #[test]
    fn a_record_round_trips_and_finds_targets_whatever_their_case() {
        let mut r = StoredAt::default();
        r.record(
            "acme/API",
            [
                ("session".to_owned(), at("2099-01-02T03:04:05Z")),
                ("OTHER".to_owned(), at("2099-01-02T05:04:05+02:00")),
            ],
        );
        r.record("acme/web/environments/prod é", []);
        let text = r.to_json();
        assert_eq!(
            text,
            r#"{"version":1,"targets":{"acme/API":{"OTHER":"2099-01-02T03:04:05Z","SESSION":"2099-01-02T03:04:05Z"},"acme/web/environments/prod é":{}}}"#
        );
        let back = StoredAt::parse(&text).expect("parse");
        assert_eq!(back, r);
        let api = back.target("acme/api").expect("target");
        assert_eq!(api.get("SESSION"), Some(&at("2099-01-02T03:04:05Z")));
        assert!(back.target("acme/web/environments/PROD é").is_some());
        assert!(back.target("acme/other").is_none());
    }

    #[test]
    fn anything_but_the_exact_shape_is_refused_without_echo() {
        let cases: [(&str, StoredAtError); 9] = [
            ("", StoredAtError::Shape),
            ("not json ::error::x", StoredAtError::Shape),
            (r#"{"version":2,"targets":{}}"#, StoredAtError::Shape),
            (r#"{"version":1,"targets":{},"x":1}"#, StoredAtError::Shape),
            (
                r#"{"version":1,"targets":{"a":{"N":1}}}"#,
                StoredAtError::Shape,
            ),
            (
                r#"{"version":1,"targets":{"a\nb":{}}}"#,
                StoredAtError::Label(1),
            ),
            (
                r#"{"version":1,"targets":{"acme/api":{"BAD NAME":"2099-01-02T03:04:05Z"}}}"#,
                StoredAtError::Name("acme/api".into()),
            ),
            (
                r#"{"version":1,"targets":{"acme/api":{"GITHUB_X":"2099-01-02T03:04:05Z"}}}"#,
                StoredAtError::Name("acme/api".into()),
            ),
            (
                r#"{"version":1,"targets":{"acme/api":{"N":"yesterday"}}}"#,
                StoredAtError::Time("acme/api".into()),
            ),
        ];
        for (text, want) in cases {
            let got = StoredAt::parse(text).expect_err(text);
            assert_eq!(got, want, "{text}");
            assert!(!got.to_string().contains("::error"), "{got}");
        }
        let long = format!("{}{}", " ".repeat(10), "x".repeat(MAX_BYTES + 1));
        assert_eq!(
            StoredAt::parse(&long),
            Err(StoredAtError::TooLarge(MAX_BYTES + 1))
        );
        let empty = r#"  {"version":1,"targets":{}}  "#;
        assert!(StoredAt::parse(empty).expect("empty").is_empty());
    }

    #[test]
    fn only_a_value_stored_since_is_newer() {
        let (t1, t2) = (at("2099-01-02T03:04:05Z"), at("2099-01-02T03:04:06Z"));
        assert_eq!(Since::of(Some(t1), Some(t1)), Since::Same);
        assert_eq!(Since::of(None, None), Since::Same);
        assert_eq!(Since::of(Some(t1), Some(t2)), Since::Moved(t2));
        assert_eq!(Since::of(None, Some(t2)), Since::Created(t2));
        assert_eq!(Since::of(Some(t1), None), Since::Deleted);
        assert!(Since::Moved(t2).is_newer() && Since::Created(t2).is_newer());
        assert!(!Since::Same.is_newer() && !Since::Deleted.is_newer());
    }
}
