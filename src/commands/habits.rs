//! What `gh secret` users type, answered precisely when clap refuses it: `--body`/`-b` (a
//! value on the command line: refused, and why), `--env-file`/`-f` (that is `sync` here),
//! `list` (that is `status`) and `secret set` (drop `secret`). [`answer`] is asked only after
//! clap has refused the arguments, so it never changes what a valid command does. It never
//! echoes the word after `--body`: that is a value.

use std::ffi::OsString;

use super::words::shell_word;

/// The precise answer to a refused command line that looks like a `gh secret` habit, or
/// `None` (then clap's own error is said). `args` excludes the program's name.
pub fn answer(args: &[OsString]) -> Option<String> {
    let words: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|w| w != "--")
        .collect();
    if let Some(flag) = words.iter().find_map(|w| body_flag(w)) {
        return Some(format!(
            "{flag}: a secret's value is never taken from the command line here: it would stay \
             in your shell history and be visible to other users in the process list. Leave \
             {flag} out and type the value at the hidden prompt, pipe it in (`command | \
             secret-refresh set NAME --repo owner/name`), or give --from-file PATH."
        ));
    }
    if let Some(i) = words
        .iter()
        .position(|w| matches!(w.as_str(), "--env-file" | "-f") || w.starts_with("--env-file="))
    {
        let file = match words.get(i).and_then(|w| w.strip_prefix("--env-file=")) {
            Some(f) => f.to_owned(),
            None => words
                .get(i + 1)
                .filter(|w| !w.starts_with('-'))
                .cloned()
                .unwrap_or_else(|| "FILE".to_owned()),
        };
        let flag = words.get(i).map_or(
            "--env-file",
            |w| {
                if w == "-f" {
                    "-f"
                } else {
                    "--env-file"
                }
            },
        );
        let mut command = vec![
            "sync".to_owned(),
            "--secrets-file".to_owned(),
            shell_word(&file),
        ];
        command.extend(target_flags(&words));
        return Some(format!(
            "{flag}: setting every `NAME=value` line of a file is `sync` here (with \
             --current-file it writes only the values that changed):\n  secret-refresh {}",
            command.join(" ")
        ));
    }
    let (first, rest) = words.split_first()?;
    let (gh, rest) = match first.as_str() {
        "secret" => {
            let (sub, rest) = rest.split_first()?;
            (format!("secret {sub}"), (sub.as_str(), rest))
        }
        _ => (first.clone(), (first.as_str(), rest)),
    };
    let prefixed = first == "secret";
    let ours = match rest.0 {
        "set" | "delete" if prefixed => rest.0,
        "list" | "ls" => "status",
        "remove" | "rm" => "delete",
        _ => return None,
    };
    let what = match ours {
        "status" => " (each target's secrets, and how old they are)",
        _ => "",
    };
    let mut command = vec![ours.to_owned()];
    command.extend(rest.1.iter().map(|w| shell_word(w)));
    Some(format!(
        "`{gh}` is `{ours}` here{what}:\n  secret-refresh {}",
        command.join(" ")
    ))
}

/// `--body`, `--body=…`, `-b` or `-b…` (gh's value on the command line): the flag as typed,
/// without its value.
fn body_flag(word: &str) -> Option<&'static str> {
    if word == "--body" || word.starts_with("--body=") {
        Some("--body")
    } else if word.starts_with("-b") {
        Some("-b")
    } else {
        None
    }
}

/// The target flags among `words`, with their values, for a suggested command.
fn target_flags(words: &[String]) -> Vec<String> {
    const FLAGS: [&str; 6] = ["-R", "--repo", "--repos-file", "--org", "--env", "--app"];
    let mut out = Vec::new();
    let mut iter = words.iter();
    while let Some(w) = iter.next() {
        if FLAGS.contains(&w.as_str()) {
            if let Some(v) = iter.next() {
                out.extend([w.clone(), shell_word(v)]);
            }
        } else if FLAGS.iter().any(|f| w.starts_with(&format!("{f}="))) {
            out.push(shell_word(w));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(args: &[&str]) -> Option<String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        answer(&args)
    }

    #[test]
    fn a_value_after_body_is_never_echoed() {
        for args in [
            &["set", "A", "--body", "hunter2"][..],
            &["set", "A", "--body=hunter2"],
            &["set", "A", "-bhunter2"],
            &["secret", "set", "A", "-b", "hunter2"],
        ] {
            let text = said(args).unwrap_or_default();
            assert!(text.contains("shell history"), "{args:?}: {text}");
            assert!(!text.contains("hunter2"), "{args:?}: {text}");
        }
    }

    #[test]
    fn what_is_not_a_habit_is_left_to_clap() {
        for args in [
            &["nonsense"][..],
            &["set", "A", "--value", "x"],
            &["set", "A", "--org", "o", "--repo", "o/r"],
            &["delete", "A", "--nope"],
            &[],
            &["secret"],
        ] {
            assert_eq!(said(args), None, "{args:?}");
        }
    }

    #[test]
    fn after_a_double_dash_nothing_is_a_flag() {
        assert_eq!(said(&["set", "--", "-b"]), None);
    }
}
