//! Agents secrets, checked against GitHub's own description of them
//! (`descriptions/agents-secrets.json`, copied unedited from `@octokit/openapi` 23.0.2): every
//! operation the description lists is sent (with the API version these routes need), its path
//! built from the description's template, its request body checked against the description's
//! request schema, and the fake's status and body checked against the description's responses.
//! A description that gains an operation fails here until the fake serves it.

use std::collections::{BTreeMap, BTreeSet};

use fake_github::testclient::{request_with_headers, seal, Response};
use fake_github::{App, FakeGitHub, Scope, TokenKind, TokenSpec, AGENTS_API_VERSION as VERSION};
use serde_json::{json, Value};

const TOKEN: &str = "ghp_agents";
const DESCRIPTION: &str = include_str!("../descriptions/agents-secrets.json");

fn description() -> Value {
    serde_json::from_str(DESCRIPTION).expect("the description is JSON")
}

/// `(operationId, METHOD, path template)` of every operation the description lists.
fn operations(doc: &Value) -> Vec<(String, String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if let Some(id) = op.get("operationId").and_then(Value::as_str) {
                ops.push((id.to_owned(), method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    ops
}

/// `#/components/…` references resolved against the description.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut at = doc;
            for part in r.trim_start_matches("#/").split('/') {
                at = &at[part];
            }
            assert!(!at.is_null(), "unresolved reference {r}");
            resolve(doc, at)
        }
        None => schema,
    }
}

