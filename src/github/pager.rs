//! The one pager: follows `Link: rel="next"` to any path on the API's origin (GitHub answers
//! `GET /orgs/{org}/repos` with `/organizations/{id}/repos?page=2`, secret lists with
//! `/repositories/{id}/…`), refuses a link to another origin, caps the pages and detects loops.
//! A listing that cannot be finished is an error, never a silent truncation.

use std::collections::HashSet;

use http::StatusCode;
use url::Url;

use super::client::{Answer, ApiError, Client};

/// The most pages one listing may take (100 items a page: 100 000 items).
pub const MAX_PAGES: usize = 1000;

/// Why a listing could not be followed to its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error(
        "GitHub's link to the next page points away from the API's host: refused, so the \
         listing is incomplete"
    )]
    OtherOrigin,
    #[error("GitHub's link to the next page is not a URL: the listing is incomplete")]
    BadLink,
    #[error("GitHub's links to the next page go round in a loop: the listing is incomplete")]
    Loop,
    #[error("the listing has more than {max} pages: refused, the listing is incomplete")]
    TooManyPages { max: usize },
}

/// The pages of one listing, in order. Each [`Pages::next`] fetches one page; it ends after a
/// page without `rel="next"`, or after a page whose status is not 200 (the caller reads it).
pub struct Pages<'a> {
    client: &'a Client,
    next: Option<String>,
    seen: HashSet<String>,
    fetched: usize,
    max: usize,
}

impl<'a> Pages<'a> {
    pub(crate) fn new(client: &'a Client, first: String) -> Self {
        Pages {
            client,
            next: Some(first),
            seen: HashSet::new(),
            fetched: 0,
            max: MAX_PAGES,
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
            match next_link(&answer).map(|link| self.client.same_origin_path(&link)) {
                None => {}
                Some(Ok(next)) => self.next = Some(next),
                Some(Err(e)) => return Some(Err(e.into())),
            }
        }
        Some(Ok(answer))
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::Policy;
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
