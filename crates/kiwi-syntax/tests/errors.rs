//! Error messages, positions and recovery: every syntax error of a file is reported.

mod common;
use common::{error, errors, ok};

#[test]
fn unclosed_blocks_name_the_opener() {
    assert_eq!(
        error("x = 1\n\nwhile x do\n  x = x - 1\n"),
        "Expected 'end' to close 'while' started at line 3 at 5:1"
    );
    assert_eq!(
        error("if a\n  b"),
        "Expected 'end' to close 'if' started at line 1 at 2:4"
    );
    assert_eq!(
        error("fn f()\n  1"),
        "Expected 'end' to close 'fn' started at line 1 at 2:4"
    );
    assert_eq!(
        error("def f()\n  1"),
        "Expected 'end' to close 'def' started at line 1 at 2:4"
    );
    assert_eq!(
        error("x = with do\n  1"),
        "Expected 'end' to close 'with' started at line 1 at 2:4"
    );
    assert_eq!(
        error("package p\n"),
        "Expected 'end' to close 'package' started at line 1 at 2:1"
    );
}

#[test]
fn nested_unclosed_blocks_each_report() {
    let errs = errors("while x do\n  if y\n    z\n");
    assert_eq!(
        errs,
        vec![
            "Expected 'end' to close 'if' started at line 2 at 4:1",
            "Expected 'end' to close 'while' started at line 1 at 4:1",
        ]
    );
}

#[test]
fn wrong_closing_keyword() {
    assert_eq!(
        error("while x do\n  y\nelse\n  z\nend"),
        "Unexpected 'else' with no open block to match it at 3:1"
    );
}

#[test]
fn stray_block_keywords() {
    assert_eq!(
        error("end"),
        "Unexpected 'end' with no open block to match it at 1:1"
    );
    assert_eq!(
        error("x = 1\nelse"),
        "Unexpected 'else' with no open block to match it at 2:1"
    );
    assert_eq!(
        error("catch e"),
        "Unexpected 'catch' with no open block to match it at 1:1"
    );
    assert_eq!(
        error("when x"),
        "Unexpected 'when' (a guard must follow a statement) at 1:1"
    );
}

#[test]
fn unclosed_brackets_name_the_opener() {
    assert_eq!(
        error("x = [1, 2\ny = 3"),
        "Expected ',' or ']' to close the list opened at line 1, found 'y' at 2:1"
    );
    assert_eq!(
        error("x = {1: 2\nprintln x"),
        "Expected ',' or '}' to close the hashmap opened at line 1, found 'println' at 2:1"
    );
    assert_eq!(
        error("x = (1 + 2\ny = 3"),
        "Expected ')' to close '(' opened at line 1, found 'y' at 2:1"
    );
    assert_eq!(
        error("f(1, 2"),
        "Unexpected end of file: expected ',' or ')' to close the argument list opened at line 1 at 1:7"
    );
    assert_eq!(
        error("f("),
        "Unexpected end of file: expected ')' to close '(' opened at line 1 at 1:3"
    );
}

#[test]
fn messages_for_unexpected_tokens() {
    assert_eq!(
        error("x = 1 +"),
        "Unexpected end of file: expected an expression at 1:8"
    );
    assert_eq!(error("+ 1"), "Unexpected token '+' at 1:1");
    assert_eq!(error("x = ]"), "Expected an expression, found ']' at 1:5");
    assert_eq!(
        error("x = a ? b"),
        "Unexpected end of file: expected ':' in ternary expression at 1:10"
    );
    assert_eq!(
        error("x = a."),
        "Unexpected end of file: expected a member name after '.' at 1:7"
    );
    assert_eq!(
        error("x = a.1"),
        "Expected a member name after '.', found '1' at 1:7"
    );
    assert_eq!(
        error("x = {1 2}"),
        "Expected ':' after the hashmap key, found '2' at 1:8"
    );
    assert_eq!(error("x => 1"), "Unexpected token '=>' at 1:3");
}

