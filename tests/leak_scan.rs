//! The leak scan of everything: reads what every run of the integration suite printed and wrote
//! (stdout, stderr, outputs, step summaries, audit logs, the fake API's request log; recorded by
//! tests/integration/common.rs), applies the runner's masking rules to the log, and looks for
//! every value the suite handled — as is, line by line, and in the encodings the runner masks too
//! (base64 at each of its three alignments, JSON-escaped, URI-escaped).
//!
//! Run after the suite: `cargo test --test leak_scan -- --ignored` (`.ci/test` does).

// The scan reports its figures on stdout.
#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

/// Shorter values match ordinary text by chance; they are counted, not scanned.
const MIN_SCANNED: usize = 6;

/// A value and the forms the runner also masks.
fn encodings(v: &str) -> Vec<String> {
    let mut forms: BTreeSet<String> = BTreeSet::new();
    forms.insert(v.to_owned());
    if v.contains('\n') || v.contains('\r') {
        for line in v.split(['\n', '\r']) {
            let line = line.trim();
            if line.len() >= secret_refresh::output::redact::MIN_MASKED_LINE.max(MIN_SCANNED) {
                forms.insert(line.to_owned());
            }
        }
    }
    let json = serde_json::to_string(v).unwrap_or_default();
    forms.insert(json.trim_matches('"').to_owned());
    let uri = utf8_percent_encode(v, NON_ALPHANUMERIC).to_string();
    forms.insert(uri);
    // Base64: whichever of the three alignments the value sits at in a stream, the groups that
    // hold only its bytes encode to one of these.
    let bytes = v.as_bytes();
    for shift in 0..3 {
        if bytes.len() > shift {
            let rest = &bytes[shift..];
            let whole = rest.len() / 3 * 3;
            if whole >= 6 {
                forms.insert(STANDARD.encode(&rest[..whole]));
            }
        }
    }
    forms.retain(|f| f.len() >= MIN_SCANNED);
    forms.into_iter().collect()
}

/// The runner's view of the log: `::add-mask::` data registers a secret (unescaped), and every
/// registered secret and its encodings are replaced by `***` in every line after it.
fn mask_log(log: &str) -> String {
    let mut registered: Vec<String> = Vec::new();
    let mut out = String::new();
    for line in log.lines() {
        if let Some(data) = line.strip_prefix("::add-mask::") {
            let v = data
                .replace("%0D", "\r")
                .replace("%0A", "\n")
                .replace("%25", "%");
            registered.extend(encodings(&v));
            registered.push(v);
            registered.sort_by_key(|r| std::cmp::Reverse(r.len()));
            continue;
        }
        let mut masked = line.to_owned();
        for r in registered.iter().filter(|r| !r.is_empty()) {
            masked = masked.replace(r.as_str(), "***");
        }
        out.push_str(&masked);
        out.push('\n');
    }
    out
}

