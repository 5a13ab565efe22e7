//! A compact, stable S-expression rendering of the AST (spans omitted).
//!
//! Exists so that parser tests can compare trees as one readable line and so that tools (e.g. a
//! CLI `--dump-ast` flag) can show what the parser understood.

use std::fmt::Write;

use crate::ast::{
    Arg, AssignOp, AssignTarget, CaseCond, Expr, ExprKind, FnDef, InterpPart, Program, Stmt,
    StmtKind, UnOp,
};

/// Renders a whole program: its top-level statements separated by single spaces.
pub fn program(p: &Program) -> String {
    let mut out = String::new();
    block_items(&mut out, &p.body);
    out
}

/// Renders one statement.
pub fn stmt(s: &Stmt) -> String {
    let mut out = String::new();
    write_stmt(&mut out, s);
    out
}

/// Renders one expression.
pub fn expr(e: &Expr) -> String {
    let mut out = String::new();
    write_expr(&mut out, e);
    out
}

fn block_items(out: &mut String, body: &[Stmt]) {
    for (i, s) in body.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_stmt(out, s);
    }
}

fn block(out: &mut String, body: &[Stmt]) {
    out.push('[');
    block_items(out, body);
    out.push(']');
}

fn opt_expr(out: &mut String, e: Option<&Expr>) {
    match e {
        Some(e) => write_expr(out, e),
        None => out.push('_'),
    }
}

fn target(out: &mut String, t: &AssignTarget) {
    match t {
        AssignTarget::Name(n, _) => out.push_str(n),
        AssignTarget::Path(p, _) => out.push_str(&p.join("::")),
        AssignTarget::Index(o, i) => {
            out.push_str("(index ");
            write_expr(out, o);
            out.push(' ');
            write_expr(out, i);
            out.push(')');
        }
        AssignTarget::Member(o, n) => {
            out.push_str("(. ");
            write_expr(out, o);
            let _ = write!(out, " {n})");
        }
        AssignTarget::Slice {
            obj,
            start,
            stop,
            step,
        } => slice(out, obj, [start, stop, step]),
    }
}

