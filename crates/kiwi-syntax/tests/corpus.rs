//! Parses every script of the workspace conformance corpus (`tests/scripts`, if present).
//!
//! A script expecting a `[SyntaxError]` and printing nothing must fail to parse; every other
//! script must parse (its errors, if any, happen at run time). `wishlist/` is skipped.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "wishlist") {
                collect(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "kiwi") {
            out.push(path);
        }
    }
}

#[test]
fn corpus_scripts_parse_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scripts");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut failures = Vec::new();
    for file in &files {
        let Ok(src) = std::fs::read_to_string(file) else {
            continue;
        };
        let expects_syntax_error = src
            .lines()
            .any(|l| l.contains("# expect error") && l.contains("[SyntaxError]"));
        let prints = src
            .lines()
            .any(|l| l.contains("# expect: ") || l.trim_end().ends_with("# expect:"));
        let must_fail = expects_syntax_error && !prints;
        match (kiwi_syntax::parse(&src), must_fail) {
            (Ok(_), true) => failures.push(format!(
                "{}: parsed, but a syntax error is expected",
                file.display()
            )),
            (Err(errs), false) => failures.push(format!(
                "{}: {:?}",
                file.display(),
                errs.iter().map(|e| e.to_string()).collect::<Vec<_>>()
            )),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus scripts:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
