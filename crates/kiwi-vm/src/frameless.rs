//! Methods simple enough to run without a frame of their own: a getter (`fn id() @id end`)
//! and, in the built-in packages, a wrapper that hands its parameters and instance variables
//! to one native (`fn recv_bytes(size = 65535) task::await(udp::__recv__(@id, size)) end`).
//!
//! Entering a frame, binding the parameters and returning cost more than such a body's own
//! work; the VM instead reads the values where the caller left them and calls the native
//! itself (`Interp::call_frameless`). What the method gives and which errors it raises stay
//! the same; an error of a package's wrapper points at the script's call.

use crate::bytecode::Op;

/// Where one value a frameless method uses comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// Local `i`: 0 is the instance, then the parameters (null when not passed).
    Local(u16),
    /// Parameter `i`, or constant `k` (its literal default) when it is null.
    LocalOr(u16, u32),
    /// The member named by constant `k` of local `i` (`@x` is local 0's).
    Member(u16, u32),
    /// Constant `k`.
    Const(u32),
    /// A small integer literal.
    Int(i32),
    /// `null`.
    Null,
}

/// The body of a method that can run without a frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frameless {
    /// Literal parameter defaults: local `slot` is `consts[k]` when it is null.
    pub defaults: Vec<(u16, u32)>,
    /// The values, in order: a getter's one value, or the native's arguments.
    pub sources: Vec<Source>,
    /// The global slot naming the native (none for a getter).
    pub native: Option<u32>,
    /// The `task::await` applied to the native's result: its global slot and the index of
    /// its instruction in the method's code.
    pub awaited: Option<(u32, usize)>,
    /// The native's table index as last resolved, and the interpreter's slots epoch then
    /// (`Interp::slots_epoch`): still good while the epoch is the same.
    pub resolved: std::cell::Cell<Option<(u32, u64)>>,
    /// The native's arguments after the first are the method's parameters in order
    /// (`native(@id, a, b)` in `fn m(a, b)`): when all are passed they need not be copied.
    pub args_in_place: bool,
}

impl Frameless {
    /// The plan for a method whose code is `code`, if its body is one of the simple shapes
    /// (a native call only when `natives` allows it).
    pub fn of(code: &[Op], natives: bool) -> Option<Frameless> {
        let mut at = 0;
        let mut defaults = Vec::new();
        while let Some(&Op::DefaultLocal(slot, k)) = code.get(at) {
            defaults.push((slot, k));
            at += 1;
        }
        let mut sources = Vec::new();
        loop {
            let source = match *code.get(at)? {
                Op::LoadLocal(i) => local_source(&defaults, i),
                Op::GetLocalMember(i, k) => Source::Member(i, k),
                Op::Const(k) => Source::Const(k),
                Op::Int(n) => Source::Int(n),
                Op::Null => Source::Null,
                _ => break,
            };
            sources.push(source);
            at += 1;
        }
        let last = *code.get(at)?;
        if let Op::ReturnLocal(i) = last {
            // `LoadLocal(i); Return` as one instruction.
            sources.push(local_source(&defaults, i));
        }
        match last {
            Op::Return | Op::ReturnLocal(_) if sources.len() == 1 && defaults.is_empty() => {
                Some(Frameless {
                    defaults,
                    sources,
                    native: None,
                    awaited: None,
                    resolved: Default::default(),
                    args_in_place: false,
                })
            }
            Op::CallGlobal(g, argc) if natives && usize::from(argc) == sources.len() => {
                let awaited = match *code.get(at + 1)? {
                    Op::Return => None,
                    Op::CallGlobal(a, 1) if code.get(at + 2) == Some(&Op::Return) => {
                        Some((a, at + 1))
                    }
                    _ => return None,
                };
                let args_in_place = sources
                    .iter()
                    .skip(1)
                    .zip(1..)
                    .all(|(s, i)| *s == Source::Local(i));
                Some(Frameless {
                    defaults,
                    sources,
                    native: Some(g),
                    awaited,
                    resolved: Default::default(),
                    args_in_place,
                })
            }
            _ => None,
        }
    }
}

/// Local `i` as a source: with its literal default when it has one.
fn local_source(defaults: &[(u16, u32)], i: u16) -> Source {
    match defaults.iter().find(|&&(slot, _)| slot == i) {
        Some(&(_, k)) => Source::LocalOr(i, k),
        None => Source::Local(i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_getter_is_one_member_then_return() {
        let plan = Frameless::of(&[Op::GetLocalMember(0, 3), Op::Return], false).unwrap();
        assert_eq!(plan.sources, vec![Source::Member(0, 3)]);
        assert_eq!(plan.native, None);
    }

    #[test]
    fn a_body_returning_a_parameter_is_frameless_in_either_shape() {
        for code in [
            &[Op::LoadLocal(1), Op::Return][..],
            &[Op::ReturnLocal(1)][..],
        ] {
            let plan = Frameless::of(code, false).unwrap();
            assert_eq!(plan.sources, vec![Source::Local(1)], "{code:?}");
        }
        // With a default it keeps its frame, as `DefaultLocal; LoadLocal; Return` does.
        assert_eq!(
            Frameless::of(&[Op::DefaultLocal(1, 0), Op::ReturnLocal(1)], false),
            None
        );
    }

    #[test]
    fn an_awaited_native_wrapper_keeps_its_defaults_and_await() {
        let code = [
            Op::DefaultLocal(1, 0),
            Op::GetLocalMember(0, 1),
            Op::LoadLocal(1),
            Op::CallGlobal(8, 2),
            Op::CallGlobal(6, 1),
            Op::Return,
        ];
        let plan = Frameless::of(&code, true).unwrap();
        assert_eq!(plan.defaults, vec![(1, 0)]);
        assert_eq!(
            plan.sources,
            vec![Source::Member(0, 1), Source::LocalOr(1, 0)]
        );
        assert_eq!((plan.native, plan.awaited), (Some(8), Some((6, 4))));
        // Outside the built-in packages a native wrapper keeps its frame.
        assert_eq!(Frameless::of(&code, false), None);
    }

    #[test]
    fn other_bodies_keep_their_frame() {
        let cases: [&[Op]; 5] = [
            // Two statements.
            &[Op::CallGlobal(1, 0), Op::Pop, Op::Null, Op::Return],
            // An argument count that does not match what was pushed.
            &[Op::LoadLocal(1), Op::CallGlobal(1, 2), Op::Return],
            // A computed argument.
            &[
                Op::LoadLocal(1),
                Op::Int(1),
                Op::Bin(kiwi_syntax::ast::BinOp::Add),
                Op::Return,
            ],
            // A default with a getter body.
            &[Op::DefaultLocal(1, 0), Op::LoadLocal(1), Op::Return],
            // Something after the native before the return.
            &[Op::CallGlobal(1, 0), Op::CallGlobal(2, 2), Op::Return],
        ];
        for code in cases {
            assert_eq!(Frameless::of(code, true), None, "{code:?}");
        }
    }
}
