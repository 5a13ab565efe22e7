//! Static scope analysis (§5.3): which names are locals, which are captured by inner closures,
//! and which are program-wide "top-level names".
//!
//! Kiwi has no block scopes: a name is classified once per function, at compile time.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use kiwi_syntax::ast::{
    Arg, AssignOp, AssignTarget, Block, CaseCond, Expr, ExprKind, FnDef, InterpPart, Stmt, StmtKind,
};

/// The result of analysing one function.
#[derive(Default, Debug)]
pub struct FnScope {
    /// Local names, in first-seen order (parameters first).
    pub locals: Vec<String>,
    /// The subset of `locals` that inner closures capture (they live in cells).
    pub captured: HashSet<String>,
}

/// Scope facts for every function of a compile unit, keyed by the `FnDef` address.
pub type ScopeTable = HashMap<*const FnDef, FnScope>;

/// Names bound by statements, split by how they were bound.
#[derive(Default)]
struct Bindings {
    /// Always local inside a function (loop variables, catch names, `var`, pack targets, ...).
    forced: Vec<String>,
    /// Bound by a plain `=` (local unless a top-level name).
    assigned: Vec<String>,
    /// Declared `const` (a global constant even inside a function, so an assignment to it
    /// elsewhere in the function does not make it local: it fails at run time instead).
    constants: Vec<String>,
}

impl Bindings {
    fn force(&mut self, name: &str) {
        if !self.forced.iter().any(|n| n == name) {
            self.forced.push(name.to_string());
        }
    }

    fn assign(&mut self, name: &str) {
        if !self.assigned.iter().any(|n| n == name) {
            self.assigned.push(name.to_string());
        }
    }
}

/// The program's top-level names: assigned or bound at top level, looking into top-level
/// `if`/`while`/`for`/`repeat` bodies but not into `try`, `case`, functions or packages.
pub fn top_level_names(body: &Block) -> HashSet<String> {
    let mut b = Bindings::default();
    collect(body, &mut b, false);
    b.forced.into_iter().chain(b.assigned).collect()
}

/// Collects bindings of `block`. `deep` also scans try/catch/finally and case bodies and
/// nested `fn` names (the function rule, with the REC of §5.3 rule 4).
fn collect(block: &Block, b: &mut Bindings, deep: bool) {
    for stmt in block {
        collect_stmt(stmt, b, deep);
    }
}

fn collect_stmt(stmt: &Stmt, b: &mut Bindings, deep: bool) {
    match &stmt.kind {
        StmtKind::Assign {
            targets,
            op,
            values,
        } => {
            if targets.len() > 1 {
                for t in targets {
                    if let AssignTarget::Name(n, _) = t {
                        b.force(n);
                    }
                }
            } else if let (Some(AssignTarget::Name(n, _)), AssignOp::Assign) = (targets.first(), op)
            {
                b.assign(n);
            }
            if deep {
                for v in values {
                    collect_expr(v, b);
                }
            }
        }
        StmtKind::Var(decls) => {
            for d in decls {
                b.force(&d.name);
            }
        }
        StmtKind::If {
            branches,
            else_body,
        } => {
            for (cond, body) in branches {
                if deep {
                    collect_expr(cond, b);
                }
                collect(body, b, deep);
            }
            if let Some(body) = else_body {
                collect(body, b, deep);
            }
        }
        StmtKind::While { cond, body } => {
            if deep {
                collect_expr(cond, b);
            } else if let ExprKind::Assign(inner) = &cond.kind {
                collect_stmt(inner, b, deep);
            }
            collect(body, b, deep);
        }
        StmtKind::For {
            var, second, body, ..
        } => {
            b.force(var);
            if let Some(s) = second {
                b.force(s);
            }
            collect(body, b, deep);
        }
        StmtKind::Repeat { alias, body, .. } => {
            if let Some(a) = alias {
                b.force(a);
            }
            collect(body, b, deep);
        }
        StmtKind::Try {
            body,
            catch,
            finally,
        } => {
            if deep {
                collect(body, b, deep);
                if let Some(c) = catch {
                    for n in &c.names {
                        b.force(n);
                    }
                    collect(&c.body, b, deep);
                }
                if let Some(f) = finally {
                    collect(f, b, deep);
                }
            } else if let Some(c) = catch {
                // Catch names are bindings even at top level; bodies are not scanned there.
                for n in &c.names {
                    b.force(n);
                }
            }
        }
        StmtKind::FnDef(def) | StmtKind::Decorated { def, .. } if deep => {
            if let Some(name) = &def.name {
                b.force(name);
            }
        }
        StmtKind::Guarded {
            stmt, otherwise, ..
        } => {
            collect_stmt(stmt, b, deep);
            if let Some(o) = otherwise {
                collect_stmt(o, b, deep);
            }
        }
        StmtKind::Const { name, .. } if !b.constants.contains(name) => {
            b.constants.push(name.clone());
        }
        StmtKind::Expr(e) if deep => collect_expr(e, b),
        StmtKind::Print { value, .. } if deep => collect_expr(value, b),
        StmtKind::Return(Some(e)) | StmtKind::Throw(Some(e)) | StmtKind::Exit(Some(e)) if deep => {
            collect_expr(e, b)
        }
        _ => {}
    }
}

