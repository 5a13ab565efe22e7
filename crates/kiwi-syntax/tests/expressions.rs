//! §3 operators and precedence, postfix forms, literals, lambdas, `case`, line rules, spans.

mod common;
use common::{assert_error, error, expr, ok, value_of};
use kiwi_syntax::ast::ExprKind;

// ----- §3.1 precedence -------------------------------------------------------------------------

#[test]
fn power_is_left_associative_at_the_multiplicative_level() {
    assert_eq!(expr("2 ** 3 ** 2"), "(** (** 2 3) 2)");
    assert_eq!(expr("2 * 3 ** 2"), "(** (* 2 3) 2)");
    assert_eq!(expr("2 ** 3 * 2"), "(* (** 2 3) 2)");
}

#[test]
fn unary_binds_tighter_than_power() {
    assert_eq!(expr("-2 ** 2"), "(** (neg 2) 2)");
    assert_eq!(expr("- -x"), "(neg (neg x))");
    assert_eq!(expr("!a == b"), "(== (not a) b)");
    assert_eq!(expr("not a.b()"), "(not (method a b))");
    assert_eq!(expr("-x[1]"), "(neg (index x 1))");
    assert_eq!(expr("~x & 3"), "(& (bitnot x) 3)");
}

#[test]
fn bitwise_operators_are_below_equality() {
    assert_eq!(expr("a & b == c"), "(& a (== b c))");
    assert_eq!(expr("a | b ^ c & d"), "(| a (^ b (& c d)))");
    assert_eq!(expr("a ^ b | c"), "(| (^ a b) c)");
    assert_eq!(expr("a == b | c == d"), "(| (== a b) (== c d))");
}

#[test]
fn full_ladder() {
    assert_eq!(expr("a + b * c"), "(+ a (* b c))");
    assert_eq!(expr("a * b + c"), "(+ (* a b) c)");
    assert_eq!(expr("a - b - c"), "(- (- a b) c)");
    assert_eq!(expr("a / b // c % d"), "(% (// (/ a b) c) d)");
    assert_eq!(expr("a << b + c"), "(<< a (+ b c))");
    assert_eq!(expr("a >> b >>> c"), "(>>> (>> a b) c)");
    assert_eq!(expr("a < b << c"), "(< a (<< b c))");
    assert_eq!(expr("a < b == c >= d"), "(== (< a b) (>= c d))");
    assert_eq!(expr("a < b in c"), "(in (< a b) c)");
    assert_eq!(expr("x in [1, 2]"), "(in x (list 1 2))");
    assert_eq!(expr("a != b & c"), "(& (!= a b) c)");
    assert_eq!(expr("a | b && c | d"), "(&& (| a b) (| c d))");
    assert_eq!(expr("a || b && c"), "(|| a (&& b c))");
    assert_eq!(expr("a && b || c"), "(|| (&& a b) c)");
}

#[test]
fn coalesce_shares_the_or_level() {
    assert_eq!(expr("a ?? b || c"), "(|| (?? a b) c)");
    assert_eq!(expr("a || b ?? c"), "(?? (|| a b) c)");
    assert_eq!(expr("a ?? b && c"), "(?? a (&& b c))");
}

#[test]
fn ternary_is_right_nested_with_full_branches() {
    assert_eq!(expr("a ? b : c"), "(? a b c)");
    assert_eq!(expr("a ? b : c ? d : e"), "(? a b (? c d e))");
    assert_eq!(
        expr("a || b ? c + 1 : d ?? e"),
        "(? (|| a b) (+ c 1) (?? d e))"
    );
    assert_eq!(expr("a ? b ? c : d : e"), "(? a (? b c d) e)");
}

#[test]
fn ternary_and_dot_have_no_line_rule() {
    assert_eq!(expr("a\n  ? b\n  : c"), "(? a b c)");
    assert_eq!(
        expr("list\n  .map(f)\n  .filter(g)"),
        "(method (method (type list) map f) filter g)"
    );
}

#[test]
fn parentheses_group() {
    assert_eq!(expr("(a + b) * c"), "(* (+ a b) c)");
    assert_eq!(expr("(((1)))"), "1");
    assert_eq!(expr("(\n a +\n b\n)"), "(+ a b)");
}

// ----- §1.7 line rules -------------------------------------------------------------------------

#[test]
fn trailing_operator_continues_the_expression() {
    assert_eq!(ok("x = a +\n  b"), "(= x (+ a b))");
    assert_eq!(ok("x = a and\n  b"), "(= x (&& a b))");
    assert_eq!(ok("x = a in\n  b"), "(= x (in a b))");
}