fn write_stmt(out: &mut String, s: &Stmt) {
    match &s.kind {
        StmtKind::Expr(e) => write_expr(out, e),
        StmtKind::Assign {
            targets,
            op,
            values,
        } => {
            let op = match op {
                AssignOp::Assign => "=".to_string(),
                AssignOp::Compound(b) => format!("{}=", b.symbol()),
            };
            let _ = write!(out, "({op} ");
            if targets.len() == 1 && values.len() == 1 {
                target(out, &targets[0]);
                out.push(' ');
                write_expr(out, &values[0]);
            } else {
                out.push('(');
                for (i, t) in targets.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    target(out, t);
                }
                out.push_str(") (");
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    write_expr(out, v);
                }
                out.push(')');
            }
            out.push(')');
        }
        StmtKind::Const { name, value } => {
            let _ = write!(out, "(const {name} ");
            write_expr(out, value);
            out.push(')');
        }
        StmtKind::Var(decls) => {
            out.push_str("(var");
            for d in decls {
                let _ = write!(out, " ({} {} ", d.name, d.hint.as_deref().unwrap_or("_"));
                opt_expr(out, d.value.as_ref());
                out.push(')');
            }
            out.push(')');
        }
        StmtKind::Print {
            stderr,
            newline,
            value,
        } => {
            let word = match (stderr, newline) {
                (false, false) => "print",
                (false, true) => "println",
                (true, false) => "eprint",
                (true, true) => "eprintln",
            };
            let _ = write!(out, "({word} ");
            write_expr(out, value);
            out.push(')');
        }
        StmtKind::If {
            branches,
            else_body,
        } => {
            out.push_str("(if");
            for (cond, body) in branches {
                out.push_str(" (");
                write_expr(out, cond);
                out.push(' ');
                block(out, body);
                out.push(')');
            }
            if let Some(body) = else_body {
                out.push_str(" (else ");
                block(out, body);
                out.push(')');
            }
            out.push(')');
        }
        StmtKind::While { cond, body } => {
            out.push_str("(while ");
            write_expr(out, cond);
            out.push(' ');
            block(out, body);
            out.push(')');
        }
        StmtKind::For {
            var,
            second,
            iterable,
            body,
        } => {
            let _ = write!(out, "(for {var} {} ", second.as_deref().unwrap_or("_"));
            write_expr(out, iterable);
            out.push(' ');
            block(out, body);
            out.push(')');
        }
        StmtKind::Repeat { count, alias, body } => {
            out.push_str("(repeat ");
            write_expr(out, count);
            let _ = write!(out, " {} ", alias.as_deref().unwrap_or("_"));
            block(out, body);
            out.push(')');
        }
        StmtKind::Break => out.push_str("break"),
        StmtKind::Next => out.push_str("next"),
        StmtKind::Return(v) | StmtKind::Throw(v) | StmtKind::Exit(v) => {
            let word = match &s.kind {
                StmtKind::Return(_) => "return",
                StmtKind::Throw(_) => "throw",
                _ => "exit",
            };
            let _ = write!(out, "({word} ");
            opt_expr(out, v.as_ref());
            out.push(')');
        }
        StmtKind::Try {
            body,
            catch,
            finally,
        } => {
            out.push_str("(try ");
            block(out, body);
            if let Some(c) = catch {
                let _ = write!(out, " (catch ({}) ", c.names.join(" "));
                block(out, &c.body);
                out.push(')');
            }
            if let Some(f) = finally {
                out.push_str(" (finally ");
                block(out, f);
                out.push(')');
            }
            out.push(')');
        }
        StmtKind::FnDef(def) => fn_def(out, "fn", def),
        StmtKind::Package { path, body } => {
            let _ = write!(out, "(package {} ", path.join("::"));
            block(out, body);
            out.push(')');
        }
        StmtKind::Export(e) | StmtKind::Require(e) => {
            let word = if matches!(s.kind, StmtKind::Export(_)) {
                "export"
            } else {
                "require"
            };
            let _ = write!(out, "({word} ");
            write_expr(out, e);
            out.push(')');
        }
        StmtKind::Pass => out.push_str("pass"),
        StmtKind::Yield(value) => {
            out.push_str("(yield");
            if let Some(v) = value {
                out.push(' ');
                write_expr(out, v);
            }
            out.push(')');
        }
        StmtKind::Struct(def) => {
            let _ = write!(out, "(struct {}", def.name);
            if let Some(base) = &def.base {
                let _ = write!(out, " < {base}");
            }
            let declared = def.statics.iter().map(|d| ("static @", d));
            for (kind, (name, value)) in declared.chain(def.fields.iter().map(|d| ("@", d))) {
                let _ = write!(out, " ({kind}{name}");
                if let Some(v) = value {
                    out.push(' ');
                    write_expr(out, v);
                }
                out.push(')');
            }
            for m in &def.methods {
                out.push(' ');
                fn_def(out, "fn", &m.def);
            }
            out.push(')');
        }
        StmtKind::Enum { name, members } => {
            let _ = write!(out, "(enum {name}");
            for (member, value) in members {
                let _ = write!(out, " {member}");
                if let Some(v) = value {
                    out.push('=');
                    write_expr(out, v);
                }
            }
            out.push(')');
        }
        StmtKind::Decorated { def, apply } => {
            out.push_str("(decorated ");
            fn_def(out, "fn", def);
            out.push(' ');
            write_stmt(out, apply);
            out.push(')');
        }
        StmtKind::Guarded {
            stmt,
            cond,
            otherwise,
        } => {
            out.push_str("(guard ");
            write_stmt(out, stmt);
            out.push(' ');
            write_expr(out, cond);
            if let Some(o) = otherwise {
                out.push(' ');
                write_stmt(out, o);
            }
            out.push(')');
        }
    }
}

fn fn_def(out: &mut String, word: &str, def: &FnDef) {
    let _ = write!(out, "({word}");
    if let Some(name) = &def.name {
        let _ = write!(out, " {name}");
    }
    out.push_str(" (");
    for (i, p) in def.params.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if p.rest {
            out.push('*');
        }
        out.push_str(&p.name);
        if let Some(d) = &p.default {
            out.push('=');
            write_expr(out, d);
        }
    }
    out.push_str(") ");
    block(out, &def.body);
    out.push(')');
}

fn args(out: &mut String, list: &[Arg]) {
    for a in list {
        out.push(' ');
        match a {
            Arg::Pos(e) => write_expr(out, e),
            Arg::Named(n, e) => {
                let _ = write!(out, "(named {n} ");
                write_expr(out, e);
                out.push(')');
            }
            Arg::Splat(e) => {
                out.push_str("(splat ");
                write_expr(out, e);
                out.push(')');
            }
        }
    }
}

