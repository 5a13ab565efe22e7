//! Statements: control flow, assignment, try/finally unwinding, packages.

use std::rc::Rc;

use kiwi_syntax::ast::{
    AssignOp, AssignTarget, Block, CatchClause, Expr, ExprKind, FnDef, MethodDef, Stmt, StmtKind,
    StructDef, VarDecl,
};
use kiwi_syntax::Span;

use super::{Compiler, LoopCtx, TryCtx};
use crate::bytecode::{Const, Op};
use crate::value::Value;

impl Compiler<'_> {
    /// Compiles a block; with `want` it leaves the value of its last statement (or null).
    pub(super) fn block(&mut self, block: &Block, want: bool) {
        if block.is_empty() {
            if want {
                self.emit(Op::Null, Span::default());
            }
            return;
        }
        let last = block.len() - 1;
        for (i, s) in block.iter().enumerate() {
            self.stmt(s, want && i == last);
        }
    }

    /// Compiles one statement; with `want` it pushes exactly one value (§5.1 implicit return).
    pub(super) fn stmt(&mut self, s: &Stmt, want: bool) {
        let span = s.span;
        match &s.kind {
            StmtKind::Expr(e) => {
                self.expr(e);
                if !want {
                    self.emit(Op::Pop, span);
                }
            }
            StmtKind::Assign {
                targets,
                op,
                values,
            } => self.assign(targets, *op, values, want, span),
            StmtKind::If {
                branches,
                else_body,
            } => {
                let mut ends = Vec::new();
                for (cond, body) in branches {
                    self.expr(cond);
                    let skip = self.emit_jump_if_false(cond.span);
                    self.block(body, want);
                    ends.push(self.emit(Op::Jump(0), span));
                    self.patch(skip);
                }
                match else_body {
                    Some(b) => self.block(b, want),
                    None if want => {
                        self.emit(Op::Null, span);
                    }
                    None => {}
                }
                for e in ends {
                    self.patch(e);
                }
            }
            StmtKind::Guarded {
                stmt,
                cond,
                otherwise,
            } => {
                self.expr(cond);
                let skip = self.emit_jump_if_false(cond.span);
                self.stmt(stmt, false);
                let end = self.emit(Op::Jump(0), span);
                self.patch(skip);
                if let Some(o) = otherwise {
                    self.stmt(o, false);
                }
                self.patch(end);
                self.push_null_if(want, span);
            }
            _ => {
                self.plain_stmt(s);
                self.push_null_if(want, span);
            }
        }
    }

    fn push_null_if(&mut self, want: bool, span: Span) {
        if want {
            self.emit(Op::Null, span);
        }
    }

    /// Statements whose value is always null.
    fn plain_stmt(&mut self, s: &Stmt) {
        let span = s.span;
        match &s.kind {
            StmtKind::Const { name, value } => {
                self.expr(value);
                let pkg = self.cur().package.clone();
                if let Some(pkg) = pkg {
                    // A package constant is also readable as `pkg::NAME`.
                    let q = self.globals.intern(&format!("{pkg}::{name}"));
                    self.emit(Op::Dup, span);
                    self.emit(Op::DefineConst(q), span);
                }
                let g = self.globals.intern(name);
                self.emit(Op::DefineConst(g), span);
            }
            StmtKind::Var(decls) => {
                for d in decls {
                    self.var_decl(d);
                }
            }
            StmtKind::Print {
                stderr,
                newline,
                value,
            } => {
                self.expr(value);
                self.emit(Op::Print(*stderr, *newline), span);
            }
            // `while true do`, a server's main loop, tests nothing on each turn.
            StmtKind::While { cond, body } if matches!(cond.kind, ExprKind::Bool(true)) => {
                let start = self.here();
                self.loop_body(body, start, span);
            }
            StmtKind::While { cond, body } => {
                let start = self.here();
                self.expr(cond);
                let exit = self.emit_jump_if_false(cond.span);
                self.loop_body(body, start, span);
                self.patch(exit);
            }
            StmtKind::For {
                var,
                second,
                iterable,
                body,
            } => {
                self.expr(iterable);
                let state = self.cur().new_local();
                self.cur().new_local();
                self.cur().new_local();
                self.emit(Op::ForPrep(state), span);
                let next = self.emit(Op::ForNext(state, second.is_some(), 0), span);
                if let Some(second) = second {
                    self.store_var(second, span);
                }
                self.store_var(var, span);
                self.loop_body(body, next as u32, span);
                self.patch(next);
            }
            StmtKind::Repeat { count, alias, body } => {
                // The counter runs 1..=n; n is evaluated once.
                let n = self.cur().new_local();
                let i = self.cur().new_local();
                self.expr(count);
                self.emit(Op::StoreLocal(n), count.span);
                self.emit(Op::Int(1), span);
                self.emit(Op::StoreLocal(i), span);
                let top = self.here();
                self.emit(Op::LoadLocal(i), span);
                self.emit(Op::LoadLocal(n), span);
                self.emit(Op::Bin(kiwi_syntax::ast::BinOp::Le), count.span);
                let exit = self.emit_jump_if_false(span);
                if let Some(a) = alias {
                    self.emit(Op::LoadLocal(i), span);
                    self.store_var(a, span);
                }
                let depth = self.cur().tries.len();
                self.push_loop(depth);
                self.block(body, false);
                let ctx = self.cur().loops.pop().expect("loop");
                for j in ctx.nexts {
                    self.patch(j);
                }
                self.emit(Op::Int(1), span);
                self.emit(Op::BinLocal(kiwi_syntax::ast::BinOp::Add, i), span);
                self.emit(Op::Loop(top), span);
                self.patch(exit);
                for j in ctx.breaks {
                    self.patch(j);
                }
            }
            StmtKind::Break | StmtKind::Next => {
                // Outside a loop these are silently ignored (§4).
                let Some(depth) = self.cur().loops.last().map(|l| l.try_depth) else {
                    return;
                };
                self.unwind_tries(depth, span);
                let j = self.emit(Op::Jump(0), span);
                let l = self.cur().loops.last_mut().expect("loop");
                if matches!(s.kind, StmtKind::Break) {
                    l.breaks.push(j);
                } else {
                    l.nexts.push(j);
                }
            }
            StmtKind::Return(value) => {
                self.expr_or_null(value.as_ref(), span);
                if !self.cur().tries.is_empty() {
                    let tmp = self.cur().new_local();
                    self.emit(Op::StoreLocal(tmp), span);
                    self.unwind_tries(0, span);
                    self.emit(Op::LoadLocal(tmp), span);
                }
                self.emit_return(span);
            }
            StmtKind::Throw(value) => {
                self.expr_or_null(value.as_ref(), span);
                self.emit(Op::Throw, span);
            }
            StmtKind::Exit(value) => {
                self.expr_or_null(value.as_ref(), span);
                self.emit(Op::Exit, span);
            }
            StmtKind::Try {
                body,
                catch,
                finally,
            } => self.try_stmt(body, catch.as_ref(), finally.as_ref(), span),
            StmtKind::FnDef(def) => self.fn_stmt(def, span),
            StmtKind::Struct(def) => self.struct_def(def, span),
            StmtKind::Yield(value) => {
                self.expr_or_null(value.as_ref(), span);
                self.emit(Op::Yield, span);
            }
            StmtKind::Enum { name, members } => {
                let mut names = Vec::with_capacity(members.len());
                let mut explicit = Vec::with_capacity(members.len());
                for (member, value) in members {
                    names.push(Value::str(member.as_str()));
                    explicit.push(Value::Bool(value.is_some()));
                    if let Some(v) = value {
                        self.expr(v);
                    }
                }
                let layout = Value::list(vec![
                    Value::str(name.as_str()),
                    Value::list(names),
                    Value::list(explicit),
                ]);
                let k = self.konst(Const::Value(layout));
                self.emit(Op::MakeEnum(k), span);
                // An enum is global, even when defined inside a function (upstream).
                let g = self.globals.intern(name);
                self.emit(Op::StoreGlobal(g), span);
            }
            StmtKind::Decorated { def, apply } => {
                // Defined (or hoisted) as written, then rebound here to the decorated value.
                self.fn_stmt(def, span);
                self.stmt(apply, false);
            }
            StmtKind::Package { path, body } => self.package(path, body, span),
            StmtKind::Export(e) => {
                self.expr(e);
                // `export` activates like `import` and yields nothing.
                self.emit(Op::Import, span);
                self.emit(Op::Pop, span);
            }
            StmtKind::Require(e) => {
                self.expr(e);
                self.emit(Op::Require, span);
            }
            StmtKind::Pass => {}
            StmtKind::Expr(_)
            | StmtKind::Assign { .. }
            | StmtKind::If { .. }
            | StmtKind::Guarded { .. } => self.stmt(s, false),
        }
    }

    /// A loop body with `next` going to `continue_at` and a back edge there.
    fn loop_body(&mut self, body: &Block, continue_at: u32, span: Span) {
        let depth = self.cur().tries.len();
        self.push_loop(depth);
        self.block(body, false);
        let ctx = self.cur().loops.pop().expect("loop");
        for j in ctx.nexts {
            let f = self.cur();
            // A backward jump: it must charge fuel like the loop edge, or `next` could spin forever.
            f.code[j] = Op::Loop(continue_at);
        }
        self.emit(Op::Loop(continue_at), span);
        // Breaks jump past the loop; the caller patches the condition exit after this.
        let end_patch: Vec<usize> = ctx.breaks;
        let after = self.here();
        for j in end_patch {
            self.cur().code[j] = Op::Jump(after);
        }
    }

    /// Pops handlers and runs `finally` bodies of the tries above `depth`, innermost first.
    fn unwind_tries(&mut self, depth: usize, span: Span) {
        let saved = self.cur().tries.clone();
        for i in (depth..saved.len()).rev() {
            let ctx = saved[i].clone();
            if ctx.handler {
                self.emit(Op::PopHandler, span);
            }
            if let Some(fin) = ctx.finally {
                // A `finally` runs outside its own try: truncate so its exits don't re-run it.
                self.cur().tries.truncate(i);
                self.block(&fin, false);
            }
        }
        self.cur().tries = saved;
    }

    fn try_stmt(
        &mut self,
        body: &Block,
        catch: Option<&CatchClause>,
        finally: Option<&Block>,
        span: Span,
    ) {
        let fin: Option<Rc<Block>> = finally.map(|f| Rc::new(f.clone()));
        // Without a catch, the handler keeps the error's origin, to re-raise a cancellation.
        let handler = match catch {
            Some(_) => self.emit(Op::PushHandler(0), span),
            None => self.emit(Op::PushRethrowHandler(0), span),
        };
        self.cur().tries.push(TryCtx {
            handler: true,
            finally: fin.clone(),
        });
        self.block(body, false);
        self.cur().tries.pop();
        self.emit(Op::PopHandler, span);
        if let Some(f) = &fin {
            self.block(f, false);
        }
        let done = self.emit(Op::Jump(0), span);
        self.patch(handler);
        // The error hashmap is on the stack here.
        match catch {
            Some(c) => {
                let rethrow = fin.as_ref().map(|f| {
                    let h = self.emit(Op::PushRethrowHandler(0), span);
                    self.cur().tries.push(TryCtx {
                        handler: true,
                        finally: Some(f.clone()),
                    });
                    h
                });
                match c.names.as_slice() {
                    [] => {
                        self.emit(Op::Pop, span);
                    }
                    [one] => self.store_var(one, span),
                    [ty, msg, ..] => {
                        self.emit(Op::SplitError, span);
                        self.store_var(msg, span);
                        self.store_var(ty, span);
                    }
                }
                self.block(&c.body, false);
                if let (Some(h), Some(f)) = (rethrow, &fin) {
                    self.cur().tries.pop();
                    self.emit(Op::PopHandler, span);
                    self.block(f, false);
                    let end = self.emit(Op::Jump(0), span);
                    self.patch(h);
                    let (error, origin) = (self.cur().new_local(), self.cur().new_local());
                    self.emit(Op::StoreLocal(origin), span);
                    self.emit(Op::StoreLocal(error), span);
                    self.block(f, false);
                    self.emit(Op::LoadLocal(error), span);
                    self.emit(Op::LoadLocal(origin), span);
                    self.emit(Op::Rethrow, span);
                    self.patch(end);
                }
            }
            None => {
                // Swallows the error after `finally`, unless it is a cancellation.
                let (error, origin) = (self.cur().new_local(), self.cur().new_local());
                self.emit(Op::StoreLocal(origin), span);
                self.emit(Op::StoreLocal(error), span);
                if let Some(f) = &fin {
                    self.block(f, false);
                }
                self.emit(Op::LoadLocal(error), span);
                self.emit(Op::LoadLocal(origin), span);
                self.emit(Op::RethrowCancellation, span);
            }
        }
        self.patch(done);
    }

    /// `struct S < B ... end`: pushes the base (or null), the static values and the methods'
    /// closures, builds the struct (`MakeStruct`) and binds it globally (and as `pkg::S`).
    fn struct_def(&mut self, def: &StructDef, span: Span) {
        match &def.base {
            Some(base) => self.load_var(base, span),
            None => {
                self.emit(Op::Null, span);
            }
        }
        for (_, value) in def.statics.iter().chain(&def.fields) {
            self.expr_or_null(value.as_ref(), span);
        }
        let owner: Rc<str> = Rc::from(def.name.as_str());
        for m in &def.methods {
            let name = m.def.name.clone().unwrap_or_default();
            self.next_method_of = Some(owner.clone());
            self.function(
                &m.def,
                Rc::from(format!("{}.{name}", def.name).as_str()),
                span,
            );
            if let Some(decorated) = &m.decorated {
                // The decorators see the method as `@method`: a hidden local slot.
                let slot = self.cur().new_local();
                self.emit(Op::StoreLocal(slot), span);
                let outer = self.decorated_method.replace(slot);
                self.expr(decorated);
                self.decorated_method = outer;
            }
        }
        // Field names are the shared name constants, so `@x` sites find an instance's
        // variables by pointer from its first use.
        let field_names: Vec<Value> = def
            .fields
            .iter()
            .map(|(n, _)| Value::Str(self.globals.string(n)))
            .collect();
        let text = |s: &str| Value::str(s);
        // `static` is not encoded: static methods are called like any other (upstream).
        let flags =
            |m: &MethodDef| Value::Int(i64::from(m.is_private) | i64::from(m.is_abstract) << 1);
        let layout = Value::list(vec![
            text(&def.name),
            Value::Bool(def.is_abstract),
            Value::Bool(def.base.is_some()),
            Value::list(
                def.methods
                    .iter()
                    .map(|m| text(m.def.name.as_deref().unwrap_or_default()))
                    .collect(),
            ),
            Value::list(def.methods.iter().map(flags).collect()),
            Value::list(def.statics.iter().map(|(n, _)| text(n)).collect()),
            Value::list(field_names),
        ]);
        let k = self.konst(Const::Value(layout));
        self.emit(Op::MakeStruct(k), span);
        if let Some(pkg) = self.cur().package.clone() {
            let q = self.globals.intern(&format!("{pkg}::{}", def.name));
            self.emit(Op::Dup, span);
            self.emit(Op::StoreGlobal(q), span);
        }
        let g = self.globals.intern(&def.name);
        self.emit(Op::StoreGlobal(g), span);
    }

    /// A `fn` statement: top-level and package functions were hoisted; a nested one binds a
    /// local.
    fn fn_stmt(&mut self, def: &Rc<FnDef>, span: Span) {
        if self.cur().hoisted.contains(&Rc::as_ptr(def)) {
            return;
        }
        let name = def.name.clone().unwrap_or_default();
        self.function(def, Rc::from(name.as_str()), span);
        self.store_var(&name, span);
    }

    fn var_decl(&mut self, d: &VarDecl) {
        match (&d.value, d.hint.as_deref()) {
            (Some(v), _) => self.expr(v),
            (None, Some(hint)) => {
                let zero = match hint {
                    "integer" => Some(Value::Int(0)),
                    "float" => Some(Value::Float(0.0)),
                    "string" => Some(Value::str("")),
                    "boolean" => Some(Value::Bool(false)),
                    "list" => Some(Value::list(Vec::new())),
                    "hashmap" => Some(Value::map(Default::default())),
                    "bytes" => Some(Value::bytes(Vec::new())),
                    _ => None,
                };
                match zero {
                    // Containers must be fresh at each execution.
                    Some(v) => {
                        let k = self.konst(Const::Value(v));
                        self.emit(Op::CopyConst(k), d.span);
                    }
                    None => {
                        self.emit(Op::Null, d.span);
                    }
                }
            }
            // Neither value nor hint: nothing is stored.
            (None, None) => return,
        }
        self.store_var(&d.name, d.span);
    }

    fn package(&mut self, path: &[String], body: &Block, span: Span) {
        let joined = path.join("::");
        let name: Rc<str> = match &self.cur().package {
            Some(outer) => Rc::from(format!("{outer}::{joined}").as_str()),
            None => Rc::from(joined.as_str()),
        };
        let saved_pkg = self.cur().package.replace(name.clone());
        let fns = body
            .iter()
            .filter_map(|s| s.kind.fn_def().and_then(|d| d.name.clone()))
            .collect();
        let saved_fns = std::mem::replace(&mut self.cur().package_fns, fns);
        self.hoist_functions(body, Some(&name));
        self.block(body, false);
        self.cur().package = saved_pkg;
        self.cur().package_fns = saved_fns;
        let k = self.str_const(&name);
        self.emit(Op::ActivatePackage(k), span);
    }

    /// Assignment statements (§3.4).
    fn assign(
        &mut self,
        targets: &[AssignTarget],
        op: AssignOp,
        values: &[Expr],
        want: bool,
        span: Span,
    ) {
        if targets.len() > 1 || values.len() > 1 {
            self.pack_assign(targets, values, span);
            self.push_null_if(want, span);
            return;
        }
        let (Some(target), Some(value)) = (targets.first(), values.first()) else {
            self.push_null_if(want, span);
            return;
        };
        match target {
            AssignTarget::Name(name, nspan) => {
                match (op, self.resolve(name)) {
                    (AssignOp::Compound(bop), super::Var::Local(slot)) => {
                        self.expr(value);
                        self.emit_bin_local(bop, slot, span);
                        if want {
                            self.emit(Op::LoadLocal(slot), span);
                        }
                        return;
                    }
                    // At the top of a package body a global also mirrors into `pkg::name`.
                    (AssignOp::Compound(bop), super::Var::Global(g))
                        if self.cur().package.is_none() =>
                    {
                        self.expr(value);
                        self.emit(Op::BinGlobal(bop, g), span);
                        if want {
                            self.emit(Op::LoadGlobal(g), span);
                        }
                        return;
                    }
                    _ => {}
                }
                self.assigned_value(op, value, span, |c| c.load_var(name, *nspan));
                if want {
                    self.emit(Op::Dup, span);
                }
                self.store_var(name, *nspan);
            }
            AssignTarget::Path(path, pspan) => {
                let g = self.globals.intern(&path.join("::"));
                self.assigned_value(op, value, span, |c| {
                    c.emit(Op::LoadGlobal(g), *pspan);
                });
                if want {
                    self.emit(Op::Dup, span);
                }
                self.emit(Op::StoreGlobal(g), *pspan);
            }
            AssignTarget::Index(obj, idx) => {
                // As a function's last statement `x[i] = v` yields null, not `v` (upstream:
                // `reduce({}, with (acc, n) do acc[k] = n end)` keeps its accumulator); used
                // as an expression (`a[i] = b[j] = v`) it gives `v`.
                self.expr(obj);
                self.expr(idx);
                let gives_value = want && self.in_assign_expr;
                self.index_store(op, value, gives_value, span);
                self.push_null_if(want && !gives_value, span);
            }
            AssignTarget::Member(obj, name) => {
                let k = self.str_const(name);
                let local = self.plain_local(obj);
                if local.is_none() {
                    self.expr(obj);
                }
                self.assigned_value(op, value, span, |c| {
                    // `o.x op= v` reads `o.x` as `o["x"]` does.
                    match local {
                        Some(slot) => c.emit(Op::LocalIndexConst(slot, k), span),
                        None => {
                            c.emit(Op::Dup, span);
                            c.emit(Op::Const(k), span);
                            c.emit(Op::Index, span)
                        }
                    };
                });
                match local {
                    Some(slot) if want => {
                        self.emit(Op::SetLocalMemberKeep(slot, k), span);
                    }
                    Some(slot) => {
                        self.emit(Op::SetLocalMember(slot, k), span);
                    }
                    None => self.store_keeping_value(Op::SetMember(k), want, span),
                }
            }
            AssignTarget::Slice { .. } if op != AssignOp::Assign => {
                self.fail("A slice can only be assigned with '='.", span);
            }
            AssignTarget::Slice {
                obj,
                start,
                stop,
                step,
            } => {
                self.slice_operands(obj, [start, stop, step], span);
                self.expr(value);
                self.emit(Op::SetSlice, span);
                self.push_null_if(want, span);
            }
        }
    }

    /// Pushes a sliced list and its start, stop and step (null for an omitted part).
    fn slice_operands(&mut self, obj: &Expr, parts: [&Option<Box<Expr>>; 3], span: Span) {
        self.expr(obj);
        for part in parts {
            self.expr_or_null(part.as_deref(), span);
        }
    }

    /// Pushes the value an assignment stores: `value`, or for `op=` the current value (pushed
    /// by `load`) combined with it.
    fn assigned_value(
        &mut self,
        op: AssignOp,
        value: &Expr,
        span: Span,
        load: impl FnOnce(&mut Self),
    ) {
        if let AssignOp::Compound(bop) = op {
            load(self);
            self.expr(value);
            self.emit(Op::Bin(bop), span);
        } else {
            self.expr(value);
        }
    }

    /// With `obj key` on the stack, stores `value` (or `obj[key] op value`).
    fn index_store(&mut self, op: AssignOp, value: &Expr, want: bool, span: Span) {
        self.assigned_value(op, value, span, |c| {
            c.emit(Op::Dup2, span);
            c.emit(Op::Index, span);
        });
        self.store_keeping_value(Op::SetIndex, want, span);
    }

    /// Emits `store` (which pops the value it stores); with `want`, the value stays as the
    /// expression's result.
    fn store_keeping_value(&mut self, store: Op, want: bool, span: Span) {
        if want {
            let tmp = self.cur().new_local();
            self.emit(Op::Dup, span);
            self.emit(Op::StoreLocal(tmp), span);
            self.emit(store, span);
            self.emit(Op::LoadLocal(tmp), span);
        } else {
            self.emit(store, span);
        }
    }

    /// `a, b = e1, e2` and `a, b = list`.
    fn pack_assign(&mut self, targets: &[AssignTarget], values: &[Expr], span: Span) {
        let n = targets.len();
        if values.len() == 1 && n > 1 {
            self.expr(&values[0]);
            self.emit(Op::Unpack(n as u16), span);
        } else {
            for i in 0..n.max(values.len()) {
                self.expr_or_null(values.get(i), span);
            }
            // Extra right-hand values are evaluated and dropped.
            for _ in n..values.len() {
                self.emit(Op::Pop, span);
            }
        }
        for t in targets.iter().rev() {
            match t {
                AssignTarget::Name(name, s) => self.store_var(name, *s),
                AssignTarget::Path(path, s) => {
                    let g = self.globals.intern(&path.join("::"));
                    self.emit(Op::StoreGlobal(g), *s);
                }
                AssignTarget::Index(obj, idx) => {
                    let tmp = self.cur().new_local();
                    self.emit(Op::StoreLocal(tmp), span);
                    self.expr(obj);
                    self.expr(idx);
                    self.emit(Op::LoadLocal(tmp), span);
                    self.emit(Op::SetIndex, span);
                }
                AssignTarget::Member(obj, name) => {
                    let tmp = self.cur().new_local();
                    self.emit(Op::StoreLocal(tmp), span);
                    self.expr(obj);
                    let k = self.str_const(name);
                    self.emit(Op::LoadLocal(tmp), span);
                    self.emit(Op::SetMember(k), span);
                }
                AssignTarget::Slice {
                    obj,
                    start,
                    stop,
                    step,
                } => {
                    let tmp = self.cur().new_local();
                    self.emit(Op::StoreLocal(tmp), span);
                    self.slice_operands(obj, [start, stop, step], span);
                    self.emit(Op::LoadLocal(tmp), span);
                    self.emit(Op::SetSlice, span);
                }
            }
        }
    }

    /// An assignment used as an expression: pushes the assigned value.
    pub(super) fn assign_expr(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Assign { .. } => {
                let outer = std::mem::replace(&mut self.in_assign_expr, true);
                self.stmt(stmt, true);
                self.in_assign_expr = outer;
            }
            _ => {
                self.stmt(stmt, false);
                self.emit(Op::Null, stmt.span);
            }
        }
    }
}

/// Small helper so loop pushes read naturally at call sites.
trait PushLoop {
    fn push_loop(&mut self, try_depth: usize);
}

impl PushLoop for Compiler<'_> {
    fn push_loop(&mut self, try_depth: usize) {
        self.cur().loops.push(LoopCtx {
            try_depth,
            breaks: Vec::new(),
            nexts: Vec::new(),
        });
    }
}
