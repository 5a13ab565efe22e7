//! Conformance corpus: one trial per `tests/scripts/**/*.kiwi` file.
//!
//! Each script carries its expectations as comments (see `tests/scripts/README.md`):
//!
//! * `# expect: <text>`        one per stdout line, in order (stdout must match exactly)
//! * `# expect error: <text>`  the first line of stderr; the exit code then defaults to 1
//! * `# expect error prefix: <text>`  the first line of stderr starts with `<text>` (for errors
//!   whose message the spec leaves open, e.g. `[SyntaxError]:`); exit code defaults to 1
//! * `# exit: N`               the expected exit code (default 0)
//! * `# args: a b c`           command-line arguments after the script path
//! * `# stderr: <text>`        a line that must appear somewhere in stderr
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

#[derive(Debug, Default)]
struct Expectation {
    stdout: Vec<String>,
    error: Option<String>,
    error_prefix: Option<String>,
    exit: Option<i32>,
    args: Vec<String>,
    stderr: Vec<String>,
}

impl Expectation {
    fn exit_code(&self) -> i32 {
        self.exit
            .unwrap_or(if self.error.is_some() || self.error_prefix.is_some() {
                1
            } else {
                0
            })
    }
}

/// The text after a directive marker: one optional space is dropped, the rest is kept verbatim
/// (a trailing `\r` from CRLF files is removed).
fn directive_text(rest: &str) -> String {
    let rest = rest.strip_suffix('\r').unwrap_or(rest);
    rest.strip_prefix(' ').unwrap_or(rest).to_string()
}

fn parse_expectations(source: &str) -> Result<Expectation, String> {
    let mut exp = Expectation::default();
    for (lineno, line) in source.lines().enumerate() {
        let lineno = lineno + 1;
        if let Some(pos) = line.find("# expect error prefix:") {
            if exp.error_prefix.is_some() || exp.error.is_some() {
                return Err(format!("line {lineno}: more than one `# expect error`"));
            }
            exp.error_prefix = Some(directive_text(
                &line[pos + "# expect error prefix:".len()..],
            ));
        } else if let Some(pos) = line.find("# expect error:") {
            if exp.error.is_some() || exp.error_prefix.is_some() {
                return Err(format!("line {lineno}: more than one `# expect error`"));
            }
            exp.error = Some(directive_text(&line[pos + "# expect error:".len()..]));
        } else if let Some(pos) = line.find("# expect:") {
            exp.stdout
                .push(directive_text(&line[pos + "# expect:".len()..]));
        } else if let Some(pos) = line.find("# exit:") {
            let text = directive_text(&line[pos + "# exit:".len()..]);
            let code = text
                .trim()
                .parse::<i32>()
                .map_err(|e| format!("line {lineno}: bad `# exit:` value {text:?}: {e}"))?;
            exp.exit = Some(code);
        } else if let Some(pos) = line.find("# args:") {
            let text = directive_text(&line[pos + "# args:".len()..]);
            exp.args.extend(text.split_whitespace().map(str::to_string));
        } else if let Some(pos) = line.find("# stderr:") {
            exp.stderr
                .push(directive_text(&line[pos + "# stderr:".len()..]));
        }
    }
    Ok(exp)
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

fn check_script(bin: &Path, script: &Path) -> Result<(), String> {
    let source = std::fs::read_to_string(script)
        .map_err(|e| format!("cannot read {}: {e}", script.display()))?;
    let exp = parse_expectations(&source)?;
    let out = run_script(bin, script, &exp.args)?;

    let mut problems: Vec<String> = Vec::new();

    let mut expected_stdout = String::new();
    for line in &exp.stdout {
        expected_stdout.push_str(line);
        expected_stdout.push('\n');
    }
    if out.stdout != expected_stdout {
        let actual_lines: Vec<&str> = out.stdout.split_inclusive('\n').collect();
        let actual_trimmed: Vec<&str> = actual_lines
            .iter()
            .map(|l| l.strip_suffix('\n').unwrap_or(l))
            .collect();
        let mut msg = String::from("stdout differs (- expected, + actual):\n");
        msg.push_str(&line_diff(&exp.stdout, &actual_trimmed));
        if !out.stdout.is_empty() && !out.stdout.ends_with('\n') {
            msg.push_str(" (actual stdout does not end with a newline)\n");
        }
        problems.push(msg);
    }

    if let Some(expected_err) = &exp.error {
        let first = out.stderr.lines().next().unwrap_or("");
        if first != expected_err {
            problems.push(format!(
                "first stderr line differs:\n  expected: {expected_err}\n  actual:   {first}"
            ));
        }
    }

    if let Some(prefix) = &exp.error_prefix {
        let first = out.stderr.lines().next().unwrap_or("");
        if !first.starts_with(prefix.as_str()) {
            problems.push(format!(
                "first stderr line does not start with the expected prefix:\n  expected prefix: {prefix}\n  actual:          {first}"
            ));
        }
    }

    for wanted in &exp.stderr {
        if !out.stderr.lines().any(|l| l == wanted) {
            problems.push(format!("stderr lacks the line: {wanted}"));
        }
    }

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
    assert!(
        !scripts.is_empty(),
        "no .kiwi scripts found under {}",
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
        .collect();

    libtest_mimic::run(&args, trials).exit();
}
