//! AST to bytecode.
//!
//! One [`FnState`] per function being compiled, kept on a stack so that a name used in an inner
//! function can be resolved to a capture of an enclosing function's cell. Scope decisions come
//! from [`scope::analyze`], done before any code is emitted, so that a local captured by a later
//! closure is a cell from the first instruction on.

mod expr;
pub mod scope;
mod stmt;

use crate::text::Text;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use kiwi_syntax::ast::{BinOp, Block, Expr, ExprKind, FnDef, Program, StmtKind};
use kiwi_syntax::Span;

use crate::bytecode::{ArgKind, CaptureFrom, Const, FnProto, Op, Slot};
use crate::frameless::Frameless;
use crate::value::Value;

use scope::ScopeTable;

/// Global names starting with this are never assigned: calls through them always reach the
/// native builtin of the rest of the name.
pub const BUILTIN_PREFIX: &str = "__builtin__";

/// How the interpreter names the source of a package built into the binary
/// (`<stdlib udp.kiwi>`).
pub const BUILTIN_PACKAGE_PREFIX: &str = "<stdlib ";

/// String constants up to this many bytes are interned (see [`Globals::string`]).
pub const SHORT_STRING: usize = 64;

/// The interpreter-wide table of global names (and the program's top-level names).
#[derive(Default)]
pub struct Globals {
    names: Vec<Rc<str>>,
    index: HashMap<Rc<str>, u32>,
    /// Names that §5.3 calls "top-level names"; a function assigning one writes the global.
    pub toplevel: HashSet<String>,
    /// Short string constants, one `Rc` per text across every compiled file: member and
    /// method names then compare by pointer (`@x` written in one method, read in another).
    strings: HashMap<String, Rc<Text>>,
}

impl Globals {
    /// The slot of global `name`, creating it if needed.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        let rc: Rc<str> = Rc::from(name);
        self.names.push(rc.clone());
        self.index.insert(rc, i);
        i
    }

    /// The shared `Rc` of a short string constant (longer ones get their own).
    pub(crate) fn string(&mut self, s: &str) -> Rc<Text> {
        if s.len() > SHORT_STRING {
            return Rc::new(Text::from(s));
        }
        if let Some(rc) = self.strings.get(s) {
            return rc.clone();
        }
        let rc = Rc::new(Text::from(s));
        self.strings.insert(s.to_string(), rc.clone());
        rc
    }

    /// The slot of `name` if it was ever interned.
    pub fn lookup(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }

    /// The name of slot `i`.
    pub fn name(&self, i: u32) -> &Rc<str> {
        &self.names[i as usize]
    }

    /// How many slots exist.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether no slot exists.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A limit of the bytecode format was exceeded.
#[derive(Debug, Clone)]
pub struct CompileError {
    /// What was exceeded.
    pub message: String,
    /// Where.
    pub span: Span,
}

/// Compiles a parsed unit into the prototype of its top-level code.
///
/// `file` is the index of the source in the interpreter's source table; `name` names the
/// unit's top-level function in traces. With `value`, the unit returns the value of its last
/// statement (for the REPL); otherwise null.
pub fn compile(
    program: &Program,
    file: u32,
    name: &str,
    globals: &mut Globals,
    value: bool,
) -> Result<Rc<FnProto>, CompileError> {
    globals
        .toplevel
        .extend(scope::top_level_names(&program.body));
    let scopes = scope::analyze(&program.body, &globals.toplevel);
    let mut c = Compiler {
        globals,
        scopes,
        fns: Vec::new(),
        file,
        lambda_counter: 0,
        error: None,
        in_assign_expr: false,
        next_method_of: None,
        decorated_method: None,
        package_natives_frameless: name.starts_with(BUILTIN_PACKAGE_PREFIX),
    };
    c.fns.push(FnState::new(Rc::from(name), true, None));
    c.hoist_functions(&program.body, None);
    c.block(&program.body, value);
    if !value {
        c.emit(Op::Null, Span::default());
    }
    c.emit(Op::Return, Span::default());
    if let Some(e) = c.error.take() {
        return Err(e);
    }
    let st = c.fns.pop().expect("top-level state");
    Ok(Rc::new(st.finish(
        file,
        Vec::new(),
        false,
        Vec::new(),
        Vec::new(),
    )))
}

