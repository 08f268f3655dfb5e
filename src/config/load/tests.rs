use super::destination::parse_repo_specs;
use super::options::check_api_url;
use crate::config::input::{FrontEnd, Input};

#[test]
fn api_urls() {
    for ok in [
        "https://api.github.com",
        "https://ghe.example/api/v3",
        "http://127.0.0.1:8080",
        "http://localhost",
        "http://[::1]:9/x",
        "http://127.8.9.10",
    ] {
        assert_eq!(check_api_url(ok), Ok(()), "{ok}");
    }
    for bad in [
        "http://api.github.com",
        "http://localhost.evil.com",
        "http://127.0.0.1.nip.io",
        "ftp://x",
        "api.github.com",
        "https://",
        "https://u:p@host",
    ] {
        assert!(check_api_url(bad).is_err(), "{bad}");
    }
}

#[test]
fn repo_specs() {
    let mut errors = Vec::new();
    let specs = parse_repo_specs(
        "acme/api\n# x\nacme/service-*\nacme/api\n",
        Input::Repositories,
        FrontEnd::Action,
        &mut errors,
    );
    assert!(errors.is_empty());
    assert_eq!(specs.len(), 2);
    assert_eq!(specs[1].to_string(), "acme/service-*");
    parse_repo_specs(
        "acme\n/x\nacme/a/b\n",
        Input::Repositories,
        FrontEnd::Cli,
        &mut errors,
    );
    assert_eq!(errors.len(), 3);
    assert_eq!(
        errors[0].to_string(),
        "`--repositories`: line 1: `acme` is not owner/name or owner/glob"
    );
}
