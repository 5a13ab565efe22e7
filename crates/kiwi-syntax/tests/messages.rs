//! Every message the parser's statement and expression rules give, with its position: one
//! row per error site in `parser/stmt.rs` and `parser/expr.rs` (block and recovery messages are
//! in `errors.rs`). Each row is the whole message, "message at line:col", so a reworded or
//! misplaced error fails here.

mod common;
use common::error;

/// `(source, the one error it must give)`.
const CASES: &[(&str, &str)] = &[
    ("x &&= 1", "Operator '&&=' is not supported (outside the Kiwi subset) at 1:3"),
    ("x ||= 1", "Operator '||=' is not supported (outside the Kiwi subset) at 1:3"),
    ("x ~= 1", "Operator '~=' is not supported (outside the Kiwi subset) at 1:3"),
    ("f() = 1", "Invalid assignment target at 1:2"),
    ("string = 1", "The type name 'string' cannot be used as a variable name at 1:1"),
    ("null = 1", "Invalid assignment target at 1:1"),
    ("for string in [1] do end", "The type name 'string' cannot be used as a variable name at 1:5"),
    ("if\n  x\nend", "The 'if' condition must start on the same line as 'if' at 1:1"),
    ("while do\nend", "Expected a condition after 'while', found 'do' at 1:7"),
    ("while x\n  y\nend", "Expected 'do' to start the 'while' body, found 'y' at 2:3"),
    ("for x do\nend", "Expected 'in' after the loop variable, found 'do' at 1:7"),
    ("for x, 1 in [] do end", "Expected a second loop variable after ',', found '1' at 1:8"),
    ("for x in do\nend", "Expected the collection to iterate over after 'in', found 'do' at 1:10"),
    ("repeat do\nend", "Expected a count after 'repeat', found 'do' at 1:8"),
    ("repeat 3 as do\nend", "Expected a counter name after 'as', found 'do' at 1:13"),
    ("try\n  a\ncatch (a, b, c)\n  b\nend", "'catch' binds at most two names (type, message) at 3:14"),
    ("try a catch (a b) end", "Expected ',' or ')' after the catch variable, found 'b' at 1:16"),
    ("try a catch (1) end", "Expected a catch variable name, found '1' at 1:14"),
    ("fn\n  f()\nend", "The function name must be on the same line as 'fn' at 1:1"),
    ("fn f(*a, b) end", "The '*rest' parameter must be the last parameter at 1:10"),
    ("fn f(a b) end", "Expected ',' or ')' in the parameter list, found 'b' at 1:8"),
    ("fn f(a", "Unexpected end of file: expected ',' or ')' in the parameter list at 1:7"),
    ("fn f(a: 1) end", "Expected a type name, found '1' at 1:9"),
    ("fn f(1) end", "Expected a parameter name, found '1' at 1:6"),
    ("package 1\nend", "Expected a package name, found '1' at 1:9"),
    ("require a::1", "Expected a name after '::', found '1' at 1:12"),
    ("require )", "Expected a package name after 'require', found ')' at 1:9"),
    ("const x = 1", "The constant name 'x' must be upper-case (letters, digits and '_') at 1:7"),
    ("const X 1", "Expected '=' after the constant name, found '1' at 1:9"),
    ("const 1 = 2", "Expected a constant name after 'const', found '1' at 1:7"),
    ("var (a = 1 b)", "Expected ',' or ')' in the 'var' list, found 'b' at 1:12"),
    ("var (a = 1", "Unexpected end of file: expected ',' or ')' in the 'var' list at 1:11"),
    ("var 1", "Expected a variable name, found '1' at 1:5"),
    ("end", "Unexpected 'end' with no open block to match it at 1:1"),
    ("when x", "Unexpected 'when' (a guard must follow a statement) at 1:1"),
    ("struct S\n  x = 1\nend", "Expected 'fn', '@name = value' or 'static @name = value' in the struct body, found 'x' at 2:3"),
    ("println", "'println' needs exactly one expression (write println \"\" for an empty line) at 1:1"),
    ("eprint", "'eprint' needs exactly one expression (write eprint \"\" for an empty line) at 1:1"),
    ("x = 1 when y else", "Unexpected end of file: expected an expression at 1:18"),
    ("x = a.", "Unexpected end of file: expected a member name after '.' at 1:7"),
    ("x = f(1", "Unexpected end of file: expected ',' or ')' to close the argument list opened at line 1 at 1:8"),
    ("x = f(1 2)", "Expected ',' or ')' to close the argument list opened at line 1, found '2' at 1:9"),
    ("x = (1", "Unexpected end of file: expected ')' to close '(' opened at line 1 at 1:7"),
    ("x = )", "Expected an expression, found ')' at 1:5"),
    ("x = if y", "'if' is a statement and cannot be used as a value (use 'case' or '? :') at 1:5"),
    ("x = yield", "Expected an expression, found 'yield' at 1:5"),
    ("x = @@", "Unexpected end of file: expected a static variable name after '@@' at 1:7"),
    ("x = ", "Unexpected end of file: expected an expression at 1:5"),
    ("x = a::1", "Unexpected token '::' at 1:6"),
    ("x = [1 2]", "Expected ',' or ']' to close the list opened at line 1, found '2' at 1:8"),
    ("x = [1", "Unexpected end of file: expected ',' or ']' to close the list opened at line 1 at 1:7"),
    ("x = {\"a\": 1", "Unexpected end of file: expected ',' or '}' to close the hashmap opened at line 1 at 1:12"),
    ("x = {\"a\": 1 \"b\": 2}", "Expected ',' or '}' to close the hashmap opened at line 1, found string literal at 1:13"),
    ("x = with (a) 1 end", "Expected 'do' to start the lambda body, found '1' at 1:14"),
    ("x = do x end", "Expected '(' and parameters after 'do' (use 'with do ... end' for a lambda without parameters), found 'x' at 1:8"),
    ("println \"${1 2}\"", "Unexpected '2' in string interpolation (expected one expression) at 1:14"),
    ("println \"${\"", "Unterminated string literal at 1:9"),
    ("x = {1 2}", "Expected ':' after the hashmap key, found '2' at 1:8"),
    ("x = {\"a\" 1}", "Expected ':' after the hashmap key, found '1' at 1:10"),
];

#[test]
fn each_error_site_gives_its_message_at_its_place() {
    let mut wrong = Vec::new();
    for (src, want) in CASES {
        let got = error(src);
        if got != *want {
            wrong.push(format!("{src:?}\n  want: {want}\n  got:  {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `catch (a, b, c)` points at the third name, not at whatever follows the list (the next
/// line here).
#[test]
fn a_third_catch_name_is_reported_where_it_is() {
    assert_eq!(
        error("try\n  a\ncatch (t, m, extra)\n  b\nend"),
        "'catch' binds at most two names (type, message) at 3:14"
    );
}
