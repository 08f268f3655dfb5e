//! The one pager: follows `Link: rel="next"` to any path on the API's origin (GitHub answers
//! `GET /orgs/{org}/repos` with `/organizations/{id}/repos?page=2`, secret lists with
//! `/repositories/{id}/…`), refuses a link to another origin, caps the pages and detects loops.
//! A listing that cannot be finished is an error, never a silent truncation.
//!
//! The body cap bounds one answer, not a listing: the pager also refuses a page with more items
//! than `per_page` asked for (GitHub never sends more), and bounds a listing's total items and
//! bytes, so a hostile endpoint cannot make one listing hold gigabytes.

use std::collections::HashSet;

use http::StatusCode;
use url::Url;

use super::answer::Answer;
use super::client::Client;
use super::error::{ApiError, PageError};

/// The most pages one listing may take (100 items a page: 100 000 items).
pub const MAX_PAGES: usize = 1000;
/// The most items one listing may hold.
pub(crate) const MAX_ITEMS: usize = 100_000;
/// The most body bytes one listing may read, all pages together (a full repository object is
/// about 6 KiB: ~40 000 repositories).
pub(crate) const MAX_LISTING_BYTES: usize = 256 * 1024 * 1024;
/// GitHub's page size when `per_page` is not given.
const DEFAULT_PER_PAGE: usize = 30;

/// The pages of one listing, in order. Each [`Pages::next`] fetches one page; it ends after a
/// page without `rel="next"`, or after a page whose status is not 200 (the caller reads it).
pub struct Pages<'a> {
    client: &'a Client,
    next: Option<String>,
    seen: HashSet<String>,
    fetched: usize,
    max: usize,
    per_page: usize,
    items: usize,
    bytes: usize,
}

impl<'a> Pages<'a> {
    pub(crate) fn new(client: &'a Client, first: String) -> Self {
        let per_page = per_page(&first);
        Pages {
            client,
            next: Some(first),
            seen: HashSet::new(),
            fetched: 0,
            max: MAX_PAGES,
            per_page,
            items: 0,
            bytes: 0,
        }
    }

    /// The next page, `None` after the last.
    pub async fn next(&mut self) -> Option<Result<Answer, ApiError>> {
        let path = self.next.take()?;
        if self.fetched >= self.max {
            return Some(Err(PageError::TooManyPages { max: self.max }.into()));
        }
        if !self.seen.insert(path.clone()) {
            return Some(Err(PageError::Loop.into()));
        }
        self.fetched += 1;
        let answer = match self.client.get(&path).await {
            Ok(a) => a,
            Err(e) => return Some(Err(e)),
        };
        if answer.status == StatusCode::OK {
            if let Err(e) = self.count(&answer) {
                return Some(Err(e.into()));
            }
            match next_link(&answer).map(|link| self.client.same_origin_path(&link)) {
                None => {}
                Some(Ok(next)) => self.next = Some(next),
                Some(Err(e)) => return Some(Err(e.into())),
            }
        }
        Some(Ok(answer))
    }
}

impl Pages<'_> {
    /// Counts a page's items and bytes against the listing's bounds.
    fn count(&mut self, answer: &Answer) -> Result<(), PageError> {
        self.bytes = self.bytes.saturating_add(answer.body.len());
        if self.bytes > MAX_LISTING_BYTES {
            return Err(PageError::TooManyBytes {
                max_mib: MAX_LISTING_BYTES / (1024 * 1024),
            });
        }
        let items = count_items(&answer.body)?;
        if items > self.per_page {
            return Err(PageError::PageTooBig {
                items,
                per_page: self.per_page,
            });
        }
        self.items = self.items.saturating_add(items);
        if self.items > MAX_ITEMS {
            return Err(PageError::TooManyItems { max: MAX_ITEMS });
        }
        Ok(())
    }
}

/// The `per_page` a listing's first path asks for (GitHub's default 30 when absent).
fn per_page(path: &str) -> usize {
    path.split_once('?')
        .map(|(_, q)| q)
        .into_iter()
        .flat_map(|q| q.split('&'))
        .filter_map(|kv| kv.strip_prefix("per_page="))
        .rev()
        .find_map(|v| v.parse::<usize>().ok())
        .unwrap_or(DEFAULT_PER_PAGE)
}

