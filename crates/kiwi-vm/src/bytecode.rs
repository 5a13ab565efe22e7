//! Compiled code: instructions and function prototypes.
//!
//! The VM is a stack machine. Every instruction has a source position (kept in a parallel
//! array) so a fault can point at `file:line:col`.

use std::rc::Rc;

use kiwi_syntax::ast::{BinOp, UnOp};
use kiwi_syntax::Span;

use crate::value::Value;

/// Where a captured variable comes from when a closure is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureFrom {
    /// A cell-backed local of the enclosing function (index into its frame cells).
    Cell(u16),
    /// One of the enclosing function's own captures.
    Capture(u16),
}

/// How an argument was written at a call site with named arguments or splats.
#[derive(Debug, Clone, PartialEq)]
pub enum ArgKind {
    /// A positional argument.
    Pos,
    /// `name = value`.
    Named(Rc<str>),
    /// `*list`.
    Splat,
}

/// One VM instruction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// Push constant `n`.
    Const(u32),
    /// Push a fresh deep copy of constant `n` (byte literals, `var` container zeros).
    CopyConst(u32),
    /// Push a small integer.
    Int(i32),
    /// Push `null`.
    Null,
    /// Push a boolean.
    Bool(bool),
    /// Discard the top value.
    Pop,
    /// Duplicate the top value.
    Dup,
    /// Duplicate the top two values (`a b` -> `a b a b`).
    Dup2,
    /// Push a plain local.
    LoadLocal(u16),
    /// Pop into a plain local.
    StoreLocal(u16),
    /// Push a cell-backed local of this frame.
    LoadCell(u16),
    /// Pop into a cell-backed local of this frame.
    StoreCell(u16),
    /// Push a captured variable of the running closure.
    LoadCapture(u16),
    /// Pop into a captured variable of the running closure.
    StoreCapture(u16),
    /// Push a global (faults with VariableUndefinedError if unset).
    LoadGlobal(u32),
    /// Pop into a global (faults if it is a constant).
    StoreGlobal(u32),
    /// Pop into the named-function table (hoisted `fn` definitions). A global variable of the
    /// same name wins over the function while it holds a non-null value (§5.3).
    DefineFn(u32),
    /// Pop into a global and mark it constant.
    DefineConst(u32),
    /// Unconditional jump.
    Jump(u32),
    /// Backward jump (a loop edge): also a preemption point.
    Loop(u32),
    /// Pop; jump if falsy.
    JumpIfFalse(u32),
    /// Pop; jump if truthy.
    JumpIfTrue(u32),
    /// Fused `Bin(cmp)` + `JumpIfFalse`: pop two, compare, jump if the result is falsy.
    CmpJumpIfFalse(BinOp, u32),
    /// Put before `LoadLocal(slot); Int(k); Bin(op)`: when the local holds an integer, pushes
    /// `local op k` and skips those three; otherwise does nothing and they run.
    LocalIntBin(u16, i32, BinOp),
    /// Put before `LoadLocal(slot); Int(k); CmpJumpIfFalse(op, target)`: when the local holds
    /// an integer, compares and jumps to `target` or past those three; otherwise they run.
    LocalIntCmpJump(u16, i32, BinOp, u32),
    /// Put before `LoadLocal(a); LoadLocal(b); Bin(op)`: when both locals hold integers,
    /// pushes `a op b` and skips those three; otherwise does nothing and they run.
    LocalsBin(u16, u16, BinOp),
    /// Put before `LoadLocal(a); LoadLocal(b); CmpJumpIfFalse(op, target)`: when both locals
    /// hold integers, compares and jumps to `target` or past those three; otherwise they run.
    LocalsCmpJump(u16, u16, BinOp, u32),
    /// Put before `Int(k); BinLocal(op, slot)` (`i += 1`): when the local holds an integer,
    /// does the wrapping `+`, `-` or `*` in place and skips those two; otherwise they run.
    BinLocalInt(BinOp, u16, i32),
    /// If the top is falsy jump (keeping it), else pop it (`&&`).
    AndJump(u32),
    /// If the top is truthy jump (keeping it), else pop it (`||`).
    OrJump(u32),
    /// Pop; jump if not null.
    JumpIfNotNull(u32),
    /// Binary operator on the top two values.
    Bin(BinOp),
    /// Pop a value and apply `local = local op value` to a plain local (compound assignment).
    /// Taking the local out first lets a uniquely owned string grow in place.
    BinLocal(BinOp, u16),
    /// Pop a value and apply `global = global op value` (compound assignment to a global).
    BinGlobal(BinOp, u32),
    /// Unary operator on the top value.
    Un(UnOp),
    /// `a ?? b` on the top two values.
    Coalesce,
    /// Pop `n` values into a new list.
    MakeList(u32),
    /// Pop `2n` values (key, value pairs) into a new hashmap.
    MakeMap(u32),
    /// Pop `lo hi`, push the inclusive range list.
    MakeRange,
    /// Pop `n` values, push the concatenation of their display forms.
    Interp(u32),
    /// Pop `obj idx`, push `obj[idx]`.
    Index,
    /// Pop `obj`, push `obj[consts[k]]`: an index written as a string literal (`p["data"]`),
    /// with no push and pop of the key.
    IndexConst(u32),
    /// Push `local[consts[k]]`: [`Op::IndexConst`] of a plain local, without copying the
    /// local to the stack first.
    LocalIndexConst(u16, u32),
    /// Pop `obj idx value`, set `obj[idx] = value`.
    SetIndex,
    /// Pop `obj start stop step` (null = omitted), push the slice.
    Slice,
    /// Pop `obj`, push `obj.name` (constant `n` holds the name).
    GetMember(u32),
    /// Pop value, object; `object.<str const n> = value`.
    SetMember(u32),
    /// Push `local.<str const n>` (`GetMember` of a local, without copying it to the stack).
    GetLocalMember(u16, u32),
    /// A parameter's literal default: if local `slot` is null, it becomes `consts[k]` (one
    /// instruction for `fn f(n = 10)` instead of a load, a branch, a push and a store).
    DefaultLocal(u16, u32),
    /// Pop value; `local.<str const n> = value`.
    SetLocalMember(u16, u32),
    /// `local.<str const n> = value`, the value staying on the stack (an assignment whose
    /// value is used: a method ending in `@y = y` returns `y`).
    SetLocalMemberKeep(u16, u32),
    /// `super.<str const n>(argc args)` in a method: `@` and the arguments are on the stack.
    CallSuper(u32, u16),
    /// Call: callee and `argc` positional arguments on the stack.
    Call(u16),
    /// Call with named arguments or splats: callee and args; constant `n` holds the arg kinds.
    CallEx(u32),
    /// Call the function named by global `slot` (or the native of the same name).
    CallGlobal(u32, u16),
    /// Like [`Op::CallGlobal`] with named args/splats described by constant `kinds`.
    CallGlobalEx(u32, u32),
    /// Method call: receiver and `argc` args; constant `name` is the method name.
    CallMethod(u32, u16),
    /// Method call with named args/splats: constant `name`, constant `kinds`.
    CallMethodEx(u32, u32),
    /// Create a closure from prototype constant `n`.
    Closure(u32),
    /// Return the top value from the current function.
    Return,
    /// Return local `i` (`LoadLocal(i); Return` in one step).
    ReturnLocal(u16),
    /// Pop and print (`stderr`, `newline`).
    Print(bool, bool),
    /// Pop and throw.
    Throw,
    /// Pop and exit the process with that code.
    Exit,
    /// Install an error handler at `target` for the current frame.
    PushHandler(u32),
    /// Remove the innermost handler.
    PopHandler,
    /// Like `PushHandler`, for the hidden handler around a `catch` body whose `finally` must run
    /// before the error goes on: catching also pushes, above the error, where it was raised
    /// (an opaque integer from [`crate::task::pack_origin`]) for `Rethrow`.
    PushRethrowHandler(u32),
    /// Pop an origin (from `PushRethrowHandler`) and an error hashmap; raise the error again
    /// as-is, reported where it was first raised.
    Rethrow,
    /// Like `Rethrow`, but only for a cancellation (`CancelledError`); any other error is
    /// dropped. Ends a `try` without `catch`, which swallows errors but not a cancellation.
    RethrowCancellation,
    /// First instruction of a generator function (after its defaults): the call returns a
    /// generator holding this frame, suspended here, instead of running the body.
    GenStart,
    /// Pop a value and hand it to the `for` loop consuming this generator (suspends it).
    Yield,
    /// Pop the methods' closures, the static values and the base (or null) of a struct and
    /// push the struct; the constant is `[name, abstract, has base, [method names],
    /// [method flags: 1 private, 2 abstract], [static names]]`.
    MakeStruct(u32),
    /// Pop a value, step, stop, start (nulls for omitted parts) and a list: replace that
    /// slice of the list (`l[a:b] = values`).
    SetSlice,
    /// Pop the explicit member values of an enum (in order) and push the enum; the constant
    /// is `[name, [member names], [has explicit value]]`.
    MakeEnum(u32),
    /// Pop a path string; run that file once (definitions global), push the value of its
    /// first `package` (or null).
    Include,
    /// Pop an error hashmap and push its type and message strings (`catch t, m`).
    SplitError,
    /// Pop a value; push `n` values unpacked from it (pack assignment with one right side).
    Unpack(u16),
    /// Prepare locals `slot` (items), `slot + 1` (index) and `slot + 2` (the hashmap, when
    /// iterating one) for a `for` loop over the popped value.
    ForPrep(u16),
    /// Advance the `for` loop whose state is at `slot`: push the element (and with `two`, the
    /// second value), or jump to `exit` when done.
    ForNext(u16, bool, u32),
    /// `import`: pop a package name, push a package value (may run a file).
    Import,
    /// `require`: pop a package name; fault unless defined or active.
    Require,
    /// Mark package constant `n` as active (end of a `package` body).
    ActivatePackage(u32),
    /// Pop a value; fault with KiwiError (constant `n` holds the message) — bad byte literal.
    Fault(u32),
}