/// Loop bookkeeping for `break` and `next`.
struct LoopCtx {
    /// How many try contexts were active when the loop started.
    try_depth: usize,
    /// Jumps to patch to the loop exit.
    breaks: Vec<usize>,
    /// Jumps to patch to the loop's continue point.
    nexts: Vec<usize>,
}

/// An enclosing `try` that early exits (`return`, `break`, `next`) must unwind.
#[derive(Clone)]
struct TryCtx {
    /// A handler is installed and must be popped.
    handler: bool,
    /// The `finally` body to run on the way out.
    finally: Option<Rc<Block>>,
}

/// The function currently being compiled.
struct FnState {
    name: Rc<str>,
    code: Vec<Op>,
    spans: Vec<Span>,
    consts: Vec<Const>,
    str_consts: HashMap<String, u32>,
    locals: HashMap<String, Slot>,
    captures: Vec<(String, CaptureFrom)>,
    num_locals: u16,
    num_cells: u16,
    /// Top-level code: user names are globals.
    is_top: bool,
    /// The package whose body (or function) this is, for `pkg::name` siblings and variables.
    package: Option<Rc<str>>,
    /// Function names defined in `package`'s body (resolved to `pkg::name`).
    package_fns: HashSet<String>,
    loops: Vec<LoopCtx>,
    tries: Vec<TryCtx>,
    too_many_locals: bool,
    /// The last position used as a jump target.
    label: usize,
    /// Function definitions already emitted by hoisting (their statement is then a no-op).
    hoisted: HashSet<*const FnDef>,
    /// See [`FnProto::owner`].
    owner: Option<Rc<str>>,
    /// See [`FnProto::is_method`].
    is_method: bool,
}

impl FnState {
    fn new(name: Rc<str>, is_top: bool, package: Option<Rc<str>>) -> Self {
        FnState {
            name,
            code: Vec::new(),
            spans: Vec::new(),
            consts: Vec::new(),
            str_consts: HashMap::new(),
            locals: HashMap::new(),
            captures: Vec::new(),
            num_locals: 0,
            num_cells: 0,
            is_top,
            package,
            package_fns: HashSet::new(),
            loops: Vec::new(),
            tries: Vec::new(),
            too_many_locals: false,
            label: 0,
            hoisted: HashSet::new(),
            owner: None,
            is_method: false,
        }
    }

    fn finish(
        self,
        file: u32,
        params: Vec<Rc<str>>,
        has_rest: bool,
        param_slots: Vec<Slot>,
        param_defaults: Vec<bool>,
    ) -> FnProto {
        let simple_params = !has_rest
            && self.num_cells == 0
            && param_slots
                .iter()
                .enumerate()
                .all(|(i, s)| *s == Slot::Local(i as u16));
        let int_loop = crate::vm::fastloop::starts_there(&self.code);
        FnProto {
            name: self.name,
            params,
            has_rest,
            param_defaults,
            simple_params,
            param_slots,
            num_locals: self.num_locals,
            num_cells: self.num_cells,
            captures: self.captures.into_iter().map(|(_, c)| c).collect(),
            code: self.code,
            spans: self.spans,
            caches: self.consts.iter().map(|_| Default::default()).collect(),
            consts: self.consts,
            file,
            owner: self.owner,
            is_method: self.is_method,
            is_top: self.is_top,
            is_lambda: false,
            param_hints: Vec::new(),
            param_literal_defaults: Vec::new(),
            return_hint: None,
            frameless: None,
            int_loop,
            local_names: {
                let mut names: Vec<(Rc<str>, Slot)> = self
                    .locals
                    .iter()
                    .map(|(n, slot)| (Rc::from(n.as_str()), *slot))
                    .collect();
                names.sort_by_key(|(_, slot)| match slot {
                    Slot::Local(i) => (0, *i),
                    Slot::Cell(i) => (1, *i),
                });
                names
            },
        }
    }

    fn new_local(&mut self) -> u16 {
        if self.num_locals == u16::MAX {
            self.too_many_locals = true;
            return 0;
        }
        self.num_locals += 1;
        self.num_locals - 1
    }

    fn new_cell(&mut self) -> u16 {
        if self.num_cells == u16::MAX {
            self.too_many_locals = true;
            return 0;
        }
        self.num_cells += 1;
        self.num_cells - 1
    }
}

/// How a name resolves in the current function.
#[derive(Clone, Copy)]
enum Var {
    Local(u16),
    Cell(u16),
    Capture(u16),
    Global(u32),
}

