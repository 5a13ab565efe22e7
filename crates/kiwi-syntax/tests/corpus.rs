//! Parses every script of the workspace conformance corpus (`tests/scripts`).
//!
//! A script expecting a `[SyntaxError]` and printing nothing must fail to parse; every other
//! script must parse (its errors, if any, happen at run time). `wishlist/` is skipped.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()));
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
    // The corpus has hundreds of scripts; finding (almost) none means it moved, not that all
    // is well.
    assert!(
        files.len() >= 100,
        "only {} scripts found under {}",
        files.len(),
        root.display()
    );
    let mut failures = Vec::new();
    for file in &files {
        let src = std::fs::read_to_string(file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
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