/// Checks `v` against an OpenAPI 3.0 schema (the subset the description uses: `$ref`, `type`,
/// `required`, `properties`, `additionalProperties: false`, `items`, `enum`, `nullable`,
/// `format: date-time`, `allOf`/`anyOf`/`oneOf`), collecting every mismatch with its place.
fn check(doc: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if v.is_null() && schema.get("nullable") == Some(&json!(true)) {
        return;
    }
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            check(doc, s, v, at, errors);
        }
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(any) = schema.get(key).and_then(Value::as_array) {
            let fits = any.iter().any(|s| {
                let mut e = Vec::new();
                check(doc, s, v, at, &mut e);
                e.is_empty()
            });
            if !fits {
                errors.push(format!("{at}: fits none of {key}"));
            }
        }
    }
    let ty = schema.get("type").and_then(Value::as_str);
    let fits = match ty {
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        _ => true,
    };
    if !fits {
        errors.push(format!("{at}: expected {}, got {v}", ty.unwrap_or("?")));
        return;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        if !values.contains(v) {
            errors.push(format!("{at}: {v} is not one of {values:?}"));
        }
    }
    if schema.get("format").and_then(Value::as_str) == Some("date-time") {
        if let Some(s) = v.as_str() {
            if time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .is_err()
            {
                errors.push(format!("{at}: {s:?} is not a date-time"));
            }
        }
    }
    if let Some(obj) = v.as_object() {
        for name in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !obj.contains_key(name) {
                errors.push(format!("{at}: required `{name}` is missing"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(doc, s, x, &format!("{at}.{k}"), errors),
                None if schema.get("additionalProperties") == Some(&json!(false)) => {
                    errors.push(format!("{at}: `{k}` is not allowed"))
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            check(doc, items, x, &format!("{at}[{i}]"), errors);
        }
    }
}

/// The description's path template with its parameters filled in.
fn fill(template: &str, params: &BTreeMap<&str, String>) -> String {
    let mut path = template.to_owned();
    for (k, v) in params {
        path = path.replace(&format!("{{{k}}}"), v);
    }
    assert!(!path.contains('{'), "unfilled parameter in {path}");
    path
}

fn world() -> (FakeGitHub, u64, u64, u64) {
    let gh = FakeGitHub::start();
    gh.add_org("acme");
    let api = gh.add_repo_with("acme/api", false, true);
    let web = gh.add_repo("acme/web");
    let docs = gh.add_repo("acme/docs");
    gh.add_token(TOKEN, TokenSpec::classic("octo", &["repo", "admin:org"]));
    (gh, api, web, docs)
}

fn send(
    gh: &FakeGitHub,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Response {
    let body = body.map(Value::to_string);
    request_with_headers(
        &gh.url(),
        method,
        path,
        Some(TOKEN),
        headers,
        body.as_deref(),
    )
    .expect("an answer")
}

/// Sends one documented operation with the version header and checks the answer against the
/// description: a documented status (`expect`), and a body that fits that status's schema.
fn call(
    gh: &FakeGitHub,
    doc: &Value,
    op: &(String, String, String),
    params: &BTreeMap<&str, String>,
    body: Option<Value>,
    expect: u16,
) -> Response {
    let (id, method, template) = op;
    let described = &doc["paths"][template.as_str()][method.to_ascii_lowercase().as_str()];
    if let Some(body) = &body {
        let schema = &described["requestBody"]["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{id}: the description takes no body");
        let mut errors = Vec::new();
        check(doc, schema, body, "request", &mut errors);
        assert!(
            errors.is_empty(),
            "{id}: our request does not fit: {errors:?}"
        );
    }
    let path = fill(template, params);
    let r = send(
        gh,
        method,
        &path,
        &[("X-GitHub-Api-Version", VERSION)],
        body.as_ref(),
    );
    assert_eq!(r.status, expect, "{id} {method} {path}: {}", r.body);
    let response = &described["responses"][expect.to_string().as_str()];
    assert!(
        !response.is_null(),
        "{id}: {expect} is not a documented answer"
    );
    match response["content"]["application/json"].get("schema") {
        Some(schema) => {
            let v: Value = serde_json::from_str(&r.body)
                .unwrap_or_else(|_| panic!("{id}: the body is not JSON: {:?}", r.body));
            let mut errors = Vec::new();
            check(doc, schema, &v, "response", &mut errors);
            assert!(
                errors.is_empty(),
                "{id}: the answer does not fit: {errors:?}"
            );
        }
        // A success the description gives no content has none (204).
        None if expect < 300 => assert_eq!(r.body, "", "{id}: {expect} carries no body"),
        // A refusal it gives no content for still carries GitHub's error body.
        None => {
            let v = r.json();
            assert!(
                v["message"].is_string() && v["documentation_url"].is_string(),
                "{id}: {expect} is not GitHub's error body: {}",
                r.body
            );
        }
    }
    r
}

#[test]
fn every_described_operation_is_served_as_described() {
    let doc = description();
    let ops = operations(&doc);
    assert_eq!(ops.len(), 15, "the description lists 15 operations");
    let by_id: BTreeMap<String, (String, String, String)> =
        ops.iter().map(|o| (o.0.clone(), o.clone())).collect();
    let op = |id: &str| {
        by_id
            .get(id)
            .unwrap_or_else(|| panic!("{id} is not described"))
    };
    let (gh, api, web, docs) = world();
    let mut p: BTreeMap<&str, String> = BTreeMap::new();
    p.insert("owner", "acme".into());
    p.insert("repo", "api".into());
    p.insert("org", "acme".into());
    p.insert("secret_name", "API_KEY".into());
    let mut done = BTreeSet::new();
    let mut did = |id: &str| {
        done.insert(id.to_owned());
    };

    // Repository secrets: key, create (201), update (204), read, list.
    let key = call(&gh, &doc, op("agents/get-repo-public-key"), &p, None, 200).json();
    did("agents/get-repo-public-key");
    assert_eq!(
        (
            key["key_id"].as_str().unwrap_or_default().to_owned(),
            key["key"].as_str().unwrap_or_default().to_owned()
        ),
        gh.public_key(&Scope::repo_app("acme/api", App::Agents))
    );
    assert_ne!(
        gh.public_key(&Scope::repo_app("acme/api", App::Agents)),
        gh.public_key(&Scope::repo("acme/api")),
        "Agents secrets have their own key pair"
    );
    let sealed = |key: &Value, value: &str| {
        json!({
            "encrypted_value": seal(key["key"].as_str().expect("key"), value),
            "key_id": key["key_id"],
        })
    };
    let put_repo = op("agents/create-or-update-repo-secret");
    call(&gh, &doc, put_repo, &p, Some(sealed(&key, "first")), 201);
    call(
        &gh,
        &doc,
        put_repo,
        &p,
        Some(sealed(&key, "sécond\nline")),
        204,
    );
    did("agents/create-or-update-repo-secret");
    let stored = gh
        .secret(&Scope::repo_app("acme/api", App::Agents), "api_key")
        .expect("stored");
    assert_eq!((stored.value.as_str(), stored.writes), ("sécond\nline", 2));
    assert!(gh.secret(&Scope::repo("acme/api"), "API_KEY").is_none());
    let got = call(&gh, &doc, op("agents/get-repo-secret"), &p, None, 200).json();
    did("agents/get-repo-secret");
    assert_eq!(got["name"], "API_KEY");
    let list = call(&gh, &doc, op("agents/list-repo-secrets"), &p, None, 200).json();
    did("agents/list-repo-secrets");
    assert_eq!(list["total_count"], 1);

    // Organisation secrets: key, create with a selection, read, list, selection operations.
    p.insert("secret_name", "ORG_KEY".into());
    let org_key = call(&gh, &doc, op("agents/get-org-public-key"), &p, None, 200).json();
    did("agents/get-org-public-key");
    let mut body = sealed(&org_key, "org value");
    body["visibility"] = json!("selected");
    body["selected_repository_ids"] = json!([api]);
    call(
        &gh,
        &doc,
        op("agents/create-or-update-org-secret"),
        &p,
        Some(body),
        201,
    );
    did("agents/create-or-update-org-secret");
    let got = call(&gh, &doc, op("agents/get-org-secret"), &p, None, 200).json();
    did("agents/get-org-secret");
    assert_eq!(got["visibility"], "selected");
    assert!(got["selected_repositories_url"]
        .as_str()
        .is_some_and(|u| u.ends_with("/orgs/acme/agents/secrets/ORG_KEY/repositories")));
    let list = call(&gh, &doc, op("agents/list-org-secrets"), &p, None, 200).json();
    did("agents/list-org-secrets");
    assert_eq!(list["secrets"][0]["name"], "ORG_KEY");
    let selected = call(
        &gh,
        &doc,
        op("agents/list-selected-repos-for-org-secret"),
        &p,
        None,
        200,
    )
    .json();
    did("agents/list-selected-repos-for-org-secret");
    assert_eq!(selected["repositories"][0]["id"], api);
    call(
        &gh,
        &doc,
        op("agents/set-selected-repos-for-org-secret"),
        &p,
        Some(json!({"selected_repository_ids": [api, web]})),
        204,
    );
    did("agents/set-selected-repos-for-org-secret");
    p.insert("repository_id", docs.to_string());
    call(
        &gh,
        &doc,
        op("agents/add-selected-repo-to-org-secret"),
        &p,
        None,
        204,
    );
    did("agents/add-selected-repo-to-org-secret");
    p.insert("repository_id", web.to_string());
    call(
        &gh,
        &doc,
        op("agents/remove-selected-repo-from-org-secret"),
        &p,
        None,
        204,
    );
    did("agents/remove-selected-repo-from-org-secret");
    let ids = gh
        .secret(&Scope::org_app("acme", App::Agents), "ORG_KEY")
        .expect("stored")
        .selected_repository_ids;
    assert_eq!(
        (
            ids,
            gh.secret(&Scope::org_app("acme", App::Agents), "ORG_KEY")
                .map(|s| s.value)
        ),
        (vec![api, docs], Some("org value".to_owned()))
    );

    // The organisation's secrets a repository may use: acme/api is selected, acme/web is not.
    let usable = call(
        &gh,
        &doc,
        op("agents/list-repo-organization-secrets"),
        &p,
        None,
        200,
    )
    .json();
    did("agents/list-repo-organization-secrets");
    assert_eq!(
        (
            usable["total_count"].clone(),
            usable["secrets"][0]["name"].clone()
        ),
        (json!(1), json!("ORG_KEY"))
    );
    p.insert("repo", "web".into());
    let usable = call(
        &gh,
        &doc,
        op("agents/list-repo-organization-secrets"),
        &p,
        None,
        200,
    )
    .json();
    assert_eq!(usable["total_count"], 0);
    p.insert("repo", "api".into());

    // A selection change on a secret whose visibility is not `selected`: 409, as described.
    p.insert("secret_name", "ALL_KEY".into());
    let mut body = sealed(&org_key, "for all");
    body["visibility"] = json!("all");
    call(
        &gh,
        &doc,
        op("agents/create-or-update-org-secret"),
        &p,
        Some(body),
        201,
    );
    p.insert("repository_id", web.to_string());
    call(
        &gh,
        &doc,
        op("agents/add-selected-repo-to-org-secret"),
        &p,
        None,
        409,
    );
    call(
        &gh,
        &doc,
        op("agents/remove-selected-repo-from-org-secret"),
        &p,
        None,
        409,
    );

    // Deletes.
    p.insert("secret_name", "ORG_KEY".into());
    call(&gh, &doc, op("agents/delete-org-secret"), &p, None, 204);
    did("agents/delete-org-secret");
    p.insert("secret_name", "API_KEY".into());
    call(&gh, &doc, op("agents/delete-repo-secret"), &p, None, 204);
    did("agents/delete-repo-secret");
    assert!(gh
        .secret(&Scope::repo_app("acme/api", App::Agents), "API_KEY")
        .is_none());

    let described: BTreeSet<String> = by_id.keys().cloned().collect();
    assert_eq!(done, described, "every described operation was exercised");
    // Every request carried the version, once.
    assert!(gh
        .requests()
        .iter()
        .all(|r| r.api_version.as_deref() == Some(VERSION)));
}

#[test]
fn agents_routes_need_the_2026_03_10_api_version() {
    let doc = description();
    let (gh, api, _, _) = world();
    gh.set_secret(&Scope::repo_app("acme/api", App::Agents), "API_KEY", "v");
    gh.set_secret(&Scope::org_app("acme", App::Agents), "ORG_KEY", "v");
    gh.set_org_secret_visibility(
        &Scope::org_app("acme", App::Agents),
        "ORG_KEY",
        "selected",
        vec![api],
    );
    let mut p: BTreeMap<&str, String> = BTreeMap::new();
    p.insert("owner", "acme".into());
    p.insert("repo", "api".into());
    p.insert("org", "acme".into());
    p.insert("secret_name", "ORG_KEY".into());
    p.insert("repository_id", api.to_string());
    for (id, method, template) in operations(&doc) {
        let mut p = p.clone();
        if template.starts_with("/repos/") {
            p.insert("secret_name", "API_KEY".into());
        }
        let path = fill(&template, &p);
        let body = matches!(method.as_str(), "PUT").then(|| json!({}));
        for headers in [
            &[][..],
            &[("X-GitHub-Api-Version", "2022-11-28")][..],
            &[
                ("X-GitHub-Api-Version", VERSION),
                ("X-GitHub-Api-Version", VERSION),
            ][..],
        ] {
            let r = send(&gh, &method, &path, headers, body.as_ref());
            assert_eq!(r.status, 404, "{id} with {headers:?}: {}", r.body);
            assert_eq!(r.json()["message"], "Not Found", "{id}");
        }
    }
    // Nothing was touched by the refused calls.
    assert_eq!(
        gh.secrets(&Scope::repo_app("acme/api", App::Agents)).len(),
        1
    );
    assert_eq!(
        gh.secret(&Scope::org_app("acme", App::Agents), "ORG_KEY")
            .map(|s| s.selected_repository_ids),
        Some(vec![api])
    );
    // The log keeps what was sent: no header, one value, or both values.
    let seen: BTreeSet<Option<String>> = gh.requests().into_iter().map(|r| r.api_version).collect();
    assert_eq!(
        seen,
        BTreeSet::from([
            None,
            Some("2022-11-28".to_owned()),
            Some(format!("{VERSION}, {VERSION}"))
        ])
    );
    // Other routes do not care: the Actions key answers without the header.
    let r = send(
        &gh,
        "GET",
        "/repos/acme/api/actions/secrets/public-key",
        &[],
        None,
    );
    assert_eq!(r.status, 200);
}

#[test]
fn agents_permissions_for_each_kind_of_token() {
    let (gh, api, _, _) = world();
    let fine = |agents_write: bool| TokenSpec {
        login: "octo".into(),
        kind: TokenKind::FineGrained {
            repositories: None,
            secrets_write: true,
            environments_write: true,
            org_secrets_write: true,
            dependabot_write: true,
            codespaces_write: true,
            agents_write,
        },
        expires_at: None,
        revoked: false,
    };
    gh.add_token("fg-no-agents", fine(false));
    gh.add_token("fg-agents", fine(true));
    gh.add_token("classic-no-org", TokenSpec::classic("octo", &["repo"]));
    let v = [("X-GitHub-Api-Version", VERSION)];
    let get = |token: &str, path: &str| {
        request_with_headers(&gh.url(), "GET", path, Some(token), &v, None).expect("answer")
    };
    let repo_key = "/repos/acme/api/agents/secrets/public-key";
    let org_key = "/orgs/acme/agents/secrets/public-key";

    let r = get("fg-no-agents", repo_key);
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        r.json()["message"],
        "Resource not accessible by personal access token"
    );
    assert_eq!(
        r.header("x-accepted-github-permissions"),
        Some("agent_secrets=write")
    );
    let r = get("fg-no-agents", org_key);
    assert_eq!(
        (r.status, r.header("x-accepted-github-permissions")),
        (403, Some("organization_agent_secrets=write"))
    );
    assert_eq!(get("fg-agents", repo_key).status, 200);
    assert_eq!(get("fg-agents", org_key).status, 200);
    // A classic token without `admin:org` is refused the organisation's secrets, hidden as 404.
    let r = get("classic-no-org", org_key);
    assert_eq!(
        (r.status, r.header("x-accepted-oauth-scopes")),
        (404, Some("admin:org"))
    );
    assert_eq!(get("classic-no-org", repo_key).status, 200);

    // A GitHub App installation token: `agent_secrets` read lets it read the key, not write.
    let key = fake_github::AppKey::shared();
    gh.add_app(7, &key.public_pem);
    let inst = gh.add_installation(
        7,
        "acme",
        None,
        &[
            ("agent_secrets", "read"),
            ("organization_agent_secrets", "write"),
        ],
    );
    let now = gh.now().unix_timestamp();
    let jwt = fake_github::sign_jwt(
        &key.pkcs1_pem,
        &json!({"iat": now - 30, "exp": now + 300, "iss": "7"}),
    );
    let minted = request_with_headers(
        &gh.url(),
        "POST",
        &format!("/app/installations/{inst}/access_tokens"),
        Some(&jwt),
        &[],
        Some("{}"),
    )
    .expect("answer")
    .json();
    let token = minted["token"].as_str().expect("a token").to_owned();
    assert_eq!(get(&token, repo_key).status, 200);
    assert_eq!(get(&token, org_key).status, 200);
    let put = request_with_headers(
        &gh.url(),
        "PUT",
        "/repos/acme/api/agents/secrets/X",
        Some(&token),
        &v,
        Some("{}"),
    )
    .expect("answer");
    assert_eq!(
        (put.status, put.header("x-accepted-github-permissions")),
        (403, Some("agent_secrets=write"))
    );
    let _ = api;
}

/// The checker above is what makes the first test mean something: it must refuse answers that
/// do not fit.
#[test]
fn the_checker_refuses_what_the_description_refuses() {
    let doc = description();
    let secret = json!({"$ref": "#/components/schemas/organization-actions-secret"});
    let fits = |v: Value| {
        let mut e = Vec::new();
        check(&doc, &secret, &v, "x", &mut e);
        e
    };
    let good = json!({"name": "A", "created_at": "2099-01-02T03:04:05Z",
        "updated_at": "2099-01-02T03:04:05Z", "visibility": "selected"});
    assert_eq!(fits(good.clone()), Vec::<String>::new());
    let mut bad = good.clone();
    bad["visibility"] = json!("public");
    assert_eq!(fits(bad).len(), 1);
    let mut bad = good.clone();
    bad.as_object_mut().map(|o| o.remove("updated_at"));
    assert_eq!(
        fits(bad),
        vec!["x: required `updated_at` is missing".to_owned()]
    );
    let mut bad = good;
    bad["created_at"] = json!("yesterday");
    assert_eq!(fits(bad).len(), 1);
    let empty = json!({"$ref": "#/components/schemas/empty-object"});
    let mut e = Vec::new();
    check(&doc, &empty, &json!({"x": 1}), "x", &mut e);
    assert_eq!(e, vec!["x: `x` is not allowed".to_owned()]);
}
