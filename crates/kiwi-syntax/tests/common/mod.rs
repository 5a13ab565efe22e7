//! Helpers shared by the parser test files.
#![allow(dead_code)]

use kiwi_syntax::ast::{Expr, Program, Stmt, StmtKind};
use kiwi_syntax::{parse, sexpr};

/// Parses `src`, which must be valid, and renders it as S-expressions.
pub fn ok(src: &str) -> String {
    match parse(src) {
        Ok(p) => sexpr::program(&p),
        Err(errs) => panic!("unexpected syntax errors for {src:?}: {errs:#?}"),
    }
}

/// Parses `src`, which must be valid.
pub fn program(src: &str) -> Program {
    parse(src).unwrap_or_else(|errs| panic!("unexpected syntax errors for {src:?}: {errs:#?}"))
}

/// The errors of `src`, which must be invalid, rendered as "message at line:col".
pub fn errors(src: &str) -> Vec<String> {
    match parse(src) {
        Ok(p) => panic!(
            "expected syntax errors for {src:?}, got {}",
            sexpr::program(&p)
        ),
        Err(errs) => errs.iter().map(|e| e.to_string()).collect(),
    }
}

/// The single error of `src`.
pub fn error(src: &str) -> String {
    let errs = errors(src);
    assert_eq!(
        errs.len(),
        1,
        "expected exactly one error for {src:?}: {errs:#?}"
    );
    errs.into_iter().next().unwrap_or_default()
}

/// Asserts that some error of `src` contains `needle`.
pub fn assert_error(src: &str, needle: &str) {
    let errs = errors(src);
    assert!(
        errs.iter().any(|e| e.contains(needle)),
        "no error containing {needle:?} for {src:?}: {errs:#?}"
    );
}

/// The value of `x = <expr>` (the source must be one such assignment).
pub fn value_of(src: &str) -> Expr {
    let p = program(src);
    let stmt: &Stmt = p.body.first().expect("one statement");
    match &stmt.kind {
        StmtKind::Assign { values, .. } => values[0].clone(),
        StmtKind::Expr(e) => e.clone(),
        other => panic!("not an assignment or expression: {other:?}"),
    }
}

/// The rendered expression of `x = <src>`.
pub fn expr(src: &str) -> String {
    sexpr::expr(&value_of(&format!("x = {src}")))
}