#[test]
fn leading_operator_starts_a_new_statement() {
    assert_eq!(error("x = a\n  + b"), "Unexpected token '+' at 2:3");
    assert_eq!(ok("x = a\n  - b"), "(= x a) (neg b)");
    assert_error("x = a\n  and b", "Unexpected token 'and'");
}

#[test]
fn operator_after_a_multi_line_string_continues() {
    // REC adopted: compare against the END line of the previous token.
    assert_eq!(
        ok("x = 'line1\nline2' + y"),
        "(= x (+ \"line1\\nline2\" y))"
    );
    assert_eq!(ok("x = \"a\nb\" == c"), "(= x (== \"a\\nb\" c))");
}

#[test]
fn call_and_index_only_on_the_same_line() {
    assert_eq!(ok("f\n(1)"), "f 1");
    assert_eq!(ok("f(1)"), "(call f 1)");
    assert_eq!(ok("a\n[1]"), "a (list 1)");
    assert_eq!(ok("a[1]"), "(index a 1)");
    assert_eq!(ok("x = 'a\nb'(1)"), "(= x (call \"a\\nb\" 1))");
    assert_eq!(ok("x = a.m\n(1)"), "(= x (. a m)) 1");
}

// ----- postfix -----------------------------------------------------------------------------------

#[test]
fn calls_and_arguments() {
    assert_eq!(expr("f()"), "(call f)");
    assert_eq!(expr("f(1, 2,)"), "(call f 1 2)");
    assert_eq!(expr("f(b = 2, a: 1)"), "(call f (named b 2) (named a 1))");
    assert_eq!(expr("f(*lst)"), "(call f (splat lst))");
    assert_eq!(expr("f(1, *rest)"), "(call f 1 (splat rest))");
    assert_eq!(expr("f(\n  1,\n  2\n)"), "(call f 1 2)");
    assert_eq!(expr("f(a == 2)"), "(call f (== a 2))");
    assert_eq!(expr("f(a ? b : c)"), "(call f (? a b c))");
    assert_eq!(expr("f(1)(2)"), "(call (call f 1) 2)");
    assert_eq!(
        expr("(with (a, b) do a - b end)(9, 4)"),
        "(call (lambda (a b) [(- a b)]) 9 4)"
    );
}

#[test]
fn methods_and_members() {
    assert_eq!(expr("obj.m(1)"), "(method obj m 1)");
    assert_eq!(expr("obj.name"), "(. obj name)");
    assert_eq!(expr("a.b.c"), "(. (. a b) c)");
    assert_eq!(expr("a.b().c"), "(. (method a b) c)");
    assert_eq!(
        expr("[1, 2].map(do (v) => v * 10)"),
        "(method (list 1 2) map (lambda (v) [(* v 10)]))"
    );
    assert_eq!(expr("\"abc\".size()"), "(method \"abc\" size)");
}

#[test]
fn keywords_and_type_names_are_member_names() {
    assert_eq!(expr("ch.send(x)"), "(method ch send x)");
    assert_eq!(expr("x.type()"), "(method x type)");
    assert_eq!(expr("x.empty()"), "(method x empty)");
    assert_eq!(expr("x.to_string()"), "(method x to_string)");
    assert_eq!(expr("it.next()"), "(method it next)");
    assert_eq!(expr("x.string"), "(. x string)");
    assert_eq!(expr("x.print(1)"), "(method x print 1)");
}

#[test]
fn package_paths() {
    assert_eq!(expr("task::spawn(f)"), "(call task::spawn f)");
    assert_eq!(expr("a::b::c"), "a::b::c");
    assert_eq!(expr("error::new(t, m)"), "(call error::new t m)");
    assert_eq!(expr("console::reset()"), "(call console::reset)");
    assert_eq!(expr("x::end"), "x::end");
    assert_eq!(expr("pkg::f().x"), "(. (call pkg::f) x)");
}

#[test]
fn indexing_and_slices() {
    assert_eq!(expr("x[i]"), "(index x i)");
    assert_eq!(expr("x[]"), "(index-all x)");
    assert_eq!(expr("x[1][2]"), "(index (index x 1) 2)");
    assert_eq!(expr("x[a:b:c]"), "(slice x a b c)");
    assert_eq!(expr("x[1:3]"), "(slice x 1 3 _)");
    assert_eq!(expr("x[:2]"), "(slice x _ 2 _)");
    assert_eq!(expr("x[4:]"), "(slice x 4 _ _)");
    assert_eq!(expr("x[:]"), "(slice x _ _ _)");
    assert_eq!(expr("x[::2]"), "(slice x _ _ 2)");
    assert_eq!(expr("x[1::2]"), "(slice x 1 _ 2)");
    assert_eq!(expr("x[n::2]"), "(slice x n _ 2)");
    assert_eq!(expr("x[::-1]"), "(slice x _ _ (neg 1))");
    assert_eq!(expr("x[: :]"), "(slice x _ _ _)");
    assert_eq!(expr("x[1:2:]"), "(slice x 1 2 _)");
    assert_eq!(expr("x[-2:]"), "(slice x (neg 2) _ _)");
    assert_eq!(expr("x[a ? 1 : 2]"), "(index x (? a 1 2))");
}