#[test]
fn all_errors_of_a_file_are_reported() {
    let src = "println \"never printed\"\nx = (1 +\ny = 2 +* 3\nprintln \"also never\"\nz = ]\n";
    let errs = errors(src);
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs[0].contains("to close '(' opened at line 2"));
    assert!(errs[1].contains("Unknown operator '+*'"));
    assert!(errs[2].contains("found ']'"));
}

#[test]
fn errors_are_in_source_order() {
    let errs = errors("a = ]\nb = 1 $ 2\nc = )");
    assert_eq!(
        errs,
        vec![
            "Expected an expression, found ']' at 1:5",
            "Unexpected character '$' at 2:7",
            "Expected an expression, found ')' at 3:5",
        ]
    );
}

#[test]
fn recovery_inside_blocks() {
    let src = "fn f()\n  x = ]\n  y = 1\nend\nwhile a do\n  b = )\nend\nprintln f(";
    let errs = errors(src);
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs[0].ends_with("at 2:7"));
    assert!(errs[1].ends_with("at 6:7"));
    assert!(errs[2].contains("close '(' opened at line 8"));
}

#[test]
fn recovery_resumes_at_the_unexpected_statement() {
    // `3 +` wants an operand; `println` on the next line is reported once, then parsed.
    let errs = errors("z = 3 +\nprintln \"ok\"\nw = ]");
    assert_eq!(
        errs,
        vec![
            "Expected an expression, found 'println' at 2:1",
            "Expected an expression, found ']' at 3:5"
        ]
    );
}

#[test]
fn broken_header_does_not_cascade() {
    // The body parses as ordinary statements and the stray `end` is not reported again.
    assert_eq!(
        errors("fn f(a,, b)\n  return a\nend\nprintln 1"),
        vec!["Expected a parameter name, found ',' at 1:8"]
    );
    assert_eq!(
        errors("x = if a 1 else 2 end"),
        vec!["'if' is a statement and cannot be used as a value (use 'case' or '? :') at 1:5"]
    );
    assert_eq!(
        errors("for x in do\n  println x\nend\nprintln 1"),
        vec!["Expected the collection to iterate over after 'in', found 'do' at 1:10"]
    );
}

#[test]
fn missing_do_then_body_still_checked() {
    let errs = errors("while x\n  y = ]\nend");
    assert_eq!(errs.len(), 2, "{errs:#?}");
}

#[test]
fn too_many_errors_stops_early() {
    let src = "x = ]\n".repeat(1_000);
    let errs = errors(&src);
    assert!(errs.len() <= 101, "{}", errs.len());
    assert!(errs
        .last()
        .is_some_and(|e| e.contains("Too many syntax errors")));
}

#[test]
fn nesting_errors_are_reported_once() {
    let src = format!("x = {}1{}\ny = ]", "(".repeat(1_000), ")".repeat(1_000));
    let errs = errors(&src);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0].starts_with("Expression or block nested too deeply at 1:"),
        "{errs:#?}"
    );
}

#[test]
fn lexer_errors_do_not_cascade() {
    assert_eq!(
        errors("x = 1 +* 2\ny = 3"),
        vec!["Unknown operator '+*' (put a space between operators, e.g. 'x = -1') at 1:7"]
    );
    assert_eq!(
        errors("x=-1"),
        vec!["Unknown operator '=-' (put a space between operators, e.g. 'x = -1') at 1:2"]
    );
    assert_eq!(
        errors("x = 0x1FFFFFFFF + 1"),
        vec!["The hex literal '1FFFFFFFF' does not fit in 32 bits at 1:5"]
    );
}

#[test]
fn valid_code_after_errors_is_still_checked_in_nested_constructs() {
    let src = "if a\n  x = (\nelsif b\n  y = ]\nelse\n  z = }\nend";
    assert_eq!(errors(src).len(), 3);
}

#[test]
fn display_format() {
    let errs = kiwi_syntax::parse("x = ]").expect_err("invalid");
    assert_eq!(errs[0].message, "Expected an expression, found ']'");
    assert_eq!((errs[0].span.line, errs[0].span.col), (1, 5));
    assert_eq!(
        errs[0].to_string(),
        "Expected an expression, found ']' at 1:5"
    );
}

#[test]
fn sanity_valid_program_still_ok() {
    assert_eq!(ok("x = 1"), "(= x 1)");
}
