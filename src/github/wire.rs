//! Names the server returns, validated against GitHub's grammar where they are parsed: a
//! login, a repository name or a secret name that GitHub could not have produced fails the
//! whole answer (`ApiError::BadBody`), so it never becomes a line of output or a target. The
//! error never repeats the name: it came from a server that may be hostile.

use std::fmt;

use serde::Deserialize;

use crate::target::{is_owner, is_repo_name};

/// Why a name from the server was refused. Holds no part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("GitHub's answer holds a {0} that is not a valid GitHub name")]
pub struct BadName(&'static str);

macro_rules! checked_name {
    ($(#[$doc:meta])* $ty:ident, $what:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Deserialize)]
        #[serde(try_from = "String")]
        pub struct $ty(String);

        impl TryFrom<String> for $ty {
            type Error = BadName;
            fn try_from(s: String) -> Result<Self, BadName> {
                let check: fn(&str) -> bool = $check;
                if check(&s) {
                    Ok($ty(s))
                } else {
                    Err(BadName($what))
                }
            }
        }

        impl $ty {
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
    };
}

checked_name!(
    /// A user or organisation login: letters, digits, `-` (and `_`, seen on GHES), at most 39.
    Login,
    "login",
    is_owner
);
checked_name!(
    /// A repository's name: letters, digits, `-`, `_`, `.`, at most 100, not `.` or `..`.
    RepoName,
    "repository name",
    is_repo_name
);
checked_name!(
    /// A secret's name: letters, digits and `_`, not starting with a digit (GitHub's rule).
    SecretNameDoc,
    "secret name",
    is_secret_name
);

checked_name!(
    /// A public key's id (`key_id`): letters, digits, `-` and `_`, at most 64 (GitHub's are
    /// numbers). It goes back to GitHub in every write and into the audit record.
    KeyId,
    "key id",
    is_key_id
);

fn is_key_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_secret_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 255
}

/// A user or organisation as GitHub's answers hold it (`GET /user`, a repository's `owner`, an
/// installation's `account`): only its login is read, validated where it is parsed.
///
/// Not octocrab's `models::Author` (nor `SimpleUser`): they require seventeen more fields,
/// `gravatar_id` as a string where GitHub's description allows `null`, and every URL absolute,
/// so they would refuse answers whose login is fine; and their `login` is an unchecked string.
#[derive(Deserialize)]
pub struct AccountDoc {
    pub login: Login,
}

/// Why a date from the server was refused. Holds no part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("GitHub's answer holds a date that is not RFC 3339")]
pub struct BadDate;

/// A date the server sent (`updated_at`, `expires_at`), read as RFC 3339 where the answer is
/// parsed: a date that cannot be read fails the whole answer, so it is never shown as text nor
/// counted as fresh. Shown only as it is re-written here (RFC 3339, UTC), so only a date that
/// can be written so is accepted: in UTC, a year from 0 to 9999 ([`utc_date`]).
#[derive(Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Timestamp(time::OffsetDateTime);

impl TryFrom<String> for Timestamp {
    type Error = BadDate;
    fn try_from(s: String) -> Result<Self, BadDate> {
        time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
            .ok()
            .and_then(utc_date)
            .map(Timestamp)
            .ok_or(BadDate)
    }
}

/// `t` in UTC, when it can be written as RFC 3339 there (a year from 0 to 9999), else `None`.
/// Every date from a server passes here before it is kept: `9999-12-31T23:59:59-23:59` parses,
/// but is in year 10000 in UTC (where `to_offset` would panic), and a year below 0 or above
/// 9999 cannot be formatted as RFC 3339 (where `to_string` would panic).
pub fn utc_date(t: time::OffsetDateTime) -> Option<time::OffsetDateTime> {
    t.checked_to_offset(time::UtcOffset::UTC)
        .filter(|t| (0..=9999).contains(&t.year()))
}

/// `t` as RFC 3339; empty when it cannot be written so (a year outside 0–9999): never a panic.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Timestamp {
    pub fn at(self) -> time::OffsetDateTime {
        self.0
    }
}

impl fmt::Display for Timestamp {
    /// Never an error (`to_string` would panic on one): [`utc_date`] admitted only dates that
    /// RFC 3339 can write.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&rfc3339(self.0))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Doc {
        #[allow(dead_code)]
        login: Login,
    }

    #[test]
    fn names_github_could_not_have_produced_fail_the_answer_without_echo() {
        assert!(serde_json::from_str::<Doc>(r#"{"login":"octo-cat"}"#).is_ok());
        for bad in [
            "octo\n::add-mask::x",
            "x\r",
            "<img src=x onerror=alert(1)>",
            "a\u{1b}[31m",
            "",
            "##[error]x",
        ] {
            let json = serde_json::json!({ "login": bad }).to_string();
            let e = serde_json::from_str::<Doc>(&json)
                .err()
                .expect(bad)
                .to_string();
            assert!(e.contains("not a valid GitHub name"), "{e}");
            assert!(!bad.is_empty() && !e.contains(bad) || bad.is_empty(), "{e}");
        }
        assert!(RepoName::try_from("..".to_owned()).is_err());
        assert!(RepoName::try_from("a.b-c_d".to_owned()).is_ok());
        assert!(SecretNameDoc::try_from(" X".to_owned()).is_err());
        assert!(SecretNameDoc::try_from("1X".to_owned()).is_err());
        assert!(SecretNameDoc::try_from("MY_X".to_owned()).is_ok());
        assert!(KeyId::try_from("568250167242549743".to_owned()).is_ok());
        for bad in ["", "k\n::add-mask::x", "k e y", &"9".repeat(65), "ké"] {
            assert!(KeyId::try_from(bad.to_owned()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dates_that_are_not_rfc_3339_fail_the_answer_without_echo() {
        let t = Timestamp::try_from("2099-01-02T03:04:05+02:00".to_owned()).expect("date");
        assert_eq!(t.to_string(), "2099-01-02T01:04:05Z");
        for bad in [
            "2020\r::add-mask::=",
            "2020 ##[add-mask]=",
            "not a date",
            "",
        ] {
            let e = Timestamp::try_from(bad.to_owned())
                .expect_err(bad)
                .to_string();
            assert_eq!(e, "GitHub's answer holds a date that is not RFC 3339");
        }
    }

    /// Years RFC 3339 parses but UTC cannot hold or write: refused, never a panic.
    #[test]
    fn dates_that_leave_years_0_to_9999_in_utc_are_refused() {
        for bad in [
            "9999-12-31T23:59:59-23:59",
            "0000-01-01T00:00:00+23:59",
            "0000-01-01T00:00:00+00:01",
        ] {
            assert_eq!(Timestamp::try_from(bad.to_owned()), Err(BadDate), "{bad}");
        }
        for edge in ["9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z"] {
            let t = Timestamp::try_from(edge.to_owned()).expect(edge);
            assert_eq!(t.to_string(), edge);
        }
    }
}
