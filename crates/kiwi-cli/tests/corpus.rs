//! Conformance corpus: one trial per `tests/scripts/**/*.kiwi` file.
//!
//! Each script carries its expectations as comments (see `tests/scripts/README.md`):
//!
//! * `# expect: <text>`        one per stdout line, in order (stdout must match exactly)
//! * `# stderr: <text>`        one per line the script itself writes to stderr, in order
//! * `# expect error: <text>`  an uncaught error report, `[Type]: message`; the exit code then
//!   defaults to 1. Several are reported in order (every syntax error of a file).
//! * `# expect task error: <text>`  the report of a spawned task's failure nobody retrieved:
//!   a `Task N failed ...` header (any N), then the error like `# expect error`; exit code
//!   unchanged
//! * `# at: LINE:COL`          where the error of the matching `# expect error` points
//! * `# exit: N`               the expected exit code (default 0)
//! * `# args: a b c`           command-line arguments after the script path
//!
//! Stderr must be exactly the script's own `# stderr:` lines and one report per `# expect
//! error` (the message, `File: <script>:LINE:COL`, that source line, a caret under COL and a
//! blank line), in the order of the directives. A script that declares none of these must
//! write nothing to stderr.
//!
//! Scripts under `tests/scripts/wishlist/` are known failures: they run, but their outcome is
//! reported as "ignored" (with the reason) so they never fail the run.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// Hard limit for one script run.
const TIMEOUT: Duration = Duration::from_secs(10);

/// An uncaught error the script must end with: its `[Type]: message` line and where it points.
#[derive(Debug)]
struct ExpectedError {
    message: String,
    at: (usize, usize),
    /// A spawned task's unretrieved failure (reported under a `Task N failed` header).
    in_task: bool,
}

/// The header of an unretrieved task failure, with the task id left out.
const TASK_HEADER: &str =
    "Task * failed and its error was never retrieved (task::await or task::result):";

/// `text` with the id in each task-failure header replaced by `*`, so that expectations do not
/// depend on task ids.
fn mask_task_ids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let masked = line.strip_prefix("Task ").and_then(|rest| {
            let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
            let tail = &rest[digits..];
            (digits > 0 && tail.starts_with(" failed and its error was never retrieved"))
                .then(|| format!("Task *{tail}"))
        });
        out.push_str(masked.as_deref().unwrap_or(line));
    }
    out
}

#[derive(Debug, Default)]
struct Expectation {
    stdout: Vec<String>,
    /// The script's own stderr lines, each with how many error reports come before it.
    stderr: Vec<(usize, String)>,
    errors: Vec<ExpectedError>,
    exit: Option<i32>,
    args: Vec<String>,
}

impl Expectation {
    fn exit_code(&self) -> i32 {
        let uncaught = self.errors.iter().any(|e| !e.in_task);
        self.exit.unwrap_or(if uncaught { 1 } else { 0 })
    }
}

/// The text after a directive marker: one optional space is dropped, the rest is kept verbatim
/// (a trailing `\r` from CRLF files is removed).
fn directive_text(rest: &str) -> String {
    let rest = rest.strip_suffix('\r').unwrap_or(rest);
    rest.strip_prefix(' ').unwrap_or(rest).to_string()
}

/// `LINE:COL`, both from 1.
fn parse_position(text: &str) -> Option<(usize, usize)> {
    let (line, col) = text.trim().split_once(':')?;
    let (line, col) = (line.parse().ok()?, col.parse().ok()?);
    (line >= 1 && col >= 1).then_some((line, col))
}

fn parse_expectations(source: &str) -> Result<Expectation, String> {
    let mut exp = Expectation::default();
    let mut messages = Vec::new();
    let mut positions = Vec::new();
    for (lineno, line) in source.lines().enumerate() {
        let lineno = lineno + 1;
        let after = |marker: &str| {
            line.find(marker)
                .map(|pos| directive_text(&line[pos + marker.len()..]))
        };
        if line.contains("# expect error prefix:") {
            return Err(format!(
                "line {lineno}: `# expect error prefix:` is gone; write the whole message with `# expect error:`"
            ));
        } else if let Some(text) = after("# expect task error:") {
            messages.push((text, true));
        } else if let Some(text) = after("# expect error:") {
            messages.push((text, false));
        } else if let Some(text) = after("# expect:") {
            exp.stdout.push(text);
        } else if let Some(text) = after("# at:") {
            let at = parse_position(&text)
                .ok_or_else(|| format!("line {lineno}: `# at:` wants LINE:COL, not {text:?}"))?;
            positions.push(at);
        } else if let Some(text) = after("# exit:") {
            let code = text
                .trim()
                .parse::<i32>()
                .map_err(|e| format!("line {lineno}: bad `# exit:` value {text:?}: {e}"))?;
            exp.exit = Some(code);
        } else if let Some(text) = after("# args:") {
            exp.args.extend(text.split_whitespace().map(str::to_string));
        } else if let Some(text) = after("# stderr:") {
            exp.stderr.push((messages.len(), text));
        }
    }
    if messages.len() != positions.len() {
        return Err(format!(
            "{} `# expect error:` but {} `# at:`: each error needs its position",
            messages.len(),
            positions.len()
        ));
    }
    exp.errors = messages
        .into_iter()
        .zip(positions)
        .map(|((message, in_task), at)| ExpectedError {
            message,
            at,
            in_task,
        })
        .collect();
    Ok(exp)
}