/// The fake's request log without the Authorization header (the token has to travel there) and
/// without the body of `POST /credentials/revoke` (`rotate --revoke-old` sends the old token
/// there, by design: it is GitHub's way to revoke it).
fn request_log_without_auth(jsonl: &str) -> String {
    jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|mut r| {
            if let Some(o) = r.as_object_mut() {
                o.remove("authorization");
                let revoke = o
                    .get("path")
                    .and_then(|p| p.as_str())
                    .is_some_and(|p| p.ends_with("/credentials/revoke"));
                if revoke {
                    o.remove("body");
                }
            }
            r.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Where a bound credential reached a service it is not for: each request's `Authorization`
/// (the one place the log keeps a credential) is looked at for every credential of the run
/// bound to another service (the runner's request token to `id_token`, an ID token to `sts`,
/// an exchanged token to `api`), in every form the scan knows.
fn misbound(record: &serde_json::Value) -> Vec<String> {
    let bound: Vec<(String, String)> = record["bound"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| {
            Some((
                b["value"].as_str()?.to_owned(),
                b["service"].as_str()?.to_owned(),
            ))
        })
        .filter(|(v, _)| v.len() >= MIN_SCANNED)
        .collect();
    let mut found = Vec::new();
    for line in record["requests"].as_str().unwrap_or_default().lines() {
        let Ok(r) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let service = r["service"].as_str().unwrap_or("api");
        let authorization = r["authorization"].as_str().unwrap_or_default();
        for (value, to) in &bound {
            if to != service
                && encodings(value)
                    .iter()
                    .any(|f| authorization.contains(f.as_str()))
            {
                found.push(format!(
                    "{}: a credential for {to} was sent to {service} ({} {})",
                    record["test"].as_str().unwrap_or_default(),
                    r["method"].as_str().unwrap_or_default(),
                    r["path"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    found
}

#[test]
#[ignore = "run after the integration suite: cargo test --test leak_scan -- --ignored"]
fn nothing_the_suite_printed_or_wrote_holds_a_value() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("leak-corpus");
    let mut records = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the integration suite ran first") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let record: serde_json::Value = serde_json::from_str(&text).expect("json");
        records.push(record);
    }
    assert!(records.len() >= 20, "only {} runs recorded", records.len());

    let mut all_values: BTreeSet<String> = BTreeSet::new();
    for r in &records {
        for v in r["values"].as_array().into_iter().flatten() {
            if let Some(v) = v.as_str() {
                all_values.insert(v.to_owned());
            }
        }
    }
    let short = all_values.iter().filter(|v| v.len() < MIN_SCANNED).count();
    let needles: Vec<(String, String)> = all_values
        .iter()
        .filter(|v| v.len() >= MIN_SCANNED)
        .flat_map(|v| encodings(v).into_iter().map(move |e| (v.clone(), e)))
        .collect();

    // One automaton over every form of every value: each artifact is read once.
    let automaton =
        aho_corasick::AhoCorasick::new(needles.iter().map(|(_, form)| form)).expect("automaton");
    let mut findings = Vec::new();
    let mut bytes = 0usize;
    let mut bound_runs = 0;
    for r in &records {
        if r["bound"].as_array().is_some_and(|b| b.len() > 1) {
            bound_runs += 1;
        }
        findings.extend(misbound(r));
        let field = |k: &str| r[k].as_str().unwrap_or_default().to_owned();
        let artifacts = [
            ("stdout", mask_log(&field("stdout"))),
            ("stderr", mask_log(&field("stderr"))),
            ("outputs", field("outputs")),
            ("summary", field("summary")),
            ("audit", field("audit")),
            ("requests", request_log_without_auth(&field("requests"))),
        ];
        for (what, text) in &artifacts {
            bytes += text.len();
            for m in automaton.find_overlapping_iter(text.as_str()) {
                let (value, form) = &needles[m.pattern().as_usize()];
                findings.push(format!(
                    "{}: {what} holds a value ({} chars) as {}",
                    field("test"),
                    value.len(),
                    if form == value {
                        "itself"
                    } else {
                        "an encoding"
                    }
                ));
            }
        }
    }
    println!(
        "leak scan: {} runs ({bound_runs} keyless), {} bytes, {} values ({} forms) scanned, {} values under {MIN_SCANNED} characters not scanned, {} findings",
        records.len(),
        bytes,
        all_values.len() - short,
        needles.len(),
        short,
        findings.len()
    );
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

#[test]
fn encodings_cover_the_runner_forms() {
    let forms = encodings("pass\"word/100%\nsecond-line");
    assert!(forms.contains(&"pass\\\"word/100%\\nsecond-line".to_owned()));
    assert!(forms.contains(&"second-line".to_owned()));
    assert!(forms.iter().any(|f| f.starts_with("pass%22word")));
    // One of the base64 alignments matches the value inside any longer base64 stream.
    let stream = STANDARD.encode(b"xx:pass\"word/100%\nsecond-line:yy");
    assert!(forms.iter().any(|f| stream.contains(f.as_str())));
    let masked = mask_log("::add-mask::a%0Ab%25c-long\nsee a\nb%c-long here\n");
    assert_eq!(masked, "see a\n*** here\n");
}

#[test]
fn a_credential_sent_to_another_service_is_found() {
    let id_token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvIn0.c2lnbmF0dXJlLXZhbHVl";
    let requests = [
        serde_json::json!({"service": "sts", "method": "GET", "path": "/sts/exchange", "authorization": format!("Bearer {id_token}")}),
        serde_json::json!({"service": "api", "method": "PUT", "path": "/repos/acme/api/actions/secrets/X", "authorization": "Bearer ghs_exchanged0123456789"}),
    ];
    let record = |requests: &[serde_json::Value]| {
        serde_json::json!({
            "test": "t",
            "requests": requests.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("\n"),
            "bound": [{"value": id_token, "service": "sts"}, {"value": "ghs_exchanged0123456789", "service": "api"}],
        })
    };
    assert!(misbound(&record(&requests)).is_empty());
    let mut leaked = requests.to_vec();
    leaked.push(serde_json::json!({"service": "api", "method": "GET", "path": "/user", "authorization": format!("Bearer {id_token}")}));
    assert_eq!(
        misbound(&record(&leaked)),
        ["t: a credential for sts was sent to api (GET /user)"]
    );
}