/// The items of one page without building them: the length of a top-level JSON array, or of
/// the longest array among a top-level object's fields (GitHub wraps some listings, e.g.
/// `{"total_count": 3, "secrets": [...]}`).
fn count_items(body: &[u8]) -> Result<usize, PageError> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// Counts a sequence's elements; anything else counts 0.
    struct Len;
    impl<'de> Visitor<'de> for Len {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0usize;
            while seq.next_element::<IgnoredAny>()?.is_some() {
                n = n.saturating_add(1);
            }
            Ok(n)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(0)
        }
        fn visit_bool<E>(self, _: bool) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_i64<E>(self, _: i64) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_u64<E>(self, _: u64) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_f64<E>(self, _: f64) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_str<E>(self, _: &str) -> Result<usize, E> {
            Ok(0)
        }
        fn visit_unit<E>(self) -> Result<usize, E> {
            Ok(0)
        }
    }
    struct FieldLen(usize);
    impl<'de> serde::Deserialize<'de> for FieldLen {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(Len).map(FieldLen)
        }
    }
    /// A top-level list's length, or the longest list among an object's fields.
    struct Top;
    impl<'de> Visitor<'de> for Top {
        type Value = usize;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON list, or an object holding one")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<usize, A::Error> {
            Len.visit_seq(seq)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
            let mut longest = 0;
            while let Some((IgnoredAny, FieldLen(n))) = map.next_entry::<IgnoredAny, FieldLen>()? {
                longest = longest.max(n);
            }
            Ok(longest)
        }
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let n = de
        .deserialize_any(Top)
        .map_err(|e| PageError::NotAList(super::answer::json_error(&e)))?;
    de.end()
        .map_err(|e| PageError::NotAList(super::answer::json_error(&e)))?;
    Ok(n)
}

/// The target of the `rel="next"` link, as written (absolute or relative).
fn next_link(answer: &Answer) -> Option<String> {
    let mut found = None;
    for value in answer.headers.get_all(http::header::LINK) {
        let Ok(value) = value.to_str() else {
            continue;
        };
        for part in value.split(',') {
            let Some((target, params)) = part.split_once(';') else {
                continue;
            };
            let is_next = params.split(';').any(|p| {
                p.trim()
                    .strip_prefix("rel=")
                    .map(|r| r.trim_matches('"'))
                    .is_some_and(|r| r.split_ascii_whitespace().any(|r| r == "next"))
            });
            let target = target.trim();
            if is_next {
                if let Some(t) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
                    found = Some(t.to_owned());
                } else {
                    found = Some(String::new()); // a next page we cannot read: refuse
                }
            }
        }
    }
    found
}

impl Client {
    /// The pages of a listing starting at `first` (a path relative to the API URL).
    pub fn pages(&self, first: String) -> Pages<'_> {
        Pages::new(self, first)
    }

    /// The path and query of `link` when it is on the API's origin (scheme, host, port).
    pub(crate) fn same_origin_path(&self, link: &str) -> Result<String, PageError> {
        let base = self.api_url().url();
        let url = Url::options()
            .base_url(Some(base))
            .parse(link)
            .map_err(|_| PageError::BadLink)?;
        if link.is_empty() {
            return Err(PageError::BadLink);
        }
        if url.origin() != base.origin() || !url.username().is_empty() || url.password().is_some() {
            return Err(PageError::OtherOrigin);
        }
        Ok(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        })
    }
}

