//! `completions SHELL` and `man`: shell completion scripts and man pages, generated from the clap
//! definitions, so they can never disagree with `--help`. The release archives carry both; a
//! `cargo install` user generates them with these commands.

use std::path::{Path, PathBuf};

use clap::Args;
use clap_complete::Shell;

use super::Error;

/// The program's name, as completions register it.
const BIN: &str = "secret-refresh";

pub const COMPLETIONS_AFTER_HELP: &str = "\
Prints the completion script on standard output; install it where your shell looks.

Examples:
  secret-refresh completions bash > ~/.local/share/bash-completion/completions/secret-refresh
  secret-refresh completions zsh > ~/.zfunc/_secret-refresh      # with fpath+=(~/.zfunc)
  secret-refresh completions fish > ~/.config/fish/completions/secret-refresh.fish
  secret-refresh completions powershell >> $PROFILE

Exit codes: 0 ok, 1 the script could not be written, 2 usage error.";

pub const MAN_AFTER_HELP: &str = "\
Prints the man page of secret-refresh on standard output; with --out DIR, writes one page per
command into DIR instead (secret-refresh.1, secret-refresh-sync.1, ...), creating DIR first when
it does not exist.

Examples:
  secret-refresh man | man -l -
  secret-refresh man --out ~/.local/share/man/man1

Exit codes: 0 ok, 1 a page could not be written, 2 usage error.";

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write one page per command into this directory (created when it does not exist).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// The completion script for `shell`.
pub fn completion_script(shell: Shell, mut command: clap::Command) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut script);
    if shell == Shell::Bash {
        script = fix_bash_hyphenated_name(&script);
    }
    script
}

/// clap_complete's bash script names the state of `secret-refresh set` two ways: the word loop
/// arrives at `secret__refresh__subcmd__set`, the case arms test `secret__subcmd__refresh__subcmd__set`,
/// so no command's flags ever complete when the program's name has a hyphen (clap-rs/clap#6421).
/// The arms are respelled the loop's way.
fn fix_bash_hyphenated_name(script: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(script);
    text.replace("secret__subcmd__refresh", "secret__refresh")
        .into_bytes()
}

/// The top-level man page (roff).
pub fn man_page(command: clap::Command) -> std::io::Result<Vec<u8>> {
    let mut page = Vec::new();
    clap_mangen::Man::new(command).render(&mut page)?;
    Ok(page)
}

/// One page per command, into `dir`, created first (with its parents) when it does not exist.
pub fn write_man_pages(command: clap::Command, dir: &Path) -> std::io::Result<()> {
    let dir = crate::env::resolve(dir);
    std::fs::create_dir_all(&dir)?;
    clap_mangen::generate_to(command, dir)
}

/// Why a script or a page was not written (a write failed: exit 1).
#[derive(Debug, thiserror::Error)]
pub enum CompletionsError {
    /// The pages could not be written into `--out`.
    #[error("cannot write the man pages into {dir}: {cause}")]
    ManPages { dir: String, cause: std::io::Error },
    /// The page could not be rendered.
    #[error("cannot render the man page: {0}")]
    Render(std::io::Error),
    /// Standard output refused the bytes.
    #[error("cannot write to standard output: {0}")]
    Stdout(std::io::Error),
}

/// `completions`: the script for `command`, the program's command tree.
pub fn run(args: CompletionsArgs, command: clap::Command) -> Result<(), Error> {
    write_stdout(&completion_script(args.shell, command))
}

/// `man`: the pages of `command`, the program's command tree.
pub fn run_man(args: ManArgs, command: clap::Command) -> Result<(), Error> {
    match args.out {
        Some(dir) => write_man_pages(command, &dir).map_err(|cause| {
            Error::failed(CompletionsError::ManPages {
                dir: dir.display().to_string(),
                cause,
            })
        }),
        None => match man_page(command) {
            Ok(page) => write_stdout(&page),
            Err(e) => Err(Error::failed(CompletionsError::Render(e))),
        },
    }
}