struct Compiler<'g> {
    globals: &'g mut Globals,
    scopes: ScopeTable,
    fns: Vec<FnState>,
    file: u32,
    lambda_counter: u32,
    error: Option<CompileError>,
    /// Compiling an assignment used as an expression (`a[i] = b[j] = v`), where an index
    /// assignment gives its value; as a function's last statement it gives null.
    in_assign_expr: bool,
    /// The next function compiled is a method of this struct.
    next_method_of: Option<Rc<str>>,
    /// While a method's decorators compile: the slot holding the undecorated method.
    decorated_method: Option<u16>,
    /// A built-in package's source: its methods that only wrap a native run without a frame
    /// (a script's own keep theirs, so its errors point inside them).
    package_natives_frameless: bool,
}

impl Compiler<'_> {
    fn cur(&mut self) -> &mut FnState {
        self.fns.last_mut().expect("a function is being compiled")
    }

    fn emit(&mut self, op: Op, span: Span) -> usize {
        let f = self.cur();
        f.code.push(op);
        f.spans.push(span);
        f.code.len() - 1
    }

    /// The current position, as a jump target: instructions are never fused across it.
    fn here(&mut self) -> u32 {
        let f = self.cur();
        f.label = f.code.len();
        f.code.len() as u32
    }

    /// Emits `Bin(op)`. After `LoadLocal(slot); Int(k)` with no jump landing on the `Int` or
    /// here, a `LocalIntBin` goes before the three (see [`Op::LocalIntBin`]): `n - 1`,
    /// `i < 10` and `i % 7` then cost one dispatch when the local holds an integer, and the
    /// three still run as written when it does not.
    /// Likewise `LoadLocal(a); LoadLocal(b)` gets a `LocalsBin` (`i * i`, `x + y`).
    fn emit_bin(&mut self, op: BinOp, span: Span) -> usize {
        let f = self.cur();
        let n = f.code.len();
        if n >= 2 && f.label + 1 < n {
            let fused = match (f.code[n - 2], f.code[n - 1]) {
                (Op::LoadLocal(slot), Op::Int(k)) => Some(Op::LocalIntBin(slot, k, op)),
                (Op::LoadLocal(a), Op::LoadLocal(b)) => Some(Op::LocalsBin(a, b, op)),
                _ => None,
            };
            if let Some(fused) = fused {
                f.code.insert(n - 2, fused);
                f.spans.insert(n - 2, span);
            }
        }
        self.emit(Op::Bin(op), span)
    }

    /// Emits `BinLocal(op, slot)` for `local op= value`, the value just compiled. After an
    /// `Int(k)` no jump lands on, a `BinLocalInt` goes before the two (see
    /// [`Op::BinLocalInt`]): `i += 1` is then one dispatch while `i` holds an integer.
    fn emit_bin_local(&mut self, op: BinOp, slot: u16, span: Span) -> usize {
        let f = self.cur();
        let n = f.code.len();
        if n >= 1 && f.label < n && matches!(op, BinOp::Add | BinOp::Sub | BinOp::Mul) {
            if let Op::Int(k) = f.code[n - 1] {
                f.code.insert(n - 1, Op::BinLocalInt(op, slot, k));
                f.spans.insert(n - 1, span);
            }
        }
        self.emit(Op::BinLocal(op, slot), span)
    }

    /// Emits `Return`; after a `LoadLocal` no jump lands past, the two become one
    /// `ReturnLocal`.
    fn emit_return(&mut self, span: Span) -> usize {
        let f = self.cur();
        let n = f.code.len();
        if n >= 1 && f.label < n {
            if let Op::LoadLocal(i) = f.code[n - 1] {
                f.code[n - 1] = Op::ReturnLocal(i);
                return n - 1;
            }
        }
        self.emit(Op::Return, span)
    }

    /// Emits `JumpIfFalse`, fused with a preceding comparison when no jump lands between them.
    fn emit_jump_if_false(&mut self, span: Span) -> usize {
        let f = self.cur();
        let n = f.code.len();
        if n > 0 && f.label != n {
            if let Op::Bin(
                cmp @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne),
            ) = f.code[n - 1]
            {
                f.code[n - 1] = Op::CmpJumpIfFalse(cmp, 0);
                f.spans[n - 1] = span;
                // Its `LocalIntBin` or `LocalsBin` becomes the jump's own fast path (patched
                // with it).
                match n.checked_sub(4).map(|i| f.code[i]) {
                    Some(Op::LocalIntBin(slot, k, op)) if op == cmp => {
                        f.code[n - 4] = Op::LocalIntCmpJump(slot, k, cmp, 0);
                        return n - 4;
                    }
                    Some(Op::LocalsBin(a, b, op)) if op == cmp => {
                        f.code[n - 4] = Op::LocalsCmpJump(a, b, cmp, 0);
                        return n - 4;
                    }
                    _ => {}
                }
                return n - 1;
            }
        }
        self.emit(Op::JumpIfFalse(0), span)
    }

    /// Points the jump at `at` to the current position.
    fn patch(&mut self, at: usize) {
        let target = self.here();
        let f = self.cur();
        f.code[at] = match f.code[at] {
            Op::Jump(_) => Op::Jump(target),
            Op::JumpIfFalse(_) => Op::JumpIfFalse(target),
            Op::CmpJumpIfFalse(c, _) => Op::CmpJumpIfFalse(c, target),
            Op::LocalIntCmpJump(slot, k, c, _) => {
                // The comparison three instructions on jumps to the same place.
                if let Op::CmpJumpIfFalse(c, _) = f.code[at + 3] {
                    f.code[at + 3] = Op::CmpJumpIfFalse(c, target);
                }
                Op::LocalIntCmpJump(slot, k, c, target)
            }
            Op::LocalsCmpJump(a, b, c, _) => {
                if let Op::CmpJumpIfFalse(c, _) = f.code[at + 3] {
                    f.code[at + 3] = Op::CmpJumpIfFalse(c, target);
                }
                Op::LocalsCmpJump(a, b, c, target)
            }
            Op::JumpIfTrue(_) => Op::JumpIfTrue(target),
            Op::AndJump(_) => Op::AndJump(target),
            Op::OrJump(_) => Op::OrJump(target),
            Op::JumpIfNotNull(_) => Op::JumpIfNotNull(target),
            Op::PushHandler(_) => Op::PushHandler(target),
            Op::PushRethrowHandler(_) => Op::PushRethrowHandler(target),
            Op::ForNext(s, two, _) => Op::ForNext(s, two, target),
            other => other,
        };
    }

    fn konst(&mut self, c: Const) -> u32 {
        let f = self.cur();
        f.consts.push(c);
        (f.consts.len() - 1) as u32
    }

    fn str_const(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.cur().str_consts.get(s) {
            return i;
        }
        let text = self.globals.string(s);
        let i = self.konst(Const::Value(Value::Str(text)));
        self.cur().str_consts.insert(s.to_string(), i);
        i
    }

    /// The constant a literal that needs no copy evaluates to (null, a boolean, a number or a
    /// string), or `None` for any other expression.
    fn literal_const(&mut self, e: &Expr) -> Option<u32> {
        let v = match &e.kind {
            ExprKind::Null => Value::Null,
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Str(s) => return Some(self.str_const(s)),
            _ => return None,
        };
        Some(self.konst(Const::Value(v)))
    }

    fn kinds_const(&mut self, kinds: Vec<ArgKind>) -> u32 {
        self.konst(Const::ArgKinds(Rc::from(kinds)))
    }

    /// Resolves `name` for the function at depth `level` of the state stack.
    fn resolve_at(&mut self, level: usize, name: &str) -> Var {
        let st = &self.fns[level];
        if !st.is_top {
            if let Some(slot) = st.locals.get(name) {
                return match *slot {
                    Slot::Local(i) => Var::Local(i),
                    Slot::Cell(i) => Var::Cell(i),
                };
            }
            if let Some(i) = st.captures.iter().position(|(n, _)| n == name) {
                return Var::Capture(i as u16);
            }
            if level > 0 && !self.fns[level - 1].is_top {
                let from = match self.resolve_at(level - 1, name) {
                    Var::Cell(i) => Some(CaptureFrom::Cell(i)),
                    Var::Capture(i) => Some(CaptureFrom::Capture(i)),
                    // Only cells can be shared; analysis guarantees captured locals are cells.
                    Var::Local(_) | Var::Global(_) => None,
                };
                if let Some(from) = from {
                    let st = &mut self.fns[level];
                    st.captures.push((name.to_string(), from));
                    return Var::Capture((st.captures.len() - 1) as u16);
                }
            }
        }
        let st = &self.fns[level];
        let qualified = match &st.package {
            Some(pkg) if st.package_fns.contains(name) => Some(format!("{pkg}::{name}")),
            _ => None,
        };
        Var::Global(self.globals.intern(qualified.as_deref().unwrap_or(name)))
    }

    fn resolve(&mut self, name: &str) -> Var {
        let level = self.fns.len() - 1;
        self.resolve_at(level, name)
    }

    fn load_var(&mut self, name: &str, span: Span) {
        if let (kiwi_syntax::ast::DECORATED_METHOD, Some(slot)) = (name, self.decorated_method) {
            self.emit(Op::LoadLocal(slot), span);
            return;
        }
        if name == "@"
            && !matches!(
                self.resolve(name),
                Var::Local(_) | Var::Cell(_) | Var::Capture(_)
            )
        {
            // `@` outside a method is null, as upstream.
            self.emit(Op::Null, span);
            return;
        }
        let op = match self.resolve(name) {
            Var::Local(i) => Op::LoadLocal(i),
            Var::Cell(i) => Op::LoadCell(i),
            Var::Capture(i) => Op::LoadCapture(i),
            Var::Global(g) => Op::LoadGlobal(g),
        };
        self.emit(op, span);
    }

    /// Pops the top of the stack into `name`. At the top level of a package body a plain
    /// assignment also sets the package variable `pkg::name`.
    fn store_var(&mut self, name: &str, span: Span) {
        let var = self.resolve(name);
        let op = match var {
            Var::Local(i) => Op::StoreLocal(i),
            Var::Cell(i) => Op::StoreCell(i),
            Var::Capture(i) => Op::StoreCapture(i),
            Var::Global(g) => {
                let pkg = {
                    let st = self.cur();
                    if st.is_top {
                        st.package.clone()
                    } else {
                        None
                    }
                };
                if let Some(pkg) = pkg {
                    if !self.cur().package_fns.contains(name) {
                        let q = self.globals.intern(&format!("{pkg}::{name}"));
                        self.emit(Op::Dup, span);
                        self.emit(Op::StoreGlobal(q), span);
                    }
                }
                Op::StoreGlobal(g)
            }
        };
        self.emit(op, span);
    }

    /// Defines every function of `body` before any of its statements run (hoisting).
    fn hoist_functions(&mut self, body: &Block, package: Option<&Rc<str>>) {
        for stmt in body {
            if let Some(def) = stmt.kind.fn_def() {
                let Some(name) = &def.name else { continue };
                self.cur().hoisted.insert(Rc::as_ptr(def));
                let full = match package {
                    Some(p) => format!("{p}::{name}"),
                    None => name.clone(),
                };
                self.function(def, Rc::from(full.as_str()), stmt.span);
                let g = self.globals.intern(&full);
                self.emit(Op::DefineFn(g), stmt.span);
            }
        }
    }

    /// Compiles `def` and emits the instruction that creates its closure.
    fn function(&mut self, def: &Rc<FnDef>, name: Rc<str>, span: Span) {
        // `get`, not `remove`: a body can be compiled more than once (a `finally` is inlined
        // on every exit path).
        let scope = self.scopes.get(&Rc::as_ptr(def));
        let (locals, captured) = match scope {
            Some(s) => (s.locals.clone(), s.captured.clone()),
            None => Default::default(),
        };
        let package = self.cur().package.clone();
        let package_fns = self.cur().package_fns.clone();
        let mut st = FnState::new(name, false, package);
        st.package_fns = package_fns;
        // A method's lambdas share its owner (they may call its private methods).
        match self.next_method_of.take() {
            Some(owner) => {
                st.owner = Some(owner);
                st.is_method = true;
            }
            None => st.owner = self.fns.last().and_then(|f| f.owner.clone()),
        }
        for name in &locals {
            let slot = if captured.contains(name) {
                Slot::Cell(st.new_cell())
            } else {
                Slot::Local(st.new_local())
            };
            st.locals.insert(name.clone(), slot);
        }
        let mut params = Vec::new();
        let mut param_slots = Vec::new();
        let mut has_rest = false;
        let param_defaults = def.params.iter().map(|p| p.default.is_some()).collect();
        for p in &def.params {
            params.push(Rc::from(p.name.as_str()));
            // Analysis lists every parameter as a local; a fresh slot guards the impossible miss.
            let slot = match st.locals.get(&p.name) {
                Some(slot) => *slot,
                None => Slot::Local(st.new_local()),
            };
            param_slots.push(slot);
            has_rest |= p.rest;
        }
        self.fns.push(st);
        for p in &def.params {
            if let Some(default) = &p.default {
                if let Var::Local(slot) = self.resolve(&p.name) {
                    if let Some(k) = self.literal_const(default) {
                        self.emit(Op::DefaultLocal(slot, k), default.span);
                        continue;
                    }
                }
                self.load_var(&p.name, default.span);
                let skip = self.emit(Op::JumpIfNotNull(0), default.span);
                self.expr(default);
                self.store_var(&p.name, default.span);
                self.patch(skip);
            }
        }
        let generator = contains_yield(&def.body);
        if generator {
            self.emit(Op::GenStart, def.span);
        }
        // A body is never itself an assignment expression, even if it sits in one.
        let outer = std::mem::replace(&mut self.in_assign_expr, false);
        self.block(&def.body, true);
        self.in_assign_expr = outer;
        if generator {
            // `GenStart` returns the generator through the last instruction: a plain `Return`.
            self.emit(Op::Return, def.span);
        } else {
            self.emit_return(def.span);
        }
        let st = self.fns.pop().expect("function state");
        if st.too_many_locals {
            self.fail("Too many local variables in one function.", def.span);
        }
        let mut proto = st.finish(self.file, params, has_rest, param_slots, param_defaults);
        proto.param_hints = def
            .params
            .iter()
            .map(|p| p.hint.as_deref().map(Rc::from))
            .collect();
        proto.param_literal_defaults = def
            .params
            .iter()
            .map(|p| p.default.as_ref().and_then(literal_value))
            .collect();
        proto.return_hint = def.return_hint.as_deref().map(Rc::from);
        proto.is_lambda = def.name.is_none();
        if proto.is_method && proto.simple_params && proto.captures.is_empty() {
            proto.frameless =
                Frameless::of(&proto.code, self.package_natives_frameless).map(Box::new);
        }
        let k = self.konst(Const::Proto(Rc::new(proto)));
        self.emit(Op::Closure(k), span);
    }

    fn lambda_name(&mut self) -> Rc<str> {
        self.lambda_counter += 1;
        Rc::from(format!("lambda_{}_{}", self.file, self.lambda_counter).as_str())
    }

    fn fail(&mut self, message: &str, span: Span) {
        if self.error.is_none() {
            self.error = Some(CompileError {
                message: message.to_string(),
                span,
            });
        }
    }
}

