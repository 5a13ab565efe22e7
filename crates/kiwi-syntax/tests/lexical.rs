//! §1 lexical structure, observed through the parser.

mod common;
use common::{assert_error, error, errors, expr, ok};

// ----- §1.3 numbers ----------------------------------------------------------------------------

#[test]
fn decimal_integers() {
    assert_eq!(expr("42"), "42");
    assert_eq!(expr("0"), "0");
    assert_eq!(expr("9223372036854775807"), "9223372036854775807");
}

#[test]
fn decimal_integer_out_of_range_is_an_error() {
    assert_eq!(
        error("x = 9223372036854775808"),
        "Integer literal '9223372036854775808' is out of range at 1:5"
    );
    assert_error("x = 99999999999999999999999999", "out of range");
}

#[test]
fn negative_numbers_are_unary_minus() {
    assert_eq!(expr("-1"), "(neg 1)");
    assert_eq!(expr("-1.5"), "(neg 1.5)");
}

#[test]
fn floats_need_a_point() {
    assert_eq!(expr("3.25"), "3.25");
    assert_eq!(expr("7."), "7.0");
    assert_eq!(expr("0.5"), "0.5");
}

#[test]
fn exponent_floats_are_accepted() {
    // REC adopted: `1e5` and `1.5e-3` are float literals.
    assert_eq!(expr("1e5"), "100000.0");
    assert_eq!(expr("1E5"), "100000.0");
    assert_eq!(expr("1.5e3"), "1500.0");
    assert_eq!(expr("1.5e-3"), "0.0015");
    assert_eq!(expr("2e+2"), "200.0");
    assert_eq!(expr("1.e2"), "100.0");
}

#[test]
fn e_without_digits_is_not_an_exponent() {
    assert_eq!(ok("x = 2 e"), "(= x 2) e");
    assert_eq!(ok("x = 2e"), "(= x 2) e");
    assert_eq!(ok("x = 2.e"), "(= x 2.0) e");
}

#[test]
fn hex_binary_octal_are_32_bit_twos_complement() {
    assert_eq!(expr("0xFF"), "255");
    assert_eq!(expr("0xff"), "255");
    assert_eq!(expr("0XFF"), "255");
    assert_eq!(expr("0x7FFFFFFF"), "2147483647");
    assert_eq!(expr("0x80000000"), "-2147483648");
    assert_eq!(expr("0xFFFFFFFF"), "-1");
    assert_eq!(expr("0x00000000FF"), "255");
    assert_eq!(expr("0b101"), "5");
    assert_eq!(expr("0b11111111111111111111111111111111"), "-1");
    assert_eq!(expr("0o17"), "15");
    assert_eq!(expr("0o37777777777"), "-1");
}

#[test]
fn radix_literals_wider_than_32_bits_are_errors() {
    assert_eq!(
        error("x = 0x1FFFFFFFF"),
        "The hex literal '1FFFFFFFF' does not fit in 32 bits at 1:5"
    );
    assert_error(
        "x = 0b111111111111111111111111111111111",
        "does not fit in 32 bits",
    );
    assert_error("x = 0o777777777777", "does not fit in 32 bits");
    assert_error(
        &format!("x = 0x{}", "F".repeat(10_000)),
        "does not fit in 32 bits",
    );
}

#[test]
fn radix_prefix_without_digits_is_an_error() {
    assert_error("x = 0x", "Invalid hex literal");
    assert_error("x = 0b2", "Invalid binary literal");
    assert_error("x = 0o9", "Invalid octal literal");
}

#[test]
fn dot_dot_after_integer_is_a_range() {
    assert_eq!(expr("[1..5]"), "(range 1 5)");
    assert_eq!(expr("[1 .. 5]"), "(range 1 5)");
}

#[test]
fn method_call_on_integer_literal_lexes_a_float() {
    // §1.3: `5.size()` lexes `5.` as a float, then `size()` is a separate call.
    assert_eq!(ok("x = 5.size()"), "(= x 5.0) (call size)");
    assert_eq!(ok("x = (5).size()"), "(= x (method 5 size))");
}

