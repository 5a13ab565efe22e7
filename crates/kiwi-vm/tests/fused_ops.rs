//! `local op integer-literal`, `local op local` and `local op= integer-literal` get their
//! one-step instruction in front of the ones they stand for (those stay, for operands that
//! are not integers), and a comparison's becomes the jump's fast path. The results are checked
//! by the corpus (`tests/scripts/operators/local_integer_operand.kiwi`,
//! `tests/scripts/operators/integer_fast_paths.kiwi`); this checks the shapes.

mod common;

use kiwi_syntax::ast::BinOp;
use kiwi_vm::bytecode::Op;

/// The code of function `name` in `src`.
fn code_of(src: &str, name: &str) -> Vec<Op> {
    common::function_named(src, name).code.clone()
}

#[test]
fn arithmetic_on_a_local_and_a_literal_gets_the_fused_step() {
    let code = code_of("fn f(n)\n  return n - 1\nend\n", "f");
    assert_eq!(
        code[..4],
        [
            Op::LocalIntBin(0, 1, BinOp::Sub),
            Op::LoadLocal(0),
            Op::Int(1),
            Op::Bin(BinOp::Sub),
        ]
    );
}

#[test]
fn a_comparison_that_branches_gets_a_fused_jump_to_the_same_place() {
    let code = code_of(
        "fn f(n)\n  if n < 2\n    return n\n  end\n  return 0\nend\n",
        "f",
    );
    let (Op::LocalIntCmpJump(0, 2, BinOp::Lt, fused), Op::CmpJumpIfFalse(BinOp::Lt, plain)) =
        (code[0], code[3])
    else {
        panic!("not fused: {code:?}");
    };
    assert_eq!(fused, plain);
    // Past the `if` body: `return 0`.
    assert_eq!(code[plain as usize], Op::Int(0), "{code:?}");
}

#[test]
fn a_jump_landing_on_the_literal_prevents_the_fusion() {
    let code = code_of("fn f(n, flag)\n  return n - (flag ? 1 : 2)\nend\n", "f");
    assert!(
        !code.iter().any(|op| matches!(op, Op::LocalIntBin(..))),
        "{code:?}"
    );
}

#[test]
fn arithmetic_on_two_locals_gets_the_fused_step() {
    let code = code_of("fn f(a, b)\n  return a * b\nend\n", "f");
    assert_eq!(
        code[..4],
        [
            Op::LocalsBin(0, 1, BinOp::Mul),
            Op::LoadLocal(0),
            Op::LoadLocal(1),
            Op::Bin(BinOp::Mul),
        ]
    );
}

#[test]
fn a_loop_condition_on_two_locals_gets_a_fused_jump_to_the_same_place() {
    let code = code_of(
        "fn f(n)\n  i = 0\n  while i < n do\n    i += 1\n  end\n  return i\nend\n",
        "f",
    );
    let at = code
        .iter()
        .position(|op| matches!(op, Op::LocalsCmpJump(..)))
        .unwrap_or_else(|| panic!("not fused: {code:?}"));
    let (Op::LocalsCmpJump(1, 0, BinOp::Lt, fused), Op::CmpJumpIfFalse(BinOp::Lt, plain)) =
        (code[at], code[at + 3])
    else {
        panic!("not fused: {code:?}");
    };
    assert_eq!(fused, plain);
    // The loop's back edge lands on the fused step, not past it.
    assert!(code.contains(&Op::Loop(at as u32)), "{code:?}");
    // And `i += 1` is one step in front of the two it stands for.
    let inc = code
        .iter()
        .position(|op| *op == Op::BinLocalInt(BinOp::Add, 1, 1))
        .unwrap_or_else(|| panic!("no fused increment: {code:?}"));
    assert_eq!(
        code[inc + 1..inc + 3],
        [Op::Int(1), Op::BinLocal(BinOp::Add, 1)]
    );
}

#[test]
fn only_wrapping_arithmetic_gets_the_fused_increment() {
    for (src, fused) in [
        ("x -= 2", true),
        ("x *= 3", true),
        ("x /= 2", false),
        ("x %= 2", false),
        ("x += 2.5", false),
    ] {
        let code = code_of(&format!("fn f(x)\n  {src}\n  return x\nend\n"), "f");
        assert_eq!(
            code.iter().any(|op| matches!(op, Op::BinLocalInt(..))),
            fused,
            "{src}: {code:?}"
        );
    }
}

#[test]
fn returning_a_local_is_one_step_unless_a_jump_lands_on_the_return() {
    let code = code_of("fn f(n)\n  m = n\n  return m\nend\n", "f");
    assert_eq!(code[2], Op::ReturnLocal(1), "{code:?}");
    // `if` without `else` ends on a jump target: the `Return` stays whole.
    let code = code_of("fn f(n)\n  if n\n    n = 2\n  end\n  n\nend\n", "f");
    assert_eq!(code.last(), Some(&Op::ReturnLocal(0)), "{code:?}");
    let code = code_of("fn f(n)\n  n ? 1 : n\nend\n", "f");
    assert_eq!(code.last(), Some(&Op::Return), "{code:?}");
    // A generator's `GenStart` returns it through the last instruction, a plain `Return`.
    let code = code_of("fn g(n)\n  yield n\n  n\nend\n", "g");
    assert_eq!(code.last(), Some(&Op::Return), "{code:?}");
}

#[test]
fn a_member_assignment_whose_value_is_used_keeps_it_in_one_step() {
    let code = code_of("struct P\n  fn set(y)\n    @y = y\n  end\nend\n", "P.set");
    assert_eq!(
        code,
        [Op::LoadLocal(1), Op::SetLocalMemberKeep(0, 0), Op::Return],
        "{code:?}"
    );
}