// ----- literals ----------------------------------------------------------------------------------

#[test]
fn literals() {
    assert_eq!(expr("null"), "null");
    assert_eq!(expr("true"), "true");
    assert_eq!(expr("false"), "false");
    assert_eq!(expr("\"s\""), "\"s\"");
}

#[test]
fn lists_and_ranges() {
    assert_eq!(expr("[]"), "(list)");
    assert_eq!(expr("[1, 2, 3]"), "(list 1 2 3)");
    assert_eq!(expr("[1, 2, 3,]"), "(list 1 2 3)");
    assert_eq!(expr("[\n  1,\n  2,\n]"), "(list 1 2)");
    assert_eq!(expr("[[1], [2, [3]]]"), "(list (list 1) (list 2 (list 3)))");
    assert_eq!(expr("[1 to 5]"), "(range 1 5)");
    assert_eq!(expr("[a..b]"), "(range a b)");
    assert_eq!(expr("[3 to n - 1]"), "(range 3 (- n 1))");
}

#[test]
fn hashmaps() {
    assert_eq!(expr("{}"), "(map)");
    assert_eq!(expr("{\"a\": 1, 2: \"b\"}"), "(map (\"a\" 1) (2 \"b\"))");
    assert_eq!(
        expr("{\n  \"a\": 1,\n  \"b\": [2],\n}"),
        "(map (\"a\" 1) (\"b\" (list 2)))"
    );
    assert_eq!(expr("{\"a\": {\"b\": 1}}"), "(map (\"a\" (map (\"b\" 1))))");
}

#[test]
fn bare_identifier_hashmap_keys_are_strings() {
    assert_eq!(
        expr("{error: \"NetErr\", message: \"down\"}"),
        "(map (\"error\" \"NetErr\") (\"message\" \"down\"))"
    );
    // Only a bare identifier: other expressions are evaluated.
    assert_eq!(
        expr("{k + 1: 1, o.k: 2, (k): 3}"),
        "(map ((+ k 1) 1) ((. o k) 2) (\"k\" 3))"
    );
    assert_eq!(expr("{string: 1}"), "(map ((type string) 1))");
}

// ----- lambdas -------------------------------------------------------------------------------

#[test]
fn lambda_forms() {
    assert_eq!(expr("with (x) do x + 1 end"), "(lambda (x) [(+ x 1)])");
    assert_eq!(expr("with do 1 end"), "(lambda () [1])");
    assert_eq!(expr("with () do end"), "(lambda () [])");
    assert_eq!(expr("do (x) x * 2 end"), "(lambda (x) [(* x 2)])");
    assert_eq!(expr("do () 1 end"), "(lambda () [1])");
    assert_eq!(expr("do (x) => -x"), "(lambda (x) [(neg x)])");
    assert_eq!(expr("do (x) => x end"), "(lambda (x) [x])");
    assert_eq!(expr("with (x): integer do x end"), "(lambda (x) [x])");
    assert_eq!(expr("do (x): string => x"), "(lambda (x) [x])");
    assert_eq!(
        expr("with (a = 1, *rest) do rest end"),
        "(lambda (a=1 *rest) [rest])"
    );
    assert_eq!(
        expr("with (a: list|string? = null) do a end"),
        "(lambda (a=null) [a])"
    );
    assert_eq!(
        expr("with (x) do\n  y = x\n  y * 2\nend"),
        "(lambda (x) [(= y x) (* y 2)])"
    );
}

#[test]
fn arrow_body_is_one_statement() {
    assert_eq!(expr("do (x) => println x"), "(lambda (x) [(println x)])");
    assert_eq!(expr("do (x) => y = x"), "(lambda (x) [(= y x)])");
    assert_eq!(expr("do (x) => return x"), "(lambda (x) [(return x)])");
}

#[test]
fn arrow_lambda_does_not_swallow_the_enclosing_end() {
    assert_eq!(
        ok("fn f()\n  g = do (x) => x + 1\nend\nprintln 1"),
        "(fn f () [(= g (lambda (x) [(+ x 1)]))]) (println 1)"
    );
}

#[test]
fn do_without_parameters_is_an_error() {
    assert_error("f = do println 1 end", "'(' and parameters after 'do'");
}

// ----- case ----------------------------------------------------------------------------------