/// Standard output through the output layer (redacted like everything else); a closed pipe
/// (`| head`) is the reader's choice, not a failure worth a message.
fn write_stdout(bytes: &[u8]) -> Result<(), Error> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::failed(CompletionsError::Stdout(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            e,
        )))
    })?;
    crate::output::sink::write(crate::env::Which::Out, text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    fn tree() -> clap::Command {
        <crate::cli::Cli as clap::CommandFactory>::command()
    }

    /// Every flag that takes one of a few words completes to those words, never to file
    /// names (a table: command, flag, the words).
    #[test]
    fn enum_flags_complete_to_their_values() {
        let table: &[(&str, &str, &[&str])] = &[
            (
                "sync",
                "app",
                &["actions", "dependabot", "codespaces", "agents"],
            ),
            ("sync", "visibility", &["all", "private", "selected"]),
            ("sync", "if_no_files_found", &["warn", "error", "ignore"]),
            (
                "set",
                "app",
                &["actions", "dependabot", "codespaces", "agents"],
            ),
            ("set", "visibility", &["all", "private"]),
            (
                "status",
                "app",
                &["actions", "dependabot", "codespaces", "agents"],
            ),
            (
                "delete",
                "app",
                &["actions", "dependabot", "codespaces", "agents"],
            ),
            (
                "rotate",
                "app",
                &["actions", "dependabot", "codespaces", "agents"],
            ),
            (
                "check-token",
                "app",
                &["actions", "dependabot", "codespaces", "agents"],
            ),
        ];
        let tree = tree();
        for (command, flag, want) in table {
            let sub = tree
                .find_subcommand(command)
                .unwrap_or_else(|| panic!("{command}"));
            let arg = sub
                .get_arguments()
                .find(|a| a.get_id() == *flag)
                .unwrap_or_else(|| panic!("{command} {flag}"));
            let got: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            assert_eq!(got, *want, "{command} --{flag}");
        }
        let bash = String::from_utf8(completion_script(Shell::Bash, tree)).expect("UTF-8");
        let lines: Vec<&str> = bash.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let flag = line.trim();
            if ["--app)", "--visibility)", "--if-no-files-found)"].contains(&flag) {
                let next = lines.get(i + 1).copied().unwrap_or("");
                assert!(next.contains("compgen -W"), "{flag} completes: {next}");
            }
        }
    }

    #[test]
    fn every_shell_gets_a_script_that_names_every_command() {
        for shell in Shell::value_variants() {
            let script = String::from_utf8(completion_script(*shell, tree())).expect("UTF-8");
            for cmd in [
                "sync",
                "set",
                "status",
                "check-token",
                "rotate",
                "completions",
                "man",
            ] {
                assert!(script.contains(cmd), "{shell}: no {cmd}");
            }
            assert!(script.contains("repos-file"), "{shell}: no --repos-file");
        }
    }

    /// bash runs the script and completes as a user's <Tab> would: a command from its prefix, a
    /// flag of that command, a shell name for `completions`.
    #[test]
    fn bash_completes_commands_flags_and_shells() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("secret-refresh.bash");
        std::fs::write(&script, completion_script(Shell::Bash, tree())).expect("write");
        let complete = |line: &str| -> Vec<String> {
            let probe = format!(
                "source {script}\n\
                 COMP_WORDS=({line}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
                 COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
                 fn=$(complete -p secret-refresh | sed -n 's/.* -F \\([^ ]*\\) .*/\\1/p')\n\
                 \"$fn\" secret-refresh \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
                 printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
                script = script.display()
            );
            let out = std::process::Command::new("bash")
                .args(["--norc", "--noprofile", "-c", &probe])
                .output()
                .expect("run bash");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let mut words: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            words.sort();
            words
        };
        assert_eq!(complete("secret-refresh st"), ["status"]);
        assert_eq!(complete("secret-refresh c"), ["check-token", "completions"]);
        assert_eq!(complete("secret-refresh set --repos-f"), ["--repos-file"]);
        assert_eq!(
            complete("secret-refresh completions ''"),
            [
                "--help",
                "-h",
                "bash",
                "elvish",
                "fish",
                "powershell",
                "zsh"
            ]
        );
    }

    #[test]
    fn man_pages_cover_every_command() {
        let root = tempfile::tempdir().expect("tempdir");
        // `--out` names a directory that does not exist yet: it is created, parents too.
        let dir = root.path().join("share/man/man1");
        write_man_pages(tree(), &dir).expect("write man pages");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "secret-refresh-check-token.1",
                "secret-refresh-completions.1",
                "secret-refresh-delete.1",
                "secret-refresh-man.1",
                "secret-refresh-rotate.1",
                "secret-refresh-set.1",
                "secret-refresh-status.1",
                "secret-refresh-sync.1",
                "secret-refresh.1",
            ]
        );
        let sync = std::fs::read_to_string(dir.join("secret-refresh-sync.1")).expect("read");
        assert!(
            sync.contains(".TH secret-refresh-sync 1"),
            "roff: {sync:.200}"
        );
        assert!(
            sync.contains("Exit codes"),
            "the sync page has the exit codes"
        );
    }
}
