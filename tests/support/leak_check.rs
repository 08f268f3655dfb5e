//! The leak check every harness shares (tests/integration/common.rs, tests/container.rs): one
//! definition of "a value leaked", so the in-process and the container runs cannot drift apart.

/// The parts of a value the runner's masker would hide: the value and each longer line.
pub fn value_parts(v: &str) -> Vec<String> {
    let mut parts = vec![v.to_owned()];
    if v.contains('\n') || v.contains('\r') {
        parts.extend(
            v.split(['\n', '\r'])
                .map(str::trim)
                .filter(|l| l.len() >= secret_refresh::output::redact::MIN_MASKED_LINE)
                .map(str::to_owned),
        );
    }
    parts.retain(|p| !p.trim().is_empty());
    parts
}

/// No value (nor a masked part of one) on stdout except in `::add-mask::` lines, which must all
/// come before any other line; and none anywhere in `others` (named texts: stderr, outputs, …).
pub fn assert_no_leak(stdout: &str, others: &[(&str, &str)], values: &[String]) {
    let parts: Vec<String> = values.iter().flat_map(|v| value_parts(v)).collect();
    let mut seen_other = false;
    for line in stdout.lines() {
        if line.starts_with("::add-mask::") {
            assert!(!seen_other, "a mask came after other output:\n{stdout}");
            continue;
        }
        seen_other = true;
        for part in &parts {
            assert!(
                !line.contains(part.as_str()),
                "value leaked on stdout: {line:?}"
            );
        }
    }
    for (what, text) in others {
        for part in &parts {
            assert!(
                !text.contains(part.as_str()),
                "value leaked in {what}:\n{text}"
            );
        }
    }
}

/// The value was registered with the runner's masker, escaped as the runner parses it.
pub fn assert_masked(stdout: &str, value: &str) {
    let mask = format!(
        "::add-mask::{}",
        secret_refresh::output::escape::escape_data(value)
    );
    assert!(
        stdout.lines().any(|l| l == mask),
        "value not masked; stdout:\n{stdout}"
    );
}

/// A cut of a value shorter than this is not looked for: the tool redacts runs of a secret from
/// this length on (`secret_refresh::output::matcher::FRAGMENT`); a shorter cut cannot be told
/// from ordinary text.
pub const MIN_CUT: usize = secret_refresh::output::matcher::FRAGMENT;
/// Every window of this many bytes of a form is looked for too: a form cut anywhere.
const WINDOW: usize = 24;

/// What a sink must not hold of `v`: every form the fake's hostile echo writes it back in
/// (`fake_github::echo::forms`: raw, JSON-escaped both ways, URL- and form-encoded, base64 and
/// base64url, prefixes and suffixes), base64 and base64url at each alignment inside a longer
/// stream, and every [`WINDOW`]-byte run of each of these. Cuts count from [`MIN_CUT`]
/// characters, other forms from 8 bytes.
pub fn forms_of(v: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    use base64::Engine as _;
    let mut forms: Vec<String> = Vec::new();
    for (label, text) in fake_github::echo::forms(v) {
        let cut = label.starts_with("prefix") || label.starts_with("suffix");
        let enough = if cut {
            text.chars().count() >= MIN_CUT
        } else {
            text.len() >= 8
        };
        if enough {
            forms.push(text);
        }
    }
    let bytes = v.as_bytes();
    for shift in 0..3 {
        let rest = bytes.get(shift..).unwrap_or_default();
        let whole = &rest[..rest.len() / 3 * 3];
        if whole.len() >= 6 {
            forms.push(STANDARD.encode(whole));
            forms.push(URL_SAFE.encode(whole));
        }
    }
    let mut windows = Vec::new();
    for f in &forms {
        let b = f.as_bytes();
        for start in (0..b.len().saturating_sub(WINDOW) + 1).filter(|s| f.is_char_boundary(*s)) {
            if let Some(w) = f.get(start..start + WINDOW) {
                windows.push(w.to_owned());
            }
        }
    }
    forms.extend(windows);
    forms.sort();
    forms.dedup();
    forms
}

/// No value in any of its forms ([`forms_of`]) in any sink: `stdout` (its `::add-mask::` lines
/// aside: they register the values and come first) and the named `others` (stderr, the outputs
/// and summary files, the audit log, the records). Values shorter than 8 bytes are not looked
/// for. One automaton over every form; a finding names the sink, the value's length and the
/// form, never the value.
pub fn assert_no_leak_in_any_form(stdout: &str, others: &[(&str, &str)], values: &[String]) {
    let needles: Vec<(usize, String)> = values
        .iter()
        .filter(|v| v.len() >= 8)
        .flat_map(|v| forms_of(v).into_iter().map(move |f| (v.len(), f)))
        .collect();
    assert!(!needles.is_empty(), "no value to look for");
    let automaton = aho_corasick::AhoCorasick::new(needles.iter().map(|(_, f)| f)).expect("ac");
    let logged: String = stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut findings = Vec::new();
    for (what, text) in std::iter::once(("stdout", logged.as_str())).chain(others.iter().copied()) {
        for m in automaton.find_iter(text) {
            let (len, form) = &needles[m.pattern().as_usize()];
            findings.push(format!(
                "{what} holds a {len}-byte value as a {}-byte form at {}",
                form.len(),
                m.start()
            ));
        }
    }
    assert!(findings.is_empty(), "{}", findings.join("\n"));
}

#[test]
#[should_panic(expected = "value leaked in stderr")]
fn a_value_in_stderr_is_a_leak() {
    assert_no_leak(
        "::add-mask::hunter22\nok\n",
        &[("stderr", "error: hunter22")],
        &["hunter22".to_owned()],
    );
}

#[test]
#[should_panic(expected = "a mask came after other output")]
fn a_mask_after_other_output_is_refused() {
    assert_no_leak("hello\n::add-mask::line-two-value\n", &[], &[]);
}

#[test]
fn a_masked_multi_line_value_passes() {
    let v = "first-line\nsecond-line".to_owned();
    assert_no_leak(
        "::add-mask::first-line%0Asecond-line\n::add-mask::second-line\nwrote it\n",
        &[("summary", "| `X` | `acme/api` | created |")],
        &[v],
    );
}

#[test]
#[should_panic(expected = "summary holds a")]
fn a_cut_or_encoded_value_is_a_leak() {
    let v = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789".to_owned();
    // Its last 20 characters, as a server echoes a suffix.
    assert_no_leak_in_any_form("", &[("summary", &format!("said: {}", &v[20..]))], &[v]);
}

#[test]
fn forms_of_a_value_hold_its_encodings_and_long_cuts_only() {
    use base64::Engine as _;
    let v = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    let forms = forms_of(v);
    let stream = base64::engine::general_purpose::URL_SAFE.encode(format!("x:{v}"));
    assert!(forms.iter().any(|f| stream.contains(f.as_str())));
    assert!(forms.contains(&v[..20].to_owned()));
    assert!(!forms.contains(&v[..15].to_owned()));
    assert_no_leak_in_any_form(
        "::add-mask::ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\nok ***\n",
        &[],
        &[v.to_owned()],
    );
}
