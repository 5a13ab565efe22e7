//! Expressions.

use kiwi_syntax::ast::{Arg, BinOp, CaseCond, Expr, ExprKind, InterpPart};
use kiwi_syntax::Span;

use super::{Compiler, Var, BUILTIN_PREFIX};
use crate::bytecode::{ArgKind, Const, Op};
use crate::value::Value;

impl Compiler<'_> {
    /// Compiles `e`, leaving exactly one value on the stack.
    pub(super) fn expr(&mut self, e: &Expr) {
        let span = e.span;
        match &e.kind {
            ExprKind::Null => {
                self.emit(Op::Null, span);
            }
            ExprKind::Bool(b) => {
                self.emit(Op::Bool(*b), span);
            }
            ExprKind::Int(i) => {
                match i32::try_from(*i) {
                    Ok(small) => self.emit(Op::Int(small), span),
                    Err(_) => {
                        let k = self.konst(Const::Value(Value::Int(*i)));
                        self.emit(Op::Const(k), span)
                    }
                };
            }
            ExprKind::Float(f) => {
                let k = self.konst(Const::Value(Value::Float(*f)));
                self.emit(Op::Const(k), span);
            }
            ExprKind::Str(s) | ExprKind::TypeName(s) => {
                let k = self.str_const(s);
                self.emit(Op::Const(k), span);
            }
            ExprKind::Interp(parts) => {
                for p in parts {
                    match p {
                        InterpPart::Lit(s) => {
                            let k = self.str_const(s);
                            self.emit(Op::Const(k), span);
                        }
                        InterpPart::Expr(Some(e)) => self.expr(e),
                        InterpPart::Expr(None) => {
                            let k = self.str_const("");
                            self.emit(Op::Const(k), span);
                        }
                    }
                }
                self.emit(Op::Interp(parts.len() as u32), span);
            }
            ExprKind::Bytes(Ok(bytes)) => {
                // A fresh value per evaluation (REC of §9): mutating one must not change the literal.
                let k = self.konst(Const::Value(Value::bytes(bytes.clone())));
                self.emit(Op::CopyConst(k), span);
            }
            ExprKind::Bytes(Err(msg)) => {
                let k = self.str_const(msg);
                self.emit(Op::Fault(k), span);
            }
            ExprKind::Ident(name) => self.load_var(name, span),
            ExprKind::Path(path) => {
                let g = self.globals.intern(&path.join("::"));
                self.emit(Op::LoadGlobal(g), span);
            }
            ExprKind::List(items) => {
                for i in items {
                    self.expr(i);
                }
                self.emit(Op::MakeList(items.len() as u32), span);
            }
            ExprKind::Map(pairs) => {
                for (k, v) in pairs {
                    self.expr(k);
                    self.expr(v);
                }
                self.emit(Op::MakeMap(pairs.len() as u32), span);
            }
            ExprKind::Range(lo, hi) => {
                self.expr(lo);
                self.expr(hi);
                self.emit(Op::MakeRange, span);
            }
            ExprKind::Unary(op, x) => {
                self.expr(x);
                self.emit(Op::Un(*op), span);
            }
            ExprKind::Binary(op, l, r) => {
                self.expr(l);
                self.binary_rest(*op, r, span);
            }
            // The same code as the nested binaries it stands for, one link at a time.
            ExprKind::Chain(first, links) => {
                self.expr(first);
                for link in links {
                    self.binary_rest(link.op, &link.rhs, link.span);
                }
            }
            ExprKind::Ternary(c, a, b) => {
                self.expr(c);
                let skip = self.emit_jump_if_false(span);
                self.expr(a);
                let end = self.emit(Op::Jump(0), span);
                self.patch(skip);
                self.expr(b);
                self.patch(end);
            }
            ExprKind::Call(callee, args) => self.call(callee, args, span),
            ExprKind::MethodCall(recv, name, args) => {
                self.expr(recv);
                let name_k = self.str_const(name);
                match self.args(args) {
                    Ok(argc) => self.emit(Op::CallMethod(name_k, argc), span),
                    Err(kinds) => self.emit(Op::CallMethodEx(name_k, kinds), span),
                };
            }
            ExprKind::Member(obj, name) => {
                let k = self.str_const(name);
                match self.plain_local(obj) {
                    Some(slot) => self.emit(Op::GetLocalMember(slot, k), span),
                    None => {
                        self.expr(obj);
                        self.emit(Op::GetMember(k), span)
                    }
                };
            }
            ExprKind::Index(obj, idx) => {
                if let (ExprKind::Str(key), Some(slot)) = (&idx.kind, self.plain_local(obj)) {
                    let k = self.str_const(key);
                    self.emit(Op::LocalIndexConst(slot, k), span);
                    return;
                }
                self.expr(obj);
                if let ExprKind::Str(key) = &idx.kind {
                    let k = self.str_const(key);
                    self.emit(Op::IndexConst(k), span);
                } else {
                    self.expr(idx);
                    self.emit(Op::Index, span);
                }
            }
            ExprKind::IndexAll(obj) => self.expr(obj),
            ExprKind::Slice {
                obj,
                start,
                stop,
                step,
            } => {
                self.expr(obj);
                for part in [start, stop, step] {
                    self.expr_or_null(part.as_deref(), span);
                }
                self.emit(Op::Slice, span);
            }
            ExprKind::Lambda(def) => {
                let name = self.lambda_name();
                self.function(def, name, span);
            }
            ExprKind::Case {
                subject,
                alias,
                whens,
                else_body,
            } => self.case(subject.as_deref(), alias.as_deref(), whens, else_body, span),
            ExprKind::Import(name) => {
                self.expr(name);
                self.emit(Op::Import, span);
            }
            ExprKind::Include(path) => {
                self.expr(path);
                self.emit(Op::Include, span);
            }
            ExprKind::Assign(stmt) => self.assign_expr(stmt),
        }
    }

    /// Compiles `e`, or pushes null when it is absent.
    pub(super) fn expr_or_null(&mut self, e: Option<&Expr>, span: Span) {
        match e {
            Some(e) => self.expr(e),
            None => {
                self.emit(Op::Null, span);
            }
        }
    }

    /// `op r` once the left operand's value is on the stack.
    fn binary_rest(&mut self, op: BinOp, r: &Expr, span: Span) {
        match op {
            BinOp::And | BinOp::Or => {
                let j = if op == BinOp::And {
                    self.emit(Op::AndJump(0), span)
                } else {
                    self.emit(Op::OrJump(0), span)
                };
                self.expr(r);
                self.patch(j);
            }
            BinOp::Coalesce => {
                self.expr(r);
                self.emit(Op::Coalesce, span);
            }
            _ => {
                self.expr(r);
                self.emit_bin(op, span);
            }
        }
    }

    /// Pushes call arguments. `Ok(argc)` for plain positional calls, `Err(kinds constant)` when
    /// named arguments or splats need the general call path.
    fn args(&mut self, args: &[Arg]) -> Result<u16, u32> {
        let mut kinds = Vec::with_capacity(args.len());
        for a in args {
            match a {
                Arg::Pos(e) => {
                    self.expr(e);
                    kinds.push(ArgKind::Pos);
                }
                Arg::Named(n, e) => {
                    self.expr(e);
                    kinds.push(ArgKind::Named(n.as_str().into()));
                }
                Arg::Splat(e) => {
                    self.expr(e);
                    kinds.push(ArgKind::Splat);
                }
            }
        }
        if kinds.iter().all(|k| *k == ArgKind::Pos) && kinds.len() <= u16::MAX as usize {
            Ok(kinds.len() as u16)
        } else {
            Err(self.kinds_const(kinds))
        }
    }

    fn call(&mut self, callee: &Expr, args: &[Arg], span: Span) {
        if self.super_call(callee, args, span) {
            return;
        }
        let global = match &callee.kind {
            // These globals cannot be redefined by a user `fn` (§1.2): always the builtin.
            ExprKind::Ident(name)
                if matches!(name.as_str(), "typeof" | "serialize" | "deserialize") =>
            {
                Some(self.globals.intern(&format!("{BUILTIN_PREFIX}{name}")))
            }
            ExprKind::Ident(name) => match self.resolve(name) {
                Var::Global(g) => Some(g),
                _ => None,
            },
            ExprKind::Path(path) => Some(self.globals.intern(&path.join("::"))),
            _ => None,
        };
        match global {
            Some(g) => match self.args(args) {
                Ok(argc) => self.emit(Op::CallGlobal(g, argc), span),
                Err(kinds) => self.emit(Op::CallGlobalEx(g, kinds), span),
            },
            None => {
                self.expr(callee);
                match self.args(args) {
                    Ok(argc) => self.emit(Op::Call(argc), span),
                    Err(kinds) => self.emit(Op::CallEx(kinds), span),
                }
            }
        };
    }

    /// The slot of `e` when it is a name held in a plain local slot (`@` in a method, a
    /// parameter, a local variable): member accesses on it need not copy it to the stack.
    pub(super) fn plain_local(&mut self, e: &Expr) -> Option<u16> {
        let ExprKind::Ident(name) = &e.kind else {
            return None;
        };
        if name == kiwi_syntax::ast::DECORATED_METHOD {
            return None;
        }
        match self.resolve(name) {
            Var::Local(slot) => Some(slot),
            _ => None,
        }
    }

    /// `super.m(args)` (parsed as `__kiwi_super("Owner", "m", @, args...)`) in a method of
    /// `Owner` with positional arguments: one `CallSuper` that enters the base's method
    /// directly. Anything else (super outside a method, named or splatted arguments) stays a
    /// call of the native, which reports the errors.
    fn super_call(&mut self, callee: &Expr, args: &[Arg], span: Span) -> bool {
        let ExprKind::Ident(name) = &callee.kind else {
            return false;
        };
        let [Arg::Pos(owner), Arg::Pos(method), rest @ ..] = args else {
            return false;
        };
        let (ExprKind::Str(owner), ExprKind::Str(method)) = (&owner.kind, &method.kind) else {
            return false;
        };
        let in_owner = self.cur().owner.as_deref() == Some(owner.as_str());
        let positional = rest.iter().all(|a| matches!(a, Arg::Pos(_)));
        let argc_fits = !rest.is_empty() && rest.len() <= usize::from(u16::MAX);
        if name != "__kiwi_super" || !in_owner || !positional || !argc_fits {
            return false;
        }
        for arg in rest {
            if let Arg::Pos(e) = arg {
                self.expr(e);
            }
        }
        let k = self.str_const(method);
        // `rest` holds `@` first: argc counts the arguments after it.
        self.emit(Op::CallSuper(k, (rest.len() - 1) as u16), span);
        true
    }

    fn case(
        &mut self,
        subject: Option<&Expr>,
        alias: Option<&str>,
        whens: &[kiwi_syntax::ast::WhenClause],
        else_body: &Option<kiwi_syntax::ast::Block>,
        span: Span,
    ) {
        let subj = subject.map(|s| {
            self.expr(s);
            let tmp = self.cur().new_local();
            if let Some(a) = alias {
                self.emit(Op::Dup, span);
                self.store_var(a, span);
            }
            self.emit(Op::StoreLocal(tmp), span);
            tmp
        });
        let mut ends = Vec::new();
        for w in whens {
            let mut hits = Vec::new();
            for c in &w.conds {
                match (c, subj) {
                    (CaseCond::Value(v), Some(t)) => {
                        self.emit(Op::LoadLocal(t), v.span);
                        self.expr(v);
                        self.emit(Op::Bin(BinOp::Eq), v.span);
                    }
                    (CaseCond::Value(v), None) => self.expr(v),
                    (CaseCond::Range(lo, hi), Some(t)) => {
                        // lo <= subject && subject <= hi
                        self.expr(lo);
                        self.emit(Op::LoadLocal(t), lo.span);
                        self.emit(Op::Bin(BinOp::Le), lo.span);
                        let skip = self.emit(Op::AndJump(0), lo.span);
                        self.emit(Op::LoadLocal(t), hi.span);
                        self.expr(hi);
                        self.emit(Op::Bin(BinOp::Le), hi.span);
                        self.patch(skip);
                    }
                    (CaseCond::Range(lo, hi), None) => {
                        // Without a subject a range condition is a truthiness test of its bounds.
                        self.expr(lo);
                        let skip = self.emit(Op::AndJump(0), lo.span);
                        self.expr(hi);
                        self.patch(skip);
                    }
                }
                hits.push(self.emit(Op::JumpIfTrue(0), span));
            }
            let next = self.emit(Op::Jump(0), span);
            for h in hits {
                self.patch(h);
            }
            self.block(&w.body, true);
            ends.push(self.emit(Op::Jump(0), span));
            self.patch(next);
        }
        match else_body {
            Some(b) => self.block(b, true),
            None => {
                self.emit(Op::Null, span);
            }
        }
        for e in ends {
            self.patch(e);
        }
    }
}