/// The pager's parsers of one answer, for the wire fuzz (`github/fuzz.rs`): the `Link` header's
/// next page, and the items of the body (its error, when the body is not a list).
#[cfg(test)]
pub(super) fn parse_each(answer: &Answer) -> (Option<String>, Result<usize, PageError>) {
    (next_link(answer), count_items(&answer.body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::client::policy::Policy;
    use crate::secret::SecretValue;

    fn client(url: &str) -> Client {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("rt");
        let _g = rt.enter();
        Client::new(url, &SecretValue::from("t"), Policy::default()).expect("client")
    }

    fn answer(links: &[&str]) -> Answer {
        let mut headers = http::HeaderMap::new();
        for l in links {
            headers.append(http::header::LINK, l.parse().expect("value"));
        }
        Answer {
            status: StatusCode::OK,
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn reads_githubs_link_forms() {
        let a = answer(&[
            "<https://api.github.com/organizations/9/repos?per_page=100&page=2>; rel=\"next\", \
             <https://api.github.com/organizations/9/repos?per_page=100&page=3>; rel=\"last\"",
        ]);
        assert_eq!(
            next_link(&a).as_deref(),
            Some("https://api.github.com/organizations/9/repos?per_page=100&page=2")
        );
        assert_eq!(
            next_link(&answer(&["<https://x/y?page=1>; rel=\"prev\""])),
            None
        );
        assert_eq!(
            next_link(&answer(&["<https://x/y?page=2>; rel=next"])).as_deref(),
            Some("https://x/y?page=2")
        );
        assert_eq!(
            next_link(&answer(&["https://x/y; rel=\"next\""])).as_deref(),
            Some("")
        );
    }

    #[test]
    fn counts_a_pages_items_without_building_them() {
        assert_eq!(count_items(b"[]"), Ok(0));
        assert_eq!(count_items(br#"[{"a":[1,2,3,4]},2,"x"]"#), Ok(3));
        assert_eq!(
            count_items(br#"{"total_count":9,"secrets":[{"name":"A"},{"name":"B"}]}"#),
            Ok(2)
        );
        assert!(count_items(b"[1,2").is_err());
        assert!(count_items(b"[1] [2]").is_err());
        assert_eq!(per_page("/orgs/a/repos?type=all&per_page=100"), 100);
        assert_eq!(per_page("/x/secrets"), 30);
    }

    #[test]
    fn a_page_beyond_per_page_or_a_listing_beyond_its_bounds_is_refused() {
        let c = client("https://ghe.example");
        let mut pages = c.pages("/x?per_page=2".to_owned());
        let mut page = answer(&[]);
        page.body = b"[1,2]".to_vec();
        assert_eq!(pages.count(&page), Ok(()));
        page.body = b"[1,2,3]".to_vec();
        assert_eq!(
            pages.count(&page),
            Err(PageError::PageTooBig {
                items: 3,
                per_page: 2
            })
        );
        pages.per_page = MAX_ITEMS;
        page.body = b"[1,2]".to_vec();
        pages.items = MAX_ITEMS - 1;
        assert_eq!(
            pages.count(&page),
            Err(PageError::TooManyItems { max: MAX_ITEMS })
        );
        pages.bytes = MAX_LISTING_BYTES - 1;
        assert!(matches!(
            pages.count(&page),
            Err(PageError::TooManyBytes { .. })
        ));
    }

    #[test]
    fn follows_any_path_on_the_same_origin_only() {
        let c = client("https://ghe.example/api/v3");
        assert_eq!(
            c.same_origin_path("https://ghe.example/api/v3/repositories/5/actions/secrets?page=2"),
            Ok("/api/v3/repositories/5/actions/secrets?page=2".to_owned())
        );
        assert_eq!(
            c.same_origin_path("/api/v3/organizations/1/repos?page=2"),
            Ok("/api/v3/organizations/1/repos?page=2".to_owned())
        );
        for other in [
            "https://evil.example/api/v3/organizations/1/repos?page=2",
            "http://ghe.example/api/v3/organizations/1/repos?page=2",
            "https://ghe.example:8443/api/v3/organizations/1/repos?page=2",
            "https://u:p@ghe.example/api/v3/x",
            "//evil.example/x",
        ] {
            assert_eq!(
                c.same_origin_path(other),
                Err(PageError::OtherOrigin),
                "{other}"
            );
        }
        assert_eq!(c.same_origin_path(""), Err(PageError::BadLink));
        assert_eq!(c.same_origin_path("http://[::1"), Err(PageError::BadLink));
    }
}