#[test]
fn case_with_subject() {
    let src = "case port\n  when 22: \"ssh\"\n  when 80, 8080: \"http\"\n  when 1000 to 1999: \"high\"\n  when 2000..2999: \"higher\"\n  else \"other\"\nend";
    assert_eq!(
        expr(src),
        "(case port (when (22) [\"ssh\"]) (when (80 8080) [\"http\"]) (when ((to 1000 1999)) [\"high\"]) (when ((to 2000 2999)) [\"higher\"]) (else [\"other\"]))"
    );
}

#[test]
fn case_without_subject_and_optional_colons() {
    assert_eq!(
        expr("case\n when a > 1\n  \"big\"\n when a > 0: \"small\"\n else: \"none\"\nend"),
        "(case _ (when ((> a 1)) [\"big\"]) (when ((> a 0)) [\"small\"]) (else [\"none\"]))"
    );
}

#[test]
fn case_alias_and_multi_statement_bodies() {
    assert_eq!(
        expr("case f(x) as v\nwhen 1\n  println v\n  v + 1\nelse\n  0\nend"),
        "(case (call f x) as v (when (1) [(println v) (+ v 1)]) (else [0]))"
    );
}

#[test]
fn when_inside_a_case_body_starts_the_next_clause() {
    assert_eq!(
        expr("case x when 1 println \"a\" when 2 println \"b\" end"),
        "(case x (when (1) [(println \"a\")]) (when (2) [(println \"b\")]))"
    );
}

#[test]
fn case_edge_forms() {
    assert_eq!(expr("case x end"), "(case x)");
    assert_eq!(expr("case x else 1 end"), "(case x (else [1]))");
    assert_eq!(expr("case x when 1 end"), "(case x (when (1) []))");
    assert_error(
        "x = case y when 1: 2",
        "Expected 'end' to close 'case' started at line 1",
    );
}

#[test]
fn import_is_an_expression() {
    assert_eq!(ok("m = import \"math\""), "(= m (import \"math\"))");
    assert_eq!(ok("import \"task\""), "(import \"task\")");
    assert_eq!(ok("m = import name"), "(= m (import name))");
}

#[test]
fn if_is_not_an_expression() {
    assert_eq!(
        error("x = if a 1 else 2 end"),
        "'if' is a statement and cannot be used as a value (use 'case' or '? :') at 1:5"
    );
}

// ----- spans ------------------------------------------------------------------------------------

fn span_of(src: &str) -> (u32, u32) {
    let e = value_of(src);
    (e.span.line, e.span.col)
}

#[test]
fn expression_spans() {
    // Binary: the operator. Call: the `(`. Method call: the `.`. Index and slices: the `[`.
    assert_eq!(span_of("x = a + b"), (1, 7));
    assert_eq!(span_of("x = f(1)"), (1, 6));
    assert_eq!(span_of("x = obj.m(1)"), (1, 8));
    assert_eq!(span_of("x = a[1]"), (1, 6));
    assert_eq!(span_of("x = a[1:2]"), (1, 6));
    assert_eq!(span_of("x = a[]"), (1, 6));
    // Everything else: the first token.
    assert_eq!(span_of("x = obj.name"), (1, 5));
    assert_eq!(span_of("x = -a"), (1, 5));
    assert_eq!(span_of("x = a ? b : c"), (1, 5));
    assert_eq!(span_of("x = a.b ? c : d"), (1, 5));
    assert_eq!(span_of("x = [1]"), (1, 5));
    assert_eq!(span_of("x = with do end"), (1, 5));
    assert_eq!(span_of("x = pkg::name"), (1, 5));
    assert_eq!(span_of("x =\n   (1 + 2)"), (2, 7));
    assert_eq!(span_of("x = \"é\" + 1"), (1, 9));
}

#[test]
fn interpolated_expression_spans_point_into_the_file() {
    let e = value_of("x = \"ab${foo}\"");
    let ExprKind::Interp(parts) = &e.kind else {
        panic!("not interp")
    };
    let kiwi_syntax::ast::InterpPart::Expr(Some(inner)) = &parts[1] else {
        panic!("no expr")
    };
    assert_eq!((inner.span.line, inner.span.col), (1, 10));

    let e = value_of("x = \"line1\n é ${a +\n b}\"");
    let ExprKind::Interp(parts) = &e.kind else {
        panic!("not interp")
    };
    let kiwi_syntax::ast::InterpPart::Expr(Some(inner)) = &parts[1] else {
        panic!("no expr")
    };
    assert_eq!((inner.span.line, inner.span.col), (2, 8));
    let ExprKind::Binary(_, _, rhs) = &inner.kind else {
        panic!("not binary")
    };
    assert_eq!((rhs.span.line, rhs.span.col), (3, 2));
}
