//! The prompt for the files to send, on the local screen: a line editor (rustyline) with Tab
//! completion of file names; the answer is split as a shell splits words (quotes,
//! backslashes), with `~` and globs expanded.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{
    Cmd, CompletionType, Config, Context, Editor, Helper, KeyCode, KeyEvent, Modifiers,
};

/// Ask for files until the answer names some that exist, or is empty, Ctrl-C or Esc
/// (`None`: send nothing).
pub fn ask(question: &str) -> Result<Option<Vec<PathBuf>>, ReadlineError> {
    let mut editor = editor()?;
    loop {
        let Some(line) = read(&mut editor, question)? else {
            return Ok(None);
        };
        let home = std::env::var_os("HOME").map(PathBuf::from);
        match paths(&line, home.as_deref()) {
            Ok(files) if files.is_empty() => return Ok(None),
            Ok(files) => return Ok(Some(files)),
            Err(why) => eprintln!("xyzmodem: {why}; again (empty: send nothing)"),
        }
    }
}

/// Ask for one name (a file to write); `None` for an empty answer, Ctrl-C or Esc.
pub fn ask_name(question: &str) -> Result<Option<PathBuf>, ReadlineError> {
    let line = read(&mut editor()?, question)?;
    Ok(line
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .map(PathBuf::from))
}

/// One line; `None` for Ctrl-C, Esc or the end of input.
fn read(
    editor: &mut Editor<Files, DefaultHistory>,
    question: &str,
) -> Result<Option<String>, ReadlineError> {
    match editor.readline(question) {
        Ok(line) => Ok(Some(line)),
        Err(ReadlineError::Interrupted | ReadlineError::Eof) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A line editor that completes file names on Tab and takes Esc as Ctrl-C.
fn editor() -> Result<Editor<Files, DefaultHistory>, ReadlineError> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        // Esc alone is a key (it declines), not only the start of a sequence: a terminal
        // sends a sequence's bytes together.
        .keyseq_timeout(Some(50))
        .build();
    let mut editor = Editor::<Files, DefaultHistory>::with_config(config)?;
    editor.set_helper(Some(Files(FilenameCompleter::new())));
    editor.bind_sequence(KeyEvent(KeyCode::Esc, Modifiers::NONE), Cmd::Interrupt);
    Ok(editor)
}

/// The paths an answer names: its words as a shell splits them, `~/` and `~` for the home
/// directory, and a word with `*`, `?` or `[` the files it matches (sorted). A pattern that
/// matches nothing, a file that is not there and an unclosed quote are errors.
pub fn paths(line: &str, home: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let words = shell_words::split(line).map_err(|_| "a quote is not closed".to_owned())?;
    let mut out = Vec::new();
    for word in words {
        let word = match (word.strip_prefix('~'), home) {
            (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
                format!("{}{rest}", home.display())
            }
            _ => word,
        };
        if word.contains(['*', '?', '[']) {
            let mut found: Vec<PathBuf> = glob::glob(&word)
                .map_err(|e| format!("{word}: {e}"))?
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect();
            if found.is_empty() {
                return Err(format!("no file matches {word}"));
            }
            found.sort();
            out.extend(found);
        } else if Path::new(&word).is_file() {
            out.push(PathBuf::from(word));
        } else {
            return Err(format!("{word}: no such file"));
        }
    }
    Ok(out)
}

/// Tab completes file names.
struct Files(FilenameCompleter);

impl Completer for Files {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        self.0.complete(line, pos, ctx)
    }
}

impl Hinter for Files {
    type Hint = String;
}

impl Highlighter for Files {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Borrowed(line)
    }
}

impl Validator for Files {}

impl Helper for Files {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_split_as_a_shell_does_and_globs_expanded() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        for name in ["a b.bin", "c.bin", "d.txt"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let p = |s: &str| paths(&s.replace("D", &d), None);
        let path = |name: &str| dir.path().join(name);
        assert_eq!(
            p("'D/a b.bin' D/c.bin").unwrap(),
            [path("a b.bin"), path("c.bin")]
        );
        assert_eq!(p("D/a\\ b.bin").unwrap(), [path("a b.bin")]);
        assert_eq!(p("\"D\"/*.bin").unwrap(), [path("a b.bin"), path("c.bin")]);
        assert_eq!(p("   ").unwrap(), Vec::<PathBuf>::new());
        assert_eq!(
            p("D/*.iso").unwrap_err(),
            format!("no file matches {d}/*.iso")
        );
        assert_eq!(
            p("D/e.bin").unwrap_err(),
            format!("{d}/e.bin: no such file")
        );
        assert_eq!(p("'D/c.bin").unwrap_err(), "a quote is not closed");
    }

    #[test]
    fn a_tilde_is_the_home_directory() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join("f.bin"), b"x").unwrap();
        let p = |s: &str| paths(s, Some(home.path()));
        assert_eq!(p("~/f.bin").unwrap(), [home.path().join("f.bin")]);
        assert_eq!(p("~/*.bin").unwrap(), [home.path().join("f.bin")]);
        // `~user` is not this user's home.
        assert_eq!(p("~f.bin").unwrap_err(), "~f.bin: no such file");
    }
}