/// Inside functions, `case` bodies and assignment expressions bind names too.
fn collect_expr(e: &Expr, b: &mut Bindings) {
    match &e.kind {
        ExprKind::Case {
            subject,
            alias,
            whens,
            else_body,
        } => {
            if let Some(s) = subject {
                collect_expr(s, b);
            }
            if let Some(a) = alias {
                b.force(a);
            }
            for w in whens {
                collect(&w.body, b, true);
            }
            if let Some(body) = else_body {
                collect(body, b, true);
            }
        }
        ExprKind::Assign(stmt) => collect_stmt(stmt, b, true),
        ExprKind::Binary(_, l, r) => {
            collect_expr(l, b);
            collect_expr(r, b);
        }
        ExprKind::Chain(first, links) => {
            collect_expr(first, b);
            for link in links {
                collect_expr(&link.rhs, b);
            }
        }
        ExprKind::Ternary(c, x, y) => {
            collect_expr(c, b);
            collect_expr(x, b);
            collect_expr(y, b);
        }
        ExprKind::Unary(_, x) => collect_expr(x, b),
        ExprKind::Call(callee, args) => {
            collect_expr(callee, b);
            for a in args {
                collect_expr(arg_expr(a), b);
            }
        }
        ExprKind::MethodCall(recv, _, args) => {
            collect_expr(recv, b);
            for a in args {
                collect_expr(arg_expr(a), b);
            }
        }
        _ => {}
    }
}

fn arg_expr(a: &Arg) -> &Expr {
    match a {
        Arg::Pos(e) | Arg::Named(_, e) | Arg::Splat(e) => e,
    }
}

/// Analyses every function and lambda in `body` (a unit's top level), recording locals and
/// captured names. `toplevel` is the set of program top-level names.
pub fn analyze(body: &Block, toplevel: &HashSet<String>) -> ScopeTable {
    let mut table = ScopeTable::new();
    let mut chain: Vec<FnScope> = Vec::new();
    let mut walker = Walker {
        toplevel,
        table: &mut table,
        chain: &mut chain,
    };
    walker.block(body);
    table
}

struct Walker<'a> {
    toplevel: &'a HashSet<String>,
    table: &'a mut ScopeTable,
    chain: &'a mut Vec<FnScope>,
}

