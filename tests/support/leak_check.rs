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
