//! Making text safe for the log and the step summary: [`clean`] (redacted, control characters
//! removed, no line that starts a workflow command), workflow-command escaping
//! ([`escape_data`], [`escape_property`]) and Markdown cells and text ([`md_cell`], [`md_text`]).

use super::invisible::is_invisible;
use super::redact::redact;

/// The colour codes this tool writes itself (labels and table rows).
const OUR_COLOURS: [&str; 7] = [
    "\x1b[0m",
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[1;31m",
    "\x1b[1;33m",
    "\x1b[1;36m",
];

/// Removes unsafe characters; with `colour`, keeps this tool's own colour codes.
fn strip_controls(text: &str, colour: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if colour && c == '\x1b' {
            if let Some(code) = OUR_COLOURS.iter().find(|code| rest.starts_with(**code)) {
                out.push_str(code);
                rest = &rest[code.len()..];
                continue;
            }
        }
        if !is_invisible(c) {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// No line starts a workflow command (`::…` after blanks) or holds a legacy `##[` command.
fn guard_line(line: &str) -> String {
    let line = line.replace("##[", "## [");
    let blanks = line.len() - line.trim_start().len();
    if line[blanks..].starts_with("::") {
        format!("{}: :{}", &line[..blanks], &line[blanks + 2..])
    } else {
        line
    }
}

/// Makes text safe to print as lines: redacted, control characters removed, every line
/// guarded. Keeps this tool's colour codes when `colour` is on.
pub fn clean(text: &str, colour: bool) -> String {
    // Redacted before (a value with control characters) and after (a value split by them).
    let stripped = strip_controls(&redact(text), colour);
    let redacted = redact(&stripped);
    let mut out = String::with_capacity(redacted.len());
    for (i, line) in redacted.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&guard_line(line));
    }
    out
}

/// Text for a markdown table cell (inside a code span or not): one line, HTML-escaped, no
/// column separator, no backtick that could close a code span.
pub fn md_cell(s: &str) -> String {
    md_escape(s).replace('`', "&#96;")
}

/// Free text for the summary (not in a table): one line, HTML-escaped, no link or image.
pub fn md_text(s: &str) -> String {
    md_escape(s)
}

/// The one escaping of text in the summary: redacted, controls removed, one line, HTML escaped,
/// and no Markdown link, image or autolink (`\`, `[`, `]` and `|` backslash-escaped: without a
/// bracket there is no link or image; `://` and `www.` broken so no autolink forms).
fn md_escape(s: &str) -> String {
    html_escape(&strip_controls(&redact(s), false).replace(['\n', '\t'], " "))
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('|', "\\|")
        .replace("://", "\\://")
        .replace("www.", "www\\.")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Escapes the data of a workflow command as the runner parses it.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (`title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_makes_every_line_inert_and_keeps_only_our_colours() {
        let hostile = "a\n::add-mask::x\r::set-output name=a::b\n  ::error::y ##[group]z \
                       \x1b]0;t\x07\x1b[2J\u{202E}\u{2028}\x1b[32mok\x1b[0m";
        let plain = clean(hostile, false);
        assert_eq!(
            plain,
            "a\n: :add-mask::x::set-output name=a::b\n  : :error::y ## [group]z ]0;t[2J[32mok[0m"
        );
        for line in plain.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line:?}");
        }
        let coloured = clean(hostile, true);
        assert!(coloured.ends_with("\x1b[32mok\x1b[0m"), "{coloured:?}");
        assert!(!coloured.contains("\x1b]") && !coloured.contains("\x1b[2J"));
    }

    #[test]
    fn markdown_text_is_escaped() {
        let cell = md_cell("`<img src=x onerror=alert(1)>` | a\nb & c");
        assert_eq!(
            cell,
            "&#96;&lt;img src=x onerror=alert(1)&gt;&#96; \\| a b &amp; c"
        );
        assert_eq!(
            md_text("see [here](javascript:x) <b>"),
            "see \\[here\\](javascript:x) &lt;b&gt;"
        );
        // Our own text is unchanged.
        assert_eq!(md_cell("acme/api"), "acme/api");
        assert_eq!(md_text("with `audit-log` kept"), "with `audit-log` kept");
    }
}