impl Walker<'_> {
    fn function(&mut self, def: &Rc<FnDef>) {
        let mut b = Bindings::default();
        collect(&def.body, &mut b, true);
        let mut scope = FnScope::default();
        for p in &def.params {
            if !scope.locals.contains(&p.name) {
                scope.locals.push(p.name.clone());
            }
        }
        for n in b.forced {
            if !scope.locals.contains(&n) {
                scope.locals.push(n);
            }
        }
        for n in b.assigned {
            if !self.toplevel.contains(&n)
                && !scope.locals.contains(&n)
                && !b.constants.contains(&n)
            {
                scope.locals.push(n);
            }
        }
        self.chain.push(scope);
        for p in &def.params {
            if let Some(d) = &p.default {
                self.expr(d);
            }
        }
        self.block(&def.body);
        let scope = self.chain.pop().unwrap_or_default();
        self.table.insert(Rc::as_ptr(def), scope);
    }

    /// A use (read or write) of `name` in the innermost function.
    fn use_name(&mut self, name: &str) {
        let Some((last, outer)) = self.chain.split_last_mut() else {
            return;
        };
        if last.locals.iter().any(|n| n == name) {
            return;
        }
        for scope in outer.iter_mut().rev() {
            if scope.locals.iter().any(|n| n == name) {
                scope.captured.insert(name.to_string());
                return;
            }
        }
    }

    fn block(&mut self, block: &Block) {
        for s in block {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Expr(e) => self.expr(e),
            StmtKind::Assign {
                targets, values, ..
            } => {
                for t in targets {
                    self.target(t);
                }
                for v in values {
                    self.expr(v);
                }
            }
            StmtKind::Const { value, .. } => self.expr(value),
            StmtKind::Var(decls) => {
                for d in decls {
                    self.use_name(&d.name);
                    if let Some(v) = &d.value {
                        self.expr(v);
                    }
                }
            }
            StmtKind::Print { value, .. } => self.expr(value),
            StmtKind::If {
                branches,
                else_body,
            } => {
                for (c, body) in branches {
                    self.expr(c);
                    self.block(body);
                }
                if let Some(b) = else_body {
                    self.block(b);
                }
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            StmtKind::For {
                var,
                second,
                iterable,
                body,
            } => {
                self.use_name(var);
                if let Some(s) = second {
                    self.use_name(s);
                }
                self.expr(iterable);
                self.block(body);
            }
            StmtKind::Repeat { count, alias, body } => {
                if let Some(a) = alias {
                    self.use_name(a);
                }
                self.expr(count);
                self.block(body);
            }
            StmtKind::Return(e) | StmtKind::Throw(e) | StmtKind::Exit(e) => {
                if let Some(e) = e {
                    self.expr(e);
                }
            }
            StmtKind::Try {
                body,
                catch,
                finally,
            } => {
                self.block(body);
                if let Some(c) = catch {
                    for n in &c.names {
                        self.use_name(n);
                    }
                    self.block(&c.body);
                }
                if let Some(f) = finally {
                    self.block(f);
                }
            }
            StmtKind::FnDef(def) => {
                if let Some(n) = &def.name {
                    self.use_name(n);
                }
                self.function(def);
            }
            StmtKind::Yield(value) => {
                if let Some(v) = value {
                    self.expr(v);
                }
            }
            StmtKind::Struct(def) => {
                let declared = def.statics.iter().chain(&def.fields);
                for value in declared.filter_map(|(_, v)| v.as_ref()) {
                    self.expr(value);
                }
                for m in &def.methods {
                    self.function(&m.def);
                    if let Some(decorated) = &m.decorated {
                        self.expr(decorated);
                    }
                }
            }
            StmtKind::Enum { members, .. } => {
                for (_, value) in members {
                    if let Some(v) = value {
                        self.expr(v);
                    }
                }
            }
            StmtKind::Decorated { def, apply } => {
                if let Some(n) = &def.name {
                    self.use_name(n);
                }
                self.function(def);
                self.stmt(apply);
            }
            StmtKind::Package { body, .. } => self.block(body),
            StmtKind::Export(e) | StmtKind::Require(e) => self.expr(e),
            StmtKind::Guarded {
                stmt,
                cond,
                otherwise,
            } => {
                self.expr(cond);
                self.stmt(stmt);
                if let Some(o) = otherwise {
                    self.stmt(o);
                }
            }
            StmtKind::Break | StmtKind::Next | StmtKind::Pass => {}
        }
    }

    fn target(&mut self, t: &AssignTarget) {
        match t {
            AssignTarget::Name(n, _) => self.use_name(n),
            AssignTarget::Path(..) => {}
            AssignTarget::Index(o, i) => {
                self.expr(o);
                self.expr(i);
            }
            AssignTarget::Member(o, _) => self.expr(o),
            AssignTarget::Slice {
                obj,
                start,
                stop,
                step,
            } => {
                self.expr(obj);
                for part in [start, stop, step].into_iter().flatten() {
                    self.expr(part);
                }
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Ident(n) => self.use_name(n),
            ExprKind::Interp(parts) => {
                for p in parts {
                    if let InterpPart::Expr(Some(e)) = p {
                        self.expr(e);
                    }
                }
            }
            ExprKind::List(items) => {
                for i in items {
                    self.expr(i);
                }
            }
            ExprKind::Map(pairs) => {
                for (k, v) in pairs {
                    self.expr(k);
                    self.expr(v);
                }
            }
            ExprKind::Range(a, b) | ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) => {
                self.expr(a);
                self.expr(b);
            }
            ExprKind::Chain(first, links) => {
                self.expr(first);
                for link in links {
                    self.expr(&link.rhs);
                }
            }
            ExprKind::Unary(_, a)
            | ExprKind::Member(a, _)
            | ExprKind::IndexAll(a)
            | ExprKind::Import(a)
            | ExprKind::Include(a) => self.expr(a),
            ExprKind::Ternary(a, b, c) => {
                self.expr(a);
                self.expr(b);
                self.expr(c);
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                for a in args {
                    self.expr(arg_expr(a));
                }
            }
            ExprKind::MethodCall(recv, _, args) => {
                self.expr(recv);
                for a in args {
                    self.expr(arg_expr(a));
                }
            }
            ExprKind::Slice {
                obj,
                start,
                stop,
                step,
            } => {
                self.expr(obj);
                for p in [start, stop, step].into_iter().flatten() {
                    self.expr(p);
                }
            }
            ExprKind::Lambda(def) => self.function(def),
            ExprKind::Case {
                subject,
                alias,
                whens,
                else_body,
            } => {
                if let Some(s) = subject {
                    self.expr(s);
                }
                if let Some(a) = alias {
                    self.use_name(a);
                }
                for w in whens {
                    for c in &w.conds {
                        match c {
                            CaseCond::Value(v) => self.expr(v),
                            CaseCond::Range(a, b) => {
                                self.expr(a);
                                self.expr(b);
                            }
                        }
                    }
                    self.block(&w.body);
                }
                if let Some(b) = else_body {
                    self.block(b);
                }
            }
            ExprKind::Assign(stmt) => self.stmt(stmt),
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bytes(_)
            | ExprKind::TypeName(_)
            | ExprKind::Path(_) => {}
        }
    }
}