fn write_expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Null => out.push_str("null"),
        ExprKind::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        ExprKind::Int(v) => {
            let _ = write!(out, "{v}");
        }
        ExprKind::Float(v) => {
            let _ = write!(out, "{v:?}");
        }
        ExprKind::Str(s) => {
            let _ = write!(out, "{s:?}");
        }
        ExprKind::Interp(parts) => {
            out.push_str("(interp");
            for p in parts {
                out.push(' ');
                match p {
                    InterpPart::Lit(s) => {
                        let _ = write!(out, "{s:?}");
                    }
                    InterpPart::Expr(e) => opt_expr(out, e.as_ref()),
                }
            }
            out.push(')');
        }
        ExprKind::Bytes(Ok(b)) => {
            let _ = write!(out, "(bytes {b:?})");
        }
        ExprKind::Bytes(Err(m)) => {
            let _ = write!(out, "(bytes-error {m:?})");
        }
        ExprKind::TypeName(t) => {
            let _ = write!(out, "(type {t})");
        }
        ExprKind::Ident(n) => out.push_str(n),
        ExprKind::Path(p) => out.push_str(&p.join("::")),
        ExprKind::List(items) => {
            out.push_str("(list");
            for i in items {
                out.push(' ');
                write_expr(out, i);
            }
            out.push(')');
        }
        ExprKind::Map(pairs) => {
            out.push_str("(map");
            for (k, v) in pairs {
                out.push_str(" (");
                write_expr(out, k);
                out.push(' ');
                write_expr(out, v);
                out.push(')');
            }
            out.push(')');
        }
        ExprKind::Range(a, b) => binary(out, "range", a, b),
        ExprKind::Unary(op, x) => {
            let word = match op {
                UnOp::Neg => "neg",
                UnOp::Not => "not",
                UnOp::BitNot => "bitnot",
            };
            let _ = write!(out, "({word} ");
            write_expr(out, x);
            out.push(')');
        }
        ExprKind::Binary(op, a, b) => binary(out, op.symbol(), a, b),
        // Shown as the nesting it means: `(op2 (op1 a b) c)`.
        ExprKind::Chain(first, links) => {
            for link in links.iter().rev() {
                let _ = write!(out, "({} ", link.op.symbol());
            }
            write_expr(out, first);
            for link in links {
                out.push(' ');
                write_expr(out, &link.rhs);
                out.push(')');
            }
        }
        ExprKind::Ternary(c, a, b) => {
            out.push_str("(? ");
            write_expr(out, c);
            out.push(' ');
            write_expr(out, a);
            out.push(' ');
            write_expr(out, b);
            out.push(')');
        }
        ExprKind::Call(f, a) => {
            out.push_str("(call ");
            write_expr(out, f);
            args(out, a);
            out.push(')');
        }
        ExprKind::MethodCall(o, name, a) => {
            out.push_str("(method ");
            write_expr(out, o);
            let _ = write!(out, " {name}");
            args(out, a);
            out.push(')');
        }
        ExprKind::Member(o, name) => {
            out.push_str("(. ");
            write_expr(out, o);
            let _ = write!(out, " {name})");
        }
        ExprKind::Index(o, i) => binary(out, "index", o, i),
        ExprKind::IndexAll(o) => {
            out.push_str("(index-all ");
            write_expr(out, o);
            out.push(')');
        }
        ExprKind::Slice {
            obj,
            start,
            stop,
            step,
        } => slice(out, obj, [start, stop, step]),
        ExprKind::Lambda(def) => fn_def(out, "lambda", def),
        ExprKind::Case {
            subject,
            alias,
            whens,
            else_body,
        } => {
            out.push_str("(case ");
            opt_expr(out, subject.as_deref());
            if let Some(a) = alias {
                let _ = write!(out, " as {a}");
            }
            for w in whens {
                out.push_str(" (when (");
                for (i, c) in w.conds.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    match c {
                        CaseCond::Value(v) => write_expr(out, v),
                        CaseCond::Range(a, b) => binary(out, "to", a, b),
                    }
                }
                out.push_str(") ");
                block(out, &w.body);
                out.push(')');
            }
            if let Some(b) = else_body {
                out.push_str(" (else ");
                block(out, b);
                out.push(')');
            }
            out.push(')');
        }
        ExprKind::Include(x) => {
            out.push_str("(include ");
            write_expr(out, x);
            out.push(')');
        }
        ExprKind::Import(x) => {
            out.push_str("(import ");
            write_expr(out, x);
            out.push(')');
        }
        ExprKind::Assign(s) => write_stmt(out, s),
    }
}

fn binary(out: &mut String, op: &str, a: &Expr, b: &Expr) {
    let _ = write!(out, "({op} ");
    write_expr(out, a);
    out.push(' ');
    write_expr(out, b);
    out.push(')');
}

/// `(slice obj start stop step)`, with `_` for an omitted part (a slice read or assignment).
fn slice(out: &mut String, obj: &Expr, parts: [&Option<Box<Expr>>; 3]) {
    out.push_str("(slice ");
    write_expr(out, obj);
    for part in parts {
        out.push(' ');
        opt_expr(out, part.as_deref());
    }
    out.push(')');
}