/// The whole stderr `exp` calls for: the script's own lines and each error report as the
/// interpreter renders it for `script` (whose text is `source`), in the order of the
/// directives.
fn expected_stderr(exp: &Expectation, script: &Path, source: &str) -> Result<Vec<String>, String> {
    let own_lines_before = |n: usize| {
        exp.stderr
            .iter()
            .filter(move |(before, _)| *before == n)
            .map(|(_, line)| line.clone())
    };
    let mut lines: Vec<String> = own_lines_before(0).collect();
    for (i, e) in exp.errors.iter().enumerate() {
        let (line, col) = e.at;
        let text = source
            .lines()
            .nth(line - 1)
            .ok_or_else(|| format!("`# at: {line}:{col}` is past the end of the script"))?;
        if e.in_task {
            lines.push(TASK_HEADER.to_string());
        }
        lines.push(e.message.clone());
        lines.push(format!("File: {}:{line}:{col}", script.display()));
        lines.push(text.trim_end_matches('\r').to_string());
        lines.push(format!("{}^", " ".repeat(col - 1)));
        lines.push(String::new());
        lines.extend(own_lines_before(i + 1));
    }
    Ok(lines)
}

struct RunOutput {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

fn run_script(bin: &Path, script: &Path, args: &[String]) -> Result<RunOutput, String> {
    let dir = script.parent().expect("script has a parent directory");
    let mut child = Command::new(bin)
        .arg(script)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("failed to start {}: {e}", bin.display()))?;

    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = out_pipe.read_to_end(&mut buf);
        buf
    });
    let err_reader = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = err_pipe.read_to_end(&mut buf);
        buf
    });

    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {
                if start.elapsed() >= TIMEOUT {
                    let _ = child.kill();
                    let _ = child.wait();
                    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default())
                        .into_owned();
                    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default())
                        .into_owned();
                    return Err(format!(
                        "TIMEOUT: the script did not finish within {} s and was killed\n\
                         --- stdout so far ---\n{}\n--- stderr so far ---\n{}",
                        TIMEOUT.as_secs(),
                        stdout,
                        stderr
                    ));
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) => return Err(format!("waiting for the interpreter failed: {e}")),
        }
    };
    let stdout = String::from_utf8_lossy(&out_reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    Ok(RunOutput {
        status,
        stdout,
        stderr,
    })
}

/// A small line diff (LCS based) in a unified-like style.
fn line_diff(expected: &[String], actual: &[&str]) -> String {
    let n = expected.len();
    let m = actual.len();
    // lcs[i][j] = LCS length of expected[i..] and actual[j..]
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if expected[i] == actual[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = String::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && expected[i] == actual[j] {
            out.push_str(&format!("   {}\n", expected[i]));
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!(" + {}\n", actual[j]));
            j += 1;
        } else {
            out.push_str(&format!(" - {}\n", expected[i]));
            i += 1;
        }
    }
    out
}

/// Compares `actual` output with the `expected` lines (each ending in a newline); describes
/// the difference, if any, under `what`.
fn compare_lines(what: &str, expected: &[String], actual: &str) -> Option<String> {
    let mut wanted = String::new();
    for line in expected {
        wanted.push_str(line);
        wanted.push('\n');
    }
    if actual == wanted {
        return None;
    }
    let actual_lines: Vec<&str> = actual
        .split_inclusive('\n')
        .map(|l| l.strip_suffix('\n').unwrap_or(l))
        .collect();
    let mut msg = format!("{what} differs (- expected, + actual):\n");
    msg.push_str(&line_diff(expected, &actual_lines));
    if !actual.is_empty() && !actual.ends_with('\n') {
        msg.push_str(&format!(" (actual {what} does not end with a newline)\n"));
    }
    Some(msg)
}