#[test]
fn second_point_in_a_number_is_an_error() {
    assert_eq!(
        error("x = 1.5.x()"),
        "Invalid numeric literal '1.5.' at 1:5"
    );
    assert_error("x = 1.2.3", "Invalid numeric literal '1.2.3'");
}

#[test]
fn underscores_end_a_number() {
    assert_eq!(ok("x = 1_000"), "(= x 1) _000");
}

#[test]
fn leading_dot_float_is_an_error() {
    assert_eq!(error("x = .5"), "Expected an expression, found '.' at 1:5");
}

// ----- §1.4 strings ----------------------------------------------------------------------------

#[test]
fn double_quoted_escapes() {
    assert_eq!(expr(r#""a\nb\rc\td\\e\"f""#), r#""a\nb\rc\td\\e\"f""#);
    assert_eq!(expr(r#""\b\f""#), r#""\u{8}\u{c}""#);
    assert_eq!(expr(r#""\u00e9\u00E9""#), "\"éé\"");
    assert_eq!(expr(r#""\U0001F600""#), "\"😀\"");
}

#[test]
fn unknown_escape_keeps_both_characters() {
    assert_eq!(expr(r#""\d""#), r#""\\d""#);
    assert_eq!(expr(r#""\$x""#), r#""\\$x""#);
    assert_eq!(expr(r#""\'""#), r#""\\'""#);
}

#[test]
fn malformed_unicode_escape_is_kept_as_written() {
    assert_eq!(expr(r#""\u12z""#), r#""\\u12z""#);
    assert_eq!(expr(r#""\U0001F6""#), r#""\\U0001F6""#);
    // A surrogate code point cannot be a Rust char; it becomes U+FFFD.
    assert_eq!(expr(r#""\uD800""#), "\"\u{fffd}\"");
}

#[test]
fn backslash_before_closing_quote_escapes_it() {
    assert_eq!(ok(r#"x = "a\" b""#), r#"(= x "a\" b")"#);
    assert_error(r#"x = "a\"#, "Unterminated string literal");
}

#[test]
fn single_quoted_strings_are_raw() {
    assert_eq!(expr(r"'a\nb'"), r#""a\\nb""#);
    assert_eq!(expr(r#"'say "hi"'"#), r#""say \"hi\"""#);
    assert_eq!(expr(r"'\'"), r#""\\""#);
}

#[test]
fn strings_may_span_lines() {
    assert_eq!(expr("\"a\nb\""), r#""a\nb""#);
    assert_eq!(expr("'a\nb'"), r#""a\nb""#);
    assert_eq!(ok("x = \"a\n\nb\"\ny = 1"), r#"(= x "a\n\nb") (= y 1)"#);
}

#[test]
fn unterminated_strings_are_errors() {
    assert_eq!(error("x = \"abc"), "Unterminated string literal at 1:5");
    assert_eq!(
        error("println 1\nx = 'abc"),
        "Unterminated string literal at 2:5"
    );
}

#[test]
fn interpolation_basic() {
    assert_eq!(
        expr(r#""n=${n} next=${n + 1} ${[n]}""#),
        r#"(interp "n=" n " next=" (+ n 1) " " (list n))"#
    );
    assert_eq!(expr(r#""${x}""#), "(interp x)");
    assert_eq!(expr(r#""${a}${b}""#), "(interp a b)");
}

#[test]
fn interpolation_in_single_quotes() {
    assert_eq!(expr(r"'v=${v}'"), r#"(interp "v=" v)"#);
}

#[test]
fn interpolation_with_nested_braces_and_quotes() {
    assert_eq!(
        expr(r#""${ {"a": 1}["a"] }""#),
        r#"(interp (index (map ("a" 1)) "a"))"#
    );
    assert_eq!(
        expr(r#""${e["error"]}: ${e["message"]}""#),
        r#"(interp (index e "error") ": " (index e "message"))"#
    );
    assert_eq!(expr(r#""${ "}" }""#), r#"(interp "}")"#);
    assert_eq!(expr(r#""${ '}' }""#), r#"(interp "}")"#);
    assert_eq!(expr(r#""${ "a\"}" }""#), r#"(interp "a\"}")"#);
    assert_eq!(
        expr(r#""${ "in${ "ner" }" }""#),
        r#"(interp (interp "in" "ner"))"#
    );
    assert_eq!(
        expr(r#""${ f(do (x) => x) }""#),
        "(interp (call f (lambda (x) [x])))"
    );
}

#[test]
fn escaped_interpolation_is_literal() {
    assert_eq!(expr(r#""\${x}""#), r#""${x}""#);
    assert_eq!(
        expr(r#""a \${x + 1} b ${y}""#),
        r#"(interp "a ${x + 1} b " y)"#
    );
    assert_eq!(expr(r"'\${x}'"), r#""${x}""#);
}

#[test]
fn dollar_without_brace_is_literal() {
    assert_eq!(expr(r#""$x $ {y}""#), r#""$x $ {y}""#);
}

#[test]
fn empty_interpolation() {
    assert_eq!(expr(r#""a${}b""#), r#"(interp "a" _ "b")"#);
    assert_eq!(expr(r#""${  }""#), "(interp _)");
    assert_eq!(
        expr(
            r#""${ # just a comment
}""#
        ),
        "(interp _)"
    );
}

#[test]
fn interpolation_must_be_one_expression() {
    assert_eq!(
        error(r#"x = "${a b}""#),
        "Unexpected 'b' in string interpolation (expected one expression) at 1:10"
    );
    assert_error(r#"x = "${x = 1}""#, "in string interpolation");
    assert_eq!(
        error(r#"x = "${1 +}""#),
        "Unexpected end of the '${...}' expression: expected an expression at 1:11"
    );
}

#[test]
fn interpolation_errors_point_into_the_string() {
    assert_eq!(
        error("x = \"ok ${1 +* 2}\""),
        "Unknown operator '+*' (put a space between operators, e.g. 'x = -1') at 1:13"
    );
    assert_eq!(
        error("x = \"line1\n  ${a b}\""),
        "Unexpected 'b' in string interpolation (expected one expression) at 2:7"
    );
}

#[test]
fn unterminated_interpolation_is_an_error() {
    assert_error(r#"x = "${x"#, "Unterminated string literal");
    assert_error(r#"x = "${ "abc }""#, "Unterminated string literal");
}

// ----- §1.5 byte literals ----------------------------------------------------------------------

#[test]
fn byte_literals() {
    assert_eq!(expr(r#"b"abc""#), "(bytes [97, 98, 99])");
    assert_eq!(expr(r"b'hi'"), "(bytes [104, 105])");
    assert_eq!(expr(r#"b"""#), "(bytes [])");
}

#[test]
fn byte_escapes_decode_normally() {
    // REC adopted: `b"\n"` is one byte.
    assert_eq!(expr(r#"b"\n""#), "(bytes [10])");
    assert_eq!(expr(r#"b"\r\t\\""#), "(bytes [13, 9, 92])");
    assert_eq!(expr(r#"b"\x41\x7a\xFF""#), "(bytes [65, 122, 255])");
    assert_eq!(expr(r#"b"\q""#), "(bytes [113])");
    assert_eq!(expr(r"b'\'"), "(bytes [92])");
}

#[test]
fn byte_literal_ends_at_the_next_quote_even_if_escaped() {
    assert_eq!(ok(r#"x = b"\" y"#), "(= x (bytes [92])) y");
}

#[test]
fn bad_byte_literals_fail_at_evaluation_not_parse() {
    assert_eq!(
        expr(r#"b"café""#),
        r#"(bytes-error "Non-ASCII character 'é' in byte literal (use string and .to_bytes() for Unicode)")"#
    );
    assert_eq!(
        expr(r#"b"\xZZ""#),
        r#"(bytes-error "Invalid \\x escape in byte literal")"#
    );
    assert_eq!(
        expr(r#"b"\x4""#),
        r#"(bytes-error "Invalid \\x escape in byte literal")"#
    );
    assert_eq!(
        expr(r#"b"\é""#),
        r#"(bytes-error "Non-ASCII character 'é' in byte literal (use string and .to_bytes() for Unicode)")"#
    );
}

#[test]
fn unterminated_byte_literal_is_an_error() {
    assert_eq!(error(r#"x = b"abc"#), "Unterminated byte literal at 1:5");
}

#[test]
fn b_is_an_identifier_unless_a_quote_follows() {
    assert_eq!(ok("b = 1\nx = b"), "(= b 1) (= x b)");
    assert_eq!(ok(r#"x = ab"c""#), r#"(= x ab) "c""#);
}

// ----- §1.6 operators --------------------------------------------------------------------------

#[test]
fn every_operator_of_the_set_lexes() {
    let binary = [
        "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "//", "%", "**", "&&", "||", "&",
        "|", "^", "<<", ">>", ">>>", "??",
    ];
    for op in binary {
        assert_eq!(
            expr(&format!("a {op} b")),
            format!("({op} a b)"),
            "operator {op}"
        );
    }
    let compound = [
        "+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=", "<<=", ">>=", ">>>=",
    ];
    for op in compound {
        assert_eq!(
            ok(&format!("a {op} b")),
            format!("({op} a b)"),
            "operator {op}"
        );
    }
    assert_eq!(expr("!a"), "(not a)");
    assert_eq!(expr("~a"), "(bitnot a)");
    assert_eq!(expr("a ? b : c"), "(? a b c)");
}

#[test]
fn operators_need_no_spaces_when_the_run_is_known() {
    assert_eq!(ok("x=1+2*3"), "(= x (+ 1 (* 2 3)))");
    assert_eq!(ok("x>>>=2"), "(>>>= x 2)");
    assert_eq!(expr("a??b"), "(?? a b)");
}

#[test]
fn unknown_operator_runs_are_errors() {
    assert_eq!(
        error("x=-1"),
        "Unknown operator '=-' (put a space between operators, e.g. 'x = -1') at 1:2"
    );
    assert_error("y = a*-b", "Unknown operator '*-'");
    assert_error("if n==-1\nend", "Unknown operator '==-'");
    assert_error("y = !-x", "Unknown operator '!-'");
    assert_error("y = 2**-1", "Unknown operator '**-'");
    assert_error("y = a+++b", "Unknown operator '+++'");
}

#[test]
fn operator_runs_are_at_most_three_characters() {
    // `>>>=` is the one 4-character operator; other runs are split after 3 characters.
    assert_error("y = a === b", "Unknown operator '==='");
    // `<<=` then `=`: with assignments as values, `a <<=` is read as an assignment.
    assert_error("y = a <<== b", "Expected an expression, found '='");
    assert_eq!(ok("a >>>= b"), "(>>>= a b)");
}

#[test]
fn coalesce_never_extends() {
    // `??` stops the run, so `a ??-b` is `a ?? (-b)`.
    assert_eq!(expr("a ??-b"), "(?? a (neg b))");
    assert_eq!(expr("a ??!b"), "(?? a (not b))");
}

#[test]
fn deprecated_unpack_operator_is_plain_assignment() {
    assert_eq!(ok("a, b =< 1, 2"), "(= (a b) (1 2))");
    assert_eq!(ok("a =< 1"), "(= a 1)");
}

#[test]
fn out_of_subset_compound_assignments_are_errors() {
    assert_eq!(
        error("a &&= b"),
        "Operator '&&=' is not supported (outside the Kiwi subset) at 1:3"
    );
    assert_error("a ||= b", "'||='");
    assert_error("a ~= b", "'~='");
}

#[test]
fn punctuation() {
    assert_eq!(ok("..."), "pass");
    assert_eq!(expr("a::b"), "a::b");
    // `@y` reads the instance variable of `@`; `@@y` a static of `@`'s struct.
    assert_eq!(ok("x = @y"), "(= x (. @ y))");
    assert_eq!(ok("x = @@y"), "(= x (. (call __kiwi_struct_of @) y))");
}

#[test]
fn stray_characters_are_errors() {
    assert_eq!(error("x = 1 $ 2"), "Unexpected character '$' at 1:7");
    assert_error("x = ;", "Unexpected character ';'");
    assert_error("x = `a`", "Unexpected character '`'");
    assert_error("x = é", "Unexpected character 'é'");
    assert_error("x = \\n", "Unexpected character '\\\\'");
}

// ----- §1.1 comments, whitespace ---------------------------------------------------------------

#[test]
fn comments_are_dropped() {
    assert_eq!(ok("# a comment\nx = 1 # trailing\n# end"), "(= x 1)");
    assert_eq!(ok("x = 1 /# block #/ + 2"), "(= x (+ 1 2))");
    assert_eq!(ok("/# multi\nline\n#/ x = 1"), "(= x 1)");
    assert_eq!(ok("x = 1 +/# c #/2"), "(= x (+ 1 2))");
    assert_eq!(ok("x = \"# not a comment\""), "(= x \"# not a comment\")");
}

#[test]
fn block_comments_do_not_nest() {
    assert_eq!(ok("/# a /# b #/ x = 1"), "(= x 1)");
}

#[test]
fn unterminated_block_comment_runs_to_end_of_file() {
    // §1.1 (upstream behaviour, not overridden by a REC): no error, the rest is a comment.
    assert_eq!(
        ok("println \"visible\"\n/# never closed\nprintln \"hidden\""),
        "(println \"visible\")"
    );
}

#[test]
fn crlf_and_tabs() {
    let p = common::program("x = 1\r\n\ty = \"a\r\nb\"\r\nz = 3");
    let spans: Vec<_> = p.body.iter().map(|s| (s.span.line, s.span.col)).collect();
    assert_eq!(spans, vec![(1, 1), (2, 2), (4, 1)]);
}

#[test]
fn byte_order_mark_is_ignored() {
    assert_eq!(ok("\u{feff}x = 1"), "(= x 1)");
}

#[test]
fn empty_and_blank_sources() {
    assert_eq!(ok(""), "");
    assert_eq!(ok("   \n\n\t# only a comment\n"), "");
}

// ----- §1.2 identifiers, keywords, type names --------------------------------------------------

#[test]
fn type_names_are_values() {
    assert_eq!(expr("string"), "(type string)");
    assert_eq!(expr("none"), "(type null)");
    assert_eq!(expr("x.is_a(integer)"), "(method x is_a (type integer))");
    for t in [
        "any",
        "boolean",
        "bytes",
        "date",
        "float",
        "generator",
        "hashmap",
        "integer",
        "lambda",
        "list",
        "object",
        "pointer",
    ] {
        assert_eq!(expr(t), format!("(type {t})"));
    }
}

#[test]
fn type_names_cannot_be_variables_or_parameters() {
    assert_eq!(
        error("list = [1]"),
        "The type name 'list' cannot be used as a variable name at 1:1"
    );
    assert_error(
        "fn f(string) end",
        "The type name 'string' cannot be used as a parameter name",
    );
    assert_error(
        "for integer in x do end",
        "cannot be used as a variable name",
    );
    assert_error(
        "none = 1",
        "The type name 'none' cannot be used as a variable name",
    );
}

#[test]
fn core_method_names_are_ordinary_identifiers() {
    assert_eq!(ok("size = 1\nkeys = size"), "(= size 1) (= keys size)");
    assert_eq!(ok("fn first(x) x end"), "(fn first (x) [x])");
}

#[test]
fn logical_words_are_operator_aliases() {
    assert_eq!(expr("a and b or not c"), "(|| (&& a b) (not c))");
}

#[test]
fn identifiers_are_ascii_and_case_sensitive() {
    assert_eq!(ok("Abc_1 = abc_1"), "(= Abc_1 abc_1)");
    assert_eq!(ok("_ = 1"), "(= _ 1)");
}

#[test]
fn many_errors_from_the_lexer_are_all_reported() {
    let errs = errors("a = 1 $ 2\nb = 3 ` 4\nc = 0x1FFFFFFFFF\n");
    assert_eq!(errs.len(), 3, "{errs:#?}");
}
