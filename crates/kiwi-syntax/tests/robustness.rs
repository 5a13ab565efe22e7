//! The parser must never panic or overflow the stack, whatever the input.

use kiwi_syntax::parse;

/// Runs `parse` on a thread with `stack` bytes of stack and returns whether it produced errors.
fn parse_on_stack(src: String, stack: usize) -> Result<(), Vec<String>> {
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || {
            parse(&src)
                .map(|_| ())
                .map_err(|errs| errs.into_iter().map(|e| e.to_string()).collect())
        })
        .expect("spawn")
        .join()
        .expect("parser thread panicked or overflowed")
}

const SMALL_STACK: usize = 2 * 1024 * 1024;

fn nested(open: &str, inner: &str, close: &str, n: usize) -> String {
    format!("x = {}{}{}", open.repeat(n), inner, close.repeat(n))
}

fn assert_too_deep(src: String) {
    let errs = parse_on_stack(src, SMALL_STACK).expect_err("expected a nesting error");
    assert!(
        errs.iter().any(|e| e.contains("nested too deeply")),
        "{errs:?}"
    );
}

/// Deep-but-allowed nesting (just under the limit) must fit in a small stack too.
fn assert_ok_small_stack(src: String) {
    parse_on_stack(src, SMALL_STACK).expect("should parse");
}

#[test]
fn hundred_thousand_parens() {
    assert_too_deep(nested("(", "1", ")", 100_000));
}

#[test]
fn hundred_thousand_brackets() {
    assert_too_deep(nested("[", "1", "]", 100_000));
}

#[test]
fn hundred_thousand_braces() {
    assert_too_deep(nested("{1: ", "1", "}", 100_000));
}

#[test]
fn hundred_thousand_unary_minus() {
    assert_too_deep(format!("x = {}1", "- ".repeat(100_000)));
    assert_too_deep(format!("x = {}1", "! ".repeat(100_000)));
    assert_too_deep(format!("x = {}1", "not ".repeat(100_000)));
}

#[test]
fn long_operator_chain() {
    assert_too_deep(format!("x = 1{}", " + 1".repeat(100_000)));
    assert_too_deep(format!("x = 1{}", " ?? 1".repeat(100_000)));
}

#[test]
fn long_postfix_chains() {
    assert_too_deep(format!("x = f{}", "()".repeat(100_000)));
    assert_too_deep(format!("x = a{}", ".b".repeat(100_000)));
    assert_too_deep(format!("x = a{}", "[0]".repeat(100_000)));
    assert_too_deep(format!("x = a{}", ".m()".repeat(100_000)));
}

#[test]
fn deep_ternary() {
    assert_too_deep(format!("x = {}1", "a ? b : ".repeat(100_000)));
}

#[test]
fn deep_blocks() {
    assert_too_deep(format!(
        "{}{}",
        "if x\n".repeat(100_000),
        "end\n".repeat(100_000)
    ));
    assert_too_deep(format!(
        "{}{}",
        "while x do\n".repeat(100_000),
        "end\n".repeat(100_000)
    ));
    assert_too_deep(format!(
        "{}{}",
        "fn f()\n".repeat(100_000),
        "end\n".repeat(100_000)
    ));
    assert_too_deep(format!(
        "{}{}",
        "try\n".repeat(100_000),
        "end\n".repeat(100_000)
    ));
    assert_too_deep(format!(
        "x = {}1{}",
        "with do ".repeat(100_000),
        " end".repeat(100_000)
    ));
    assert_too_deep(format!("x = {}1", "do (a) => ".repeat(100_000)));
    assert_too_deep(format!(
        "x = {}1{}",
        "case when ".repeat(100_000),
        " end".repeat(100_000)
    ));
}

#[test]
fn deep_interpolation() {
    let mut s = String::from("1");
    for _ in 0..5_000 {
        s = format!("\"${{{s}}}\"");
    }
    assert_too_deep(format!("x = {s}"));
}

#[test]
fn unterminated_deep_interpolation_is_an_error() {
    let src = format!("x = {}", "\"${".repeat(100_000));
    parse_on_stack(src, SMALL_STACK).expect_err("unterminated");
}

#[test]
fn nesting_just_under_the_limit_fits_small_stacks() {
    // Mixed nesting: every level goes through the statement, lambda and expression paths.
    let mut s = String::from("1");
    for _ in 0..11 {
        s = format!("with do\n if (a)\n  x = [{{1: -(f({s}))}}]\n end\nend");
    }
    assert_ok_small_stack(format!("y = {s}"));
    assert_ok_small_stack(nested("(", "1", ")", 125));
    assert_ok_small_stack(nested("[", "1", "]", 125));
    assert_ok_small_stack(format!("x = {}1", "- ".repeat(125)));
    assert_ok_small_stack(format!("{}{}", "if x\n".repeat(125), "end\n".repeat(125)));
}
