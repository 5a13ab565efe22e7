//! The built-in `tester` package prints upstream's report lines (the durations vary, so they
//! are masked before comparing).

mod util;

use std::time::Duration;

use util::{kiwi, run_ok, TempDir};

const SCRIPT: &str = r#"
@tester::test("arithmetic")
fn check_arithmetic()
  tester::assert(1 + 1 == 2)
  tester::assert_eq([1, "a"], [1, "a"])
end

@tester::test("a failing equality")
fn check_failure()
  tester::assert_eq(1, 2, "one is not two")
end

@tester::test("a failing assert")
fn check_assert()
  tester::assert(false)
end

results = tester::run_tests()
println results.map(with (r) do "${r["name"]}=${r["result"]}" end)
println [tester::registered("arithmetic"), tester::registered("nothing")]
"#;

#[test]
fn report_lines_match_upstream() {
    let dir = TempDir::new("tester");
    let script = dir.file("suite.kiwi", SCRIPT);
    let out = run_ok(
        "tester script",
        kiwi().arg(&script),
        Duration::from_secs(10),
        String::new,
    );
    let masked: Vec<String> = out
        .lines()
        .map(|l| match l.find(" in ") {
            Some(i) if l.ends_with("ms") => format!("{} in Xms", &l[..i]),
            _ => l.to_string(),
        })
        .collect();
    let expected = [
        format!("{:<55}PASSED in Xms", "Running test: arithmetic "),
        format!("{:<55}FAILED in Xms", "Running test: a failing equality "),
        "  FAIL: one is not two".to_string(),
        "expected 2,".to_string(),
        "got 1".to_string(),
        format!("{:<55}FAILED in Xms", "Running test: a failing assert "),
        "  FAIL: assertion failed".to_string(),
        r#"["arithmetic=true", "a failing equality=false", "a failing assert=false"]"#.to_string(),
        "[true, false]".to_string(),
    ];
    assert_eq!(masked, expected, "stdout:\n{out}");
}