/// A compiled function (or a script's top level).
pub struct FnProto {
    /// Function name, or an internal id for lambdas.
    pub name: Rc<str>,
    /// Parameter names in order.
    pub params: Vec<Rc<str>>,
    /// Whether the last parameter is `*rest`.
    pub has_rest: bool,
    /// Which parameters have a default value (the others are required when named arguments
    /// are used).
    pub param_defaults: Vec<bool>,
    /// Parameters are plain locals `0..n` and there are no cells: calls can bind in place.
    pub simple_params: bool,
    /// For each parameter: where the argument goes (a plain local or a cell).
    pub param_slots: Vec<Slot>,
    /// Number of plain local slots (parameters and temporaries included).
    pub num_locals: u16,
    /// Number of cell-backed locals.
    pub num_cells: u16,
    /// Where each capture of a closure over this prototype comes from.
    pub captures: Vec<CaptureFrom>,
    /// The instructions.
    pub code: Vec<Op>,
    /// Source position of each instruction.
    pub spans: Vec<Span>,
    /// Constants referenced by index.
    pub consts: Vec<Const>,
    /// Index of the source file in the interpreter's source table.
    pub file: u32,
    /// The struct whose method this is (or a lambda inside one): who may call private
    /// methods.
    pub owner: Option<Rc<str>>,
    /// A struct method: its first parameter is the instance `@`.
    pub is_method: bool,
    /// The top level of a file (not a function).
    pub is_top: bool,
    /// A lambda (`with`/`do`), not a named function.
    pub is_lambda: bool,
    /// The function's named locals and where they live, by slot (for `reflector::state`).
    pub local_names: Vec<(Rc<str>, Slot)>,
    /// Each parameter's type hint as written (`integer|string`), unchecked.
    pub param_hints: Vec<Option<Rc<str>>>,
    /// Each parameter's default when it is a literal (a default computed by code has none
    /// before a call runs it).
    pub param_literal_defaults: Vec<Option<Value>>,
    /// The return type hint as written, unchecked.
    pub return_hint: Option<Rc<str>>,
    /// One cache per constant, used by the member and method sites naming that constant.
    pub caches: Box<[crate::sitecache::SiteCache]>,
    /// A method simple enough to run without a frame: how (see [`crate::frameless`]).
    pub frameless: Option<Box<crate::frameless::Frameless>>,
    /// The function's frames start in the integer loop: every instruction, or every one
    /// inside its `while` loops, is one that loop runs (see `vm/fastloop.rs`).
    pub int_loop: bool,
}

/// Where a variable lives at run time inside a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// A plain local slot.
    Local(u16),
    /// A cell-backed local (captured by an inner closure).
    Cell(u16),
}

/// A constant in a prototype's pool.
pub enum Const {
    /// A value (numbers, strings, names).
    Value(Value),
    /// A nested function prototype.
    Proto(Rc<FnProto>),
    /// Argument kinds of a call site with named args or splats.
    ArgKinds(Rc<[ArgKind]>),
}

#[cfg(test)]
mod tests {
    #[test]
    fn op_is_small() {
        assert!(
            std::mem::size_of::<super::Op>() <= 12,
            "{}",
            std::mem::size_of::<super::Op>()
        );
        assert_eq!(std::mem::size_of::<crate::value::Value>(), 16);
    }
}
