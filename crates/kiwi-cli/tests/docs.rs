//! Runs the examples in `docs/*.md`.
//!
//! Every ```` ```kiwi ```` block that is immediately followed by an ```` ```output ```` block is
//! run as a script with the `kiwi` binary (10 s timeout) and its stdout must equal the output
//! block exactly (and the exit status must be 0). Its stderr must be empty, or equal the
//! ```` ```stderr ```` block that may follow the output block (where the script's temporary path
//! reads `example.kiwi`). A ```` ```kiwi ```` block without an output block is only checked for
//! syntax with `kiwi --check`. One trial per block, named `<file>:<line>`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use libtest_mimic::{Arguments, Failed, Trial};

const TIMEOUT: Duration = Duration::from_secs(10);

struct Block {
    file: String,
    line: usize,
    code: String,
    output: Option<String>,
    stderr: Option<String>,
}

/// The body of a fenced block starting after line `start` (the fence), and the index of the
/// closing fence.
fn fenced(lines: &[&str], start: usize) -> Option<(String, usize)> {
    let mut body = String::new();
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        if line.trim_end() == "```" {
            return Some((body, i));
        }
        body.push_str(line);
        body.push('\n');
    }
    None
}

fn extract(file: &str, text: &str) -> Result<Vec<Block>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let fence = lines[i].trim_end();
        if fence == "```kiwi" {
            let (code, end) = fenced(&lines, i)
                .ok_or_else(|| format!("{file}:{}: unclosed ```kiwi block", i + 1))?;
            let mut block = Block {
                file: file.to_string(),
                line: i + 1,
                code,
                output: None,
                stderr: None,
            };
            i = end + 1;
            if lines.get(i).map(|l| l.trim_end()) == Some("```output") {
                let (output, end) = fenced(&lines, i)
                    .ok_or_else(|| format!("{file}:{}: unclosed ```output block", i + 1))?;
                block.output = Some(output);
                i = end + 1;
                if lines.get(i).map(|l| l.trim_end()) == Some("```stderr") {
                    let (stderr, end) = fenced(&lines, i)
                        .ok_or_else(|| format!("{file}:{}: unclosed ```stderr block", i + 1))?;
                    block.stderr = Some(stderr);
                    i = end + 1;
                }
            }
            blocks.push(block);
        } else if fence.starts_with("```") {
            // Skip other fenced blocks whole, so their contents are never mistaken for fences.
            i = fenced(&lines, i).map_or(lines.len(), |(_, end)| end + 1);
        } else {
            i += 1;
        }
    }
    Ok(blocks)
}

/// Runs `kiwi args...` with a deadline; returns (exit code, stdout, stderr).
fn run(args: &[&std::ffi::OsStr], dir: &Path) -> Result<(Option<i32>, String, String), Failed> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiwi"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start kiwi: {e}"))?;
    let mut out = child.stdout.take().expect("piped stdout");
    let mut err = child.stderr.take().expect("piped stderr");
    let out = thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err = thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "timed out after {TIMEOUT:?}\nstdout so far:\n{}",
                out.join().unwrap_or_default()
            )
            .into());
        }
        thread::sleep(Duration::from_millis(5));
    };
    Ok((
        status.code(),
        out.join().unwrap_or_default(),
        err.join().unwrap_or_default(),
    ))
}

fn check(block: &Block) -> Result<(), Failed> {
    let dir = std::env::temp_dir().join(format!(
        "kiwi-docs-{}-{}-{}",
        std::process::id(),
        block.file.replace(['/', '.'], "_"),
        block.line
    ));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let script = dir.join("example.kiwi");
    std::fs::write(&script, &block.code).map_err(|e| e.to_string())?;
    let result = match &block.output {
        None => {
            let (code, _, stderr) = run(&["--check".as_ref(), script.as_os_str()], &dir)?;
            if code == Some(0) {
                Ok(())
            } else {
                Err(format!("kiwi --check failed:\n{stderr}").into())
            }
        }
        Some(expected) => {
            let (code, stdout, stderr) = run(&[script.as_os_str()], &dir)?;
            let shown = script
                .canonicalize()
                .unwrap_or_else(|_| script.clone())
                .display()
                .to_string();
            let stderr = stderr.replace(&shown, "example.kiwi");
            let expected_stderr = block.stderr.as_deref().unwrap_or("");
            if &stdout != expected {
                Err(format!(
                    "stdout differs\n--- expected\n{expected}--- got\n{stdout}--- stderr\n{stderr}"
                )
                .into())
            } else if code != Some(0) {
                Err(format!("exit code {code:?}\nstderr:\n{stderr}").into())
            } else if stderr != expected_stderr {
                Err(
                    format!("stderr differs\n--- expected\n{expected_stderr}--- got\n{stderr}")
                        .into(),
                )
            } else {
                Ok(())
            }
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn main() {
    let args = Arguments::from_args();
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&docs)
        .expect("docs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    let mut trials = Vec::new();
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("readable doc");
        match extract(&name, &text) {
            Ok(blocks) => {
                for block in blocks {
                    let kind = if block.output.is_some() {
                        "run"
                    } else {
                        "check"
                    };
                    let trial_name = format!("{}:{} ({kind})", block.file, block.line);
                    trials.push(Trial::test(trial_name, move || check(&block)));
                }
            }
            Err(e) => trials.push(Trial::test(name, move || Err(e.clone().into()))),
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