/// Whether a function body yields (a generator function): a `yield` anywhere in its own
/// statements, not inside nested functions or lambdas.
fn contains_yield(body: &Block) -> bool {
    body.iter().any(|stmt| match &stmt.kind {
        StmtKind::Yield(_) => true,
        StmtKind::If {
            branches,
            else_body,
        } => {
            branches.iter().any(|(_, b)| contains_yield(b))
                || else_body.as_ref().is_some_and(contains_yield)
        }
        StmtKind::While { body, .. }
        | StmtKind::For { body, .. }
        | StmtKind::Repeat { body, .. } => contains_yield(body),
        StmtKind::Try {
            body,
            catch,
            finally,
        } => {
            contains_yield(body)
                || catch.as_ref().is_some_and(|c| contains_yield(&c.body))
                || finally.as_ref().is_some_and(contains_yield)
        }
        StmtKind::Guarded {
            stmt, otherwise, ..
        } => {
            matches!(stmt.kind, StmtKind::Yield(_))
                || otherwise
                    .as_ref()
                    .is_some_and(|o| matches!(o.kind, StmtKind::Yield(_)))
        }
        _ => false,
    })
}

/// The value of a literal expression (`5`, `"x"`, `true`, `null`), for `parameters()`.
fn literal_value(e: &kiwi_syntax::ast::Expr) -> Option<Value> {
    use kiwi_syntax::ast::ExprKind;
    Some(match &e.kind {
        ExprKind::Null => Value::Null,
        ExprKind::Bool(b) => Value::Bool(*b),
        ExprKind::Int(n) => Value::Int(*n),
        ExprKind::Float(f) => Value::Float(*f),
        ExprKind::Str(s) => Value::str(s.as_str()),
        _ => return None,
    })
}