fn check_script(bin: &Path, script: &Path) -> Result<(), String> {
    let source = std::fs::read_to_string(script)
        .map_err(|e| format!("cannot read {}: {e}", script.display()))?;
    let exp = parse_expectations(&source)?;
    // The interpreter reports the script's absolute path with symbolic links resolved.
    let shown_path = script
        .canonicalize()
        .unwrap_or_else(|_| script.to_path_buf());
    let wanted_stderr = expected_stderr(&exp, &shown_path, &source)?;
    let out = run_script(bin, script, &exp.args)?;

    let mut problems: Vec<String> = Vec::new();
    problems.extend(compare_lines("stdout", &exp.stdout, &out.stdout));
    problems.extend(compare_lines(
        "stderr",
        &wanted_stderr,
        &mask_task_ids(&out.stderr),
    ));

    let expected_code = exp.exit_code();
    match out.status.code() {
        Some(code) if code == expected_code => {}
        Some(code) => problems.push(format!(
            "exit code differs: expected {expected_code}, actual {code}"
        )),
        None => problems.push(format!(
            "the interpreter was killed by a signal ({:?}); expected exit code {expected_code}",
            out.status
        )),
    }

    if problems.is_empty() {
        Ok(())
    } else {
        let mut msg = format!("script: {}\n", script.display());
        for p in problems {
            msg.push_str(&p);
            if !msg.ends_with('\n') {
                msg.push('\n');
            }
        }
        msg.push_str("--- stderr ---\n");
        msg.push_str(&out.stderr);
        Err(msg)
    }
}

fn collect_scripts(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_scripts(&path, out);
        } else if path.extension().is_some_and(|e| e == "kiwi") {
            out.push(path);
        }
    }
}

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap_or(root);
    let scripts_dir = root.join("tests").join("scripts");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_kiwi"));

    let mut scripts = Vec::new();
    collect_scripts(&scripts_dir, &mut scripts);
    // Hundreds of scripts live there; (almost) none found means the folder moved.
    assert!(
        scripts.len() >= 100,
        "only {} .kiwi scripts found under {}",
        scripts.len(),
        scripts_dir.display()
    );

    let trials: Vec<Trial> = scripts
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&scripts_dir).unwrap_or(&path);
            let name = rel
                .with_extension("")
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let wishlist = name.starts_with("wishlist/");
            let bin = bin.clone();
            Trial::ignorable_test(name, move || match check_script(&bin, &path) {
                Ok(()) if wishlist => Ok(Completion::ignored_with(
                    "wishlist script now PASSES: move it out of wishlist/",
                )),
                Ok(()) => Ok(Completion::Completed),
                Err(msg) if wishlist => {
                    let first = msg.lines().nth(1).unwrap_or("").to_string();
                    Ok(Completion::ignored_with(format!(
                        "wishlist (known failure): {first}"
                    )))
                }
                Err(msg) => Err(Failed::from(msg)),
            })
        })
        .chain(harness_self_checks(&bin))
        .collect();

    libtest_mimic::run(&args, trials).exit();
}

/// Scripts the harness must reject (and one it must accept), so that its own checks are shown
/// to be able to fail: `(name, script, expected part of the complaint or "" to pass)`.
const SELF_CHECKS: &[(&str, &str, &str)] = &[
    (
        "undeclared_stderr_fails",
        "println 1\neprintln \"stray\"\n# expect: 1\n",
        "stderr differs",
    ),
    (
        "wrong_error_position_fails",
        "x = 1\nthrow \"no\"\n# expect error: [KiwiError]: no\n# at: 1:1\n",
        "stderr differs",
    ),
    (
        "error_without_position_fails",
        "throw \"no\"\n# expect error: [KiwiError]: no\n",
        "needs its position",
    ),
    (
        "wrong_stdout_fails",
        "println 2\n# expect: 1\n",
        "stdout differs",
    ),
    (
        "unretrieved_task_failure_passes",
        "task::spawn(with do throw \"lost\" end)\n# expect task error: [KiwiError]: lost\n# at: 1:21\n",
        "",
    ),
    (
        "unexpected_task_failure_fails",
        "task::spawn(with do throw \"lost\" end)\n",
        "stderr differs",
    ),
    (
        "exact_stderr_passes",
        "eprintln \"own\"\nx = 1\nthrow \"no\"\n# stderr: own\n# expect error: [KiwiError]: no\n# at: 3:1\n",
        "",
    ),
];

/// One trial per [`SELF_CHECKS`] row, each running its script from a temporary file.
fn harness_self_checks(bin: &Path) -> Vec<Trial> {
    SELF_CHECKS
        .iter()
        .map(|&(name, script, complaint)| {
            let bin = bin.to_path_buf();
            Trial::test(format!("harness/{name}"), move || {
                let dir = std::env::temp_dir()
                    .join(format!("kiwi-corpus-self-check-{}", std::process::id()));
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let path = dir.join(format!("{name}.kiwi"));
                std::fs::write(&path, script).map_err(|e| e.to_string())?;
                let result = check_script(&bin, &path);
                let _ = std::fs::remove_file(&path);
                match (result, complaint) {
                    (Ok(()), "") => Ok(()),
                    (Ok(()), _) => {
                        Err(format!("the harness accepted it; expected `{complaint}`").into())
                    }
                    (Err(msg), "") => Err(format!("the harness rejected it:\n{msg}").into()),
                    (Err(msg), _) if msg.contains(complaint) => Ok(()),
                    (Err(msg), _) => Err(format!("expected `{complaint}`, got:\n{msg}").into()),
                }
            })
        })
        .collect()
}
