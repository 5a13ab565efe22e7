//! Statements (§3.4, §4, §5.1, §6, §7, §8), trailing `when` guards, functions and parameters.

use std::rc::Rc;

use super::{can_begin_value, Bail, PResult, Parser};
use crate::ast::{
    Arg, AssignOp, AssignTarget, BinOp, CatchClause, Expr, ExprKind, FnDef, MethodDef, Param, Stmt,
    StmtKind, StructDef, VarDecl, DECORATED_METHOD,
};
use crate::span::Span;
use crate::token::{Kw, Op, Tok, Token};

/// Keywords of features outside the subset (reported as such rather than as a bare
/// "unexpected token").
pub(crate) fn out_of_subset(kw: Kw) -> bool {
    matches!(kw, Kw::Eval | Kw::Interface | Kw::Printxy)
}

/// The compound operator of an assignment token, or `None` if the token is not an assignment.
fn assign_op(op: Op) -> Option<Result<AssignOp, &'static str>> {
    let bin = match op {
        Op::Assign | Op::Unpack => return Some(Ok(AssignOp::Assign)),
        Op::PlusEq => BinOp::Add,
        Op::MinusEq => BinOp::Sub,
        Op::StarEq => BinOp::Mul,
        Op::SlashEq => BinOp::Div,
        Op::SlashSlashEq => BinOp::FloorDiv,
        Op::PercentEq => BinOp::Mod,
        Op::StarStarEq => BinOp::Pow,
        Op::AmpEq => BinOp::BitAnd,
        Op::PipeEq => BinOp::BitOr,
        Op::CaretEq => BinOp::BitXor,
        Op::ShlEq => BinOp::Shl,
        Op::ShrEq => BinOp::Shr,
        Op::UShrEq => BinOp::UShr,
        Op::AndAndEq | Op::OrOrEq | Op::TildeEq => return Some(Err(op.as_str())),
        _ => return None,
    };
    Some(Ok(AssignOp::Compound(bin)))
}

fn is_assign_token(kind: &Tok) -> bool {
    matches!(kind, Tok::Op(op) if assign_op(*op).is_some())
}

impl Parser<'_> {
    /// One statement plus its optional trailing guard (unavailable in `case` bodies).
    pub(crate) fn parse_statement(&mut self, case_body: bool) -> PResult<Stmt> {
        let stmt = self.parse_bare_statement()?;
        if case_body || !self.check_kw(Kw::When) {
            return Ok(stmt);
        }
        self.parse_guard(stmt)
    }

    /// Dispatches on the first token. Kept tiny (each form has its own function) because it
    /// sits on every level of block recursion and debug-build frames add up.
    fn parse_bare_statement(&mut self) -> PResult<Stmt> {
        let span = self.peek().span;
        self.stmt_start = self.pos;
        let kind = match self.kind() {
            Tok::Kw(kw) => match kw {
                Kw::If => self.parse_if(),
                Kw::While => self.parse_while(),
                Kw::For => self.parse_for(),
                Kw::Repeat => self.parse_repeat(),
                Kw::Try => self.parse_try(),
                Kw::Fn | Kw::Def => self.parse_fn(),
                Kw::Return | Kw::Throw | Kw::Exit => self.parse_jump(),
                Kw::Break => {
                    self.bump_span();
                    Ok(StmtKind::Break)
                }
                Kw::Next => {
                    self.bump_span();
                    Ok(StmtKind::Next)
                }
                Kw::Print | Kw::Println | Kw::Eprint | Kw::Eprintln => self.parse_print(),
                Kw::Package => self.parse_package(),
                Kw::Enum => self.parse_enum(),
                Kw::Yield => {
                    self.bump_span();
                    let value = if can_begin_value(self.kind()) && self.on_same_line() {
                        Some(self.parse_expr()?)
                    } else {
                        None
                    };
                    Ok(StmtKind::Yield(value))
                }
                Kw::Struct => self.parse_struct(false),
                Kw::Abstract if matches!(self.peek_at(1).kind, Tok::Kw(Kw::Struct)) => {
                    self.bump_span();
                    self.parse_struct(true)
                }
                Kw::On | Kw::Once => self.parse_on(),
                Kw::Off => self.parse_off(),
                Kw::Export => self.parse_export(),
                Kw::Require => self.parse_require(),
                Kw::Const => self.parse_const(),
                Kw::Var => self.parse_var(),
                Kw::Do
                | Kw::With
                | Kw::Case
                | Kw::Import
                | Kw::Include
                | Kw::Emit
                | Kw::Super
                | Kw::Null
                | Kw::True
                | Kw::False
                | Kw::Not => self.parse_simple_statement(),
                _ => Err(self.misplaced_keyword()),
            },
            Tok::Ellipsis => {
                self.bump_span();
                Ok(StmtKind::Pass)
            }
            // Outside struct bodies `@` starts decorator lines; inside, `@x = v` and `@.m()`.
            Tok::At if self.current_struct.is_none() => self.parse_decorated(),
            _ => self.parse_simple_statement(),
        }?;
        Ok(Stmt { kind, span })
    }

    /// `return`, `throw`, `exit` with an optional value (taken even from the next line when
    /// the next token can begin an expression, §1.7).
    fn parse_jump(&mut self) -> PResult<StmtKind> {
        let tok = self.bump();
        let value = if can_begin_value(self.kind()) {
            Some(self.parse_expr()?)
        } else {
            None
        };
        Ok(match tok.kind {
            Tok::Kw(Kw::Return) => StmtKind::Return(value),
            Tok::Kw(Kw::Throw) => StmtKind::Throw(value),
            _ => StmtKind::Exit(value),
        })
    }

    fn parse_print(&mut self) -> PResult<StmtKind> {
        let tok = self.bump();
        let Tok::Kw(kw) = tok.kind else {
            return Err(Bail);
        };
        // A token the lexer already rejected is reported once, by the lexer.
        if !can_begin_value(self.kind()) && !matches!(self.kind(), Tok::Error) {
            let word = kw.as_str();
            return Err(self.error(
                format!(
                    "'{word}' needs exactly one expression (write {word} \"\" for an empty line)"
                ),
                tok.span,
            ));
        }
        let value = self.parse_expr()?;
        Ok(StmtKind::Print {
            stderr: matches!(kw, Kw::Eprint | Kw::Eprintln),
            newline: matches!(kw, Kw::Println | Kw::Eprintln),
            value,
        })
    }

    fn parse_export(&mut self) -> PResult<StmtKind> {
        self.bump_span();
        Ok(StmtKind::Export(self.parse_expr()?))
    }

    /// A keyword that cannot start a statement here.
    #[cold]
    fn misplaced_keyword(&mut self) -> Bail {
        let Tok::Kw(kw) = *self.kind() else {
            return Bail;
        };
        match kw {
            Kw::End | Kw::Else | Kw::Elsif | Kw::Catch | Kw::Finally => self.error_here(format!(
                "Unexpected '{}' with no open block to match it",
                kw.as_str()
            )),
            Kw::When => self.error_here("Unexpected 'when' (a guard must follow a statement)"),
            kw if out_of_subset(kw) => self.error_here(format!(
                "'{}' is not supported (outside the Kiwi subset)",
                kw.as_str()
            )),
            kw => self.error_here(format!("Unexpected token '{}'", kw.as_str())),
        }
    }

    /// `stmt when cond [else other]`.
    fn parse_guard(&mut self, stmt: Stmt) -> PResult<Stmt> {
        self.bump_span();
        let cond = self.parse_expr()?;
        // `else` belongs to the guard only on the same line; on a new line it is far more likely
        // the `else` of an enclosing `if`.
        let mut otherwise = None;
        if self.check_kw(Kw::Else) && self.on_same_line() {
            match &stmt.kind {
                StmtKind::Expr(_) | StmtKind::Print { .. } => {
                    self.bump_span();
                    let other = self.nested(|p| p.parse_bare_statement())?;
                    otherwise = Some(Box::new(other));
                }
                StmtKind::Assign { targets, op, .. } => {
                    let (targets, op) = (targets.clone(), *op);
                    self.bump_span();
                    // `x = v when c else y = w` assigns w to y, then its value to x.
                    let values = if targets.len() > 1 {
                        self.parse_values(true)?
                    } else {
                        vec![self.parse_condition()?]
                    };
                    otherwise = Some(Box::new(Stmt {
                        kind: StmtKind::Assign {
                            targets,
                            op,
                            values,
                        },
                        span: stmt.span,
                    }));
                }
                _ => {}
            }
        }
        let span = stmt.span;
        Ok(Stmt {
            kind: StmtKind::Guarded {
                stmt: Box::new(stmt),
                cond,
                otherwise,
            },
            span,
        })
    }

    /// Expression statement, assignment or pack assignment.
    fn parse_simple_statement(&mut self) -> PResult<StmtKind> {
        if self.looks_like_pack_assignment() {
            return self.parse_pack_assignment();
        }
        let expr = self.parse_expr()?;
        if is_assign_token(self.kind()) {
            return self.finish_assignment(expr);
        }
        Ok(StmtKind::Expr(expr))
    }

    /// `ident, ident, ... =` ahead?
    fn looks_like_pack_assignment(&self) -> bool {
        let mut i = 0;
        loop {
            if !matches!(self.peek_at(i).kind, Tok::Ident(_)) {
                return false;
            }
            match self.peek_at(i + 1).kind {
                Tok::Comma => i += 2,
                Tok::Op(Op::Assign | Op::Unpack) => return i > 0,
                _ => return false,
            }
        }
    }

    fn parse_pack_assignment(&mut self) -> PResult<StmtKind> {
        let mut targets = Vec::new();
        loop {
            let tok = self.bump();
            if let Tok::Ident(name) = tok.kind {
                targets.push(AssignTarget::Name(name, tok.span));
            }
            if self.check(&Tok::Comma) {
                self.bump_span();
            } else {
                break;
            }
        }
        self.bump_span();
        let values = self.parse_values(true)?;
        Ok(StmtKind::Assign {
            targets,
            op: AssignOp::Assign,
            values,
        })
    }

    /// Right-hand side(s). With several targets, comma-separated values are collected, stopping
    /// before something that looks like the next assignment (`a, b = 1, 2, c = 3`).
    fn parse_values(&mut self, many: bool) -> PResult<Vec<Expr>> {
        let mut values = vec![self.parse_expr()?];
        while many && self.check(&Tok::Comma) {
            let next = &self.peek_at(1).kind;
            let after = &self.peek_at(2).kind;
            if matches!(next, Tok::Ident(_))
                && (is_assign_token(after) || matches!(after, Tok::Comma))
            {
                break;
            }
            self.bump_span();
            values.push(self.parse_expr()?);
        }
        Ok(values)
    }

    /// `target op value` once `target` is parsed and an assignment operator is next.
    fn finish_assignment(&mut self, target_expr: Expr) -> PResult<StmtKind> {
        let target = self.assign_target(target_expr)?;
        let op_tok = self.bump();
        let op = match op_tok.kind {
            Tok::Op(op) => assign_op(op),
            _ => None,
        };
        let op = match op {
            Some(Ok(op)) => op,
            Some(Err(text)) => {
                return Err(self.error(
                    format!("Operator '{text}' is not supported (outside the Kiwi subset)"),
                    op_tok.span,
                ))
            }
            None => return Err(self.error("Expected an assignment operator", op_tok.span)),
        };
        // `a = b = c = 10`: an assignment is also an expression, assigned right to left.
        let value = self.parse_condition()?;
        Ok(StmtKind::Assign {
            targets: vec![target],
            op,
            values: vec![value],
        })
    }

    fn assign_target(&mut self, expr: Expr) -> PResult<AssignTarget> {
        let span = expr.span;
        match expr.kind {
            ExprKind::Ident(name) => Ok(AssignTarget::Name(name, span)),
            ExprKind::Path(segments) => Ok(AssignTarget::Path(segments, span)),
            ExprKind::Index(obj, index) => Ok(AssignTarget::Index(obj, index)),
            ExprKind::Member(obj, name) => Ok(AssignTarget::Member(obj, name)),
            ExprKind::Slice {
                obj,
                start,
                stop,
                step,
            } => Ok(AssignTarget::Slice {
                obj,
                start,
                stop,
                step,
            }),
            ExprKind::TypeName(name) => {
                let name = if name == "null" {
                    "none".to_string()
                } else {
                    name
                };
                Err(self.error(
                    format!("The type name '{name}' cannot be used as a variable name"),
                    span,
                ))
            }
            _ => Err(self.error("Invalid assignment target", span)),
        }
    }

    /// A condition of `if`/`elsif`/`while`, where `v = expr` is allowed.
    fn parse_condition(&mut self) -> PResult<Expr> {
        let span = self.peek().span;
        let expr = self.parse_expr()?;
        if !is_assign_token(self.kind()) {
            return Ok(expr);
        }
        let kind = self.finish_assignment(expr)?;
        Ok(Expr {
            kind: ExprKind::Assign(Box::new(Stmt { kind, span })),
            span,
        })
    }

    /// A name being bound (loop variable, alias, catch variable, parameter, ...).
    pub(crate) fn parse_binding_name(&mut self, wanted: &str) -> PResult<String> {
        match self.kind().clone() {
            Tok::Ident(name) => {
                self.bump_span();
                Ok(name)
            }
            Tok::Type(name) => Err(self.error_here(format!(
                "The type name '{name}' cannot be used as a variable name"
            ))),
            _ => Err(self.unexpected(wanted)),
        }
    }

    fn parse_if(&mut self) -> PResult<StmtKind> {
        let opener = self.bump();
        if self.peek().span.line != opener.span.line {
            return Err(self.error(
                "The 'if' condition must start on the same line as 'if'",
                opener.span,
            ));
        }
        let mut branches = Vec::new();
        let cond = self.parse_condition()?;
        let body = self.parse_nested_block(&[Kw::Elsif, Kw::Else, Kw::End], false)?;
        branches.push((cond, body));
        let mut else_body = None;
        loop {
            if self.check_kw(Kw::Elsif) {
                self.bump_span();
                let cond = self.parse_condition()?;
                let body = self.parse_nested_block(&[Kw::Elsif, Kw::Else, Kw::End], false)?;
                branches.push((cond, body));
            } else if self.check_kw(Kw::Else) {
                self.bump_span();
                else_body = Some(self.parse_nested_block(&[Kw::End], false)?);
                break;
            } else {
                break;
            }
        }
        self.expect_end(&opener)?;
        Ok(StmtKind::If {
            branches,
            else_body,
        })
    }

    /// A loop header missing its expression would otherwise read `do` as a lambda.
    fn refuse_do(&mut self, wanted: &str) -> PResult<()> {
        if self.check_kw(Kw::Do) {
            return Err(self.unexpected(wanted));
        }
        Ok(())
    }

    fn parse_loop_body(&mut self, opener: &Token) -> PResult<Vec<Stmt>> {
        let word = match opener.kind {
            Tok::Kw(kw) => kw.as_str(),
            _ => "loop",
        };
        if !self.check_kw(Kw::Do) {
            return Err(self.unexpected(&format!("'do' to start the '{word}' body")));
        }
        self.bump_span();
        let body = self.parse_nested_block(&[Kw::End], false)?;
        self.expect_end(opener)?;
        Ok(body)
    }

    fn parse_while(&mut self) -> PResult<StmtKind> {
        let opener = self.bump();
        self.refuse_do("a condition after 'while'")?;
        let cond = self.parse_condition()?;
        let body = self.parse_loop_body(&opener)?;
        Ok(StmtKind::While { cond, body })
    }

    fn parse_for(&mut self) -> PResult<StmtKind> {
        let opener = self.bump();
        let var = self.parse_binding_name("a loop variable after 'for'")?;
        let second = if self.check(&Tok::Comma) {
            self.bump_span();
            Some(self.parse_binding_name("a second loop variable after ','")?)
        } else {
            None
        };
        self.expect_kw(Kw::In, "'in' after the loop variable")?;
        self.refuse_do("the collection to iterate over after 'in'")?;
        let iterable = self.parse_expr()?;
        let body = self.parse_loop_body(&opener)?;
        Ok(StmtKind::For {
            var,
            second,
            iterable,
            body,
        })
    }

    fn parse_repeat(&mut self) -> PResult<StmtKind> {
        let opener = self.bump();
        self.refuse_do("a count after 'repeat'")?;
        let count = self.parse_expr()?;
        let alias = if self.check_kw(Kw::As) {
            self.bump_span();
            Some(self.parse_binding_name("a counter name after 'as'")?)
        } else {
            None
        };
        let body = self.parse_loop_body(&opener)?;
        Ok(StmtKind::Repeat { count, alias, body })
    }

    fn parse_try(&mut self) -> PResult<StmtKind> {
        let opener = self.bump();
        let body = self.parse_nested_block(&[Kw::Catch, Kw::Finally, Kw::End], false)?;
        let mut catch = None;
        if self.check_kw(Kw::Catch) {
            let catch_tok = self.bump();
            let names = self.parse_catch_names(catch_tok.span.line)?;
            let body = self.parse_nested_block(&[Kw::Finally, Kw::End], false)?;
            catch = Some(CatchClause { names, body });
        }
        let finally = if self.check_kw(Kw::Finally) {
            self.bump_span();
            Some(self.parse_nested_block(&[Kw::End], false)?)
        } else {
            None
        };
        self.expect_end(&opener)?;
        Ok(StmtKind::Try {
            body,
            catch,
            finally,
        })
    }

    /// `catch e`, `catch (e)`, `catch t, m`, `catch (t, m)` or bare `catch`. The names (or the
    /// parenthesis) must be on the `catch` line; otherwise they start the handler body.
    fn parse_catch_names(&mut self, catch_line: u32) -> PResult<Vec<String>> {
        let mut names = Vec::new();
        if self.peek().span.line != catch_line {
            return Ok(names);
        }
        // Where a third name starts, for the error: by then the list may have ended and the
        // next token be on another line.
        let mut third = None;
        if self.check(&Tok::LParen) {
            self.bump_span();
            while !self.check(&Tok::RParen) {
                if names.len() == 2 {
                    third.get_or_insert(self.peek().span);
                }
                names.push(self.parse_binding_name("a catch variable name")?);
                if self.check(&Tok::Comma) {
                    self.bump_span();
                } else if !self.check(&Tok::RParen) {
                    return Err(self.unexpected("',' or ')' after the catch variable"));
                }
            }
            self.bump_span();
        } else if matches!(self.kind(), Tok::Ident(_) | Tok::Type(_)) {
            names.push(self.parse_binding_name("a catch variable name")?);
            if self.check(&Tok::Comma) && matches!(self.peek_at(1).kind, Tok::Ident(_)) {
                self.bump_span();
                names.push(self.parse_binding_name("a catch variable name")?);
            }
        }
        if let Some(span) = third {
            return Err(self.error("'catch' binds at most two names (type, message)", span));
        }
        Ok(names)
    }

    fn parse_fn(&mut self) -> PResult<StmtKind> {
        let opener = self.bump();
        if self.peek().span.line != opener.span.line {
            let word = self.word_of(&opener);
            return Err(self.error(
                format!("The function name must be on the same line as '{word}'"),
                opener.span,
            ));
        }
        // A type name may name a function (upstream's `list::any`, `task::list`); only its
        // qualified name can call it, since a bare type name is the type-name string.
        let name = match self.kind().clone() {
            Tok::Type(name) => {
                self.bump_span();
                name.to_string()
            }
            _ => self.binding_name("function")?,
        };
        let params = if self.check(&Tok::LParen) {
            self.parse_params()?
        } else {
            Vec::new()
        };
        let return_hint = self.return_hint()?;
        let body = self.parse_nested_block(&[Kw::End], false)?;
        self.expect_end(&opener)?;
        Ok(StmtKind::FnDef(Rc::new(FnDef {
            name: Some(name),
            params,
            body,
            span: opener.span,
            return_hint,
        })))
    }

    /// `on "pattern" [, priority] handler` and `once ...`, where the handler is a `with`/`do`
    /// lambda or `(expr)`: registers it with the event bus (`__kiwi_on`).
    fn parse_on(&mut self) -> PResult<StmtKind> {
        let kw = self.bump();
        let once = matches!(kw.kind, Tok::Kw(Kw::Once));
        let pattern = self.nested(|p| p.parse_primary_only())?;
        let priority = if self.check(&Tok::Comma) {
            self.bump_span();
            self.nested(|p| p.parse_unary_only())?
        } else {
            literal(ExprKind::Int(0), kw.span)
        };
        let handler = self.event_handler()?;
        let once = literal(ExprKind::Bool(once), kw.span);
        Ok(StmtKind::Expr(internal_call(
            "__kiwi_on",
            vec![pattern, handler, priority, once],
            kw.span,
        )))
    }

    /// `off "pattern"` or `off "pattern" (handler)`.
    fn parse_off(&mut self) -> PResult<StmtKind> {
        let kw = self.bump();
        let pattern = self.nested(|p| p.parse_primary_only())?;
        let handler = if self.check(&Tok::LParen) && self.on_same_line() {
            self.event_handler()?
        } else {
            literal(ExprKind::Null, kw.span)
        };
        Ok(StmtKind::Expr(internal_call(
            "__kiwi_off",
            vec![pattern, handler],
            kw.span,
        )))
    }

    /// An event handler: `(expr)`, or a lambda.
    fn event_handler(&mut self) -> PResult<Expr> {
        if self.check(&Tok::LParen) {
            let line = self.bump_span().line;
            let handler = self.parse_expr()?;
            if !self.check(&Tok::RParen) {
                return Err(self.unclosed("')'", "'('", line));
            }
            self.bump_span();
            return Ok(handler);
        }
        if self.check_kw(Kw::Do) && !self.peek_at(1).kind.eq(&Tok::LParen) {
            return self.parse_bare_do_handler();
        }
        if !matches!(self.kind(), Tok::Kw(Kw::With | Kw::Do)) {
            return Err(
                self.unexpected("an event handler (a 'with' or 'do' lambda, or '(handler)')")
            );
        }
        self.parse_expr()
    }

    /// `struct Name [< Base] [: Interfaces]`, then `fn` definitions (with `static`, `private`,
    /// `abstract`, `override` in any order) and `static @name [: type] = value`, then `end`.
    fn parse_struct(&mut self, is_abstract: bool) -> PResult<StmtKind> {
        let opener = self.bump();
        let name = self.binding_name("struct")?;
        let base = if self.check_op(Op::Lt) {
            self.bump_span();
            Some(self.binding_name("base struct")?)
        } else {
            None
        };
        // `struct X : I1, I2`: interfaces are accepted and ignored, as upstream.
        if self.check(&Tok::Colon) {
            self.bump_span();
            self.binding_name("interface")?;
            while self.check(&Tok::Comma) {
                self.bump_span();
                self.binding_name("interface")?;
            }
        }
        let outer = self.current_struct.replace(name.clone());
        let members = self.parse_struct_body(&opener);
        self.current_struct = outer;
        let StructBody {
            methods,
            statics,
            fields,
        } = members?;
        self.expect_end(&opener)?;
        Ok(StmtKind::Struct(Rc::new(StructDef {
            name,
            base,
            is_abstract,
            methods,
            statics,
            fields,
        })))
    }

    /// `@name [: type] [= value]` after `@` (or `static @`): the name and the value.
    fn parse_variable_declaration(&mut self, what: &str) -> PResult<(String, Option<Expr>)> {
        self.bump_span();
        let Some(name) = self.kind().word().map(str::to_string) else {
            return Err(self.unexpected(what));
        };
        self.bump_span();
        self.skip_return_hint()?;
        let value = if self.check_op(Op::Assign) {
            self.bump_span();
            Some(self.parse_expr()?)
        } else {
            None
        };
        Ok((name, value))
    }

    fn parse_struct_body(&mut self, opener: &Token) -> PResult<StructBody> {
        let (mut methods, mut statics, mut fields) = (Vec::new(), Vec::new(), Vec::new());
        loop {
            // `@name = value` / `@name: type = value` declares an instance variable's starting
            // value (upstream's own library writes these; a superset of upstream, which drops
            // them). An `@name` line followed by anything else is a decorator.
            if self.check(&Tok::At)
                && self.peek_at(1).kind.word().is_some()
                && matches!(self.peek_at(2).kind, Tok::Op(Op::Assign) | Tok::Colon)
            {
                fields
                    .push(self.parse_variable_declaration("an instance variable name after '@'")?);
                continue;
            }
            // `@deco` lines before a method (objects brief §0): outside struct bodies `@`
            // starts decorators too.
            let decorators = self.parse_decorator_lines()?;
            let (mut is_static, mut is_private, mut is_abstract) = (false, false, false);
            loop {
                match self.kind() {
                    Tok::Kw(Kw::Static) => is_static = true,
                    Tok::Kw(Kw::Private) => is_private = true,
                    Tok::Kw(Kw::Abstract) => is_abstract = true,
                    Tok::Kw(Kw::Override) => {}
                    _ => break,
                }
                self.bump_span();
            }
            match self.kind() {
                Tok::Kw(Kw::End)
                    if !(is_static || is_private || is_abstract) && decorators.is_empty() =>
                {
                    break
                }
                Tok::Kw(Kw::Fn | Kw::Def) => {
                    let def = self.parse_method()?;
                    let decorated = (!decorators.is_empty()).then(|| {
                        let method = Expr {
                            kind: ExprKind::Ident(DECORATED_METHOD.to_string()),
                            span: def.span,
                        };
                        apply_decorators(decorators, method)
                    });
                    methods.push(MethodDef {
                        def,
                        is_static,
                        is_private,
                        is_abstract,
                        decorated,
                    });
                }
                _ if !decorators.is_empty() => {
                    return Err(self.unexpected("'fn' after the decorators"))
                }
                Tok::At if is_static => {
                    statics
                        .push(self.parse_variable_declaration("a static variable name after '@'")?);
                }
                Tok::Eof => return Err(self.unclosed("'end'", "the struct", opener.span.line)),
                _ => {
                    return Err(self.unexpected(
                        "'fn', '@name = value' or 'static @name = value' in the struct body",
                    ))
                }
            }
        }
        Ok(StructBody {
            methods,
            statics,
            fields,
        })
    }

    /// A method: like `fn`, but its name may also be an operator (`fn +(other)`), and it takes
    /// the instance `@` as a hidden first parameter.
    fn parse_method(&mut self) -> PResult<Rc<FnDef>> {
        let opener = self.bump();
        let name = match self.kind().clone() {
            Tok::Op(op) if is_overloadable(op) => {
                self.bump_span();
                op.as_str().to_string()
            }
            Tok::Type(name) => {
                self.bump_span();
                name.to_string()
            }
            _ => self.binding_name("method")?,
        };
        let mut params = vec![Param {
            name: "@".to_string(),
            default: None,
            rest: false,
            hint: None,
        }];
        if self.check(&Tok::LParen) {
            params.extend(self.parse_params()?);
        }
        let return_hint = self.return_hint()?;
        let body = self.parse_nested_block(&[Kw::End], false)?;
        self.expect_end(&opener)?;
        Ok(Rc::new(FnDef {
            name: Some(name),
            params,
            body,
            span: opener.span,
            return_hint,
        }))
    }

    /// `enum Name`, members one per line (`Member` or `Member = expr`), `end`.
    fn parse_enum(&mut self) -> PResult<StmtKind> {
        let opener = self.bump();
        let name = self.binding_name("enum")?;
        let mut members = Vec::new();
        loop {
            if self.check_kw(Kw::End) {
                break;
            }
            let Tok::Ident(member) = self.kind().clone() else {
                if self.at_eof() {
                    return Err(self.unclosed("'end'", "the enum", opener.span.line));
                }
                return Err(self.unexpected("an enum member name or 'end'"));
            };
            self.bump_span();
            let value = if self.check_op(Op::Assign) {
                self.bump_span();
                Some(self.parse_expr()?)
            } else {
                None
            };
            members.push((member, value));
            if self.check(&Tok::Comma) {
                self.bump_span();
            }
        }
        self.expect_end(&opener)?;
        Ok(StmtKind::Enum { name, members })
    }

    /// `@deco` lines (each optionally with `(args)`), then `fn`: the function, and the
    /// assignment that rebinds its name to `decoN(...deco1(name, args1)..., argsN)`.
    fn parse_decorated(&mut self) -> PResult<StmtKind> {
        let decorators = self.parse_decorator_lines()?;
        if !matches!(self.kind(), Tok::Kw(Kw::Fn | Kw::Def)) {
            return Err(self.unexpected("'fn' after the decorators"));
        }
        let StmtKind::FnDef(def) = self.parse_fn()? else {
            return Err(Bail);
        };
        let name = def.name.clone().unwrap_or_default();
        let function = Expr {
            kind: ExprKind::Ident(name.clone()),
            span: def.span,
        };
        let current = apply_decorators(decorators, function);
        let apply = Stmt {
            kind: StmtKind::Assign {
                targets: vec![AssignTarget::Name(name, def.span)],
                op: AssignOp::Assign,
                values: vec![current],
            },
            span: def.span,
        };
        Ok(StmtKind::Decorated {
            def,
            apply: Box::new(apply),
        })
    }

    /// `@deco` lines, each optionally with `(args)` on its line.
    fn parse_decorator_lines(&mut self) -> PResult<Vec<Expr>> {
        let mut decorators = Vec::new();
        while self.check(&Tok::At) {
            let at = self.bump_span();
            if self.peek().span.line != at.line || self.kind().word().is_none() {
                return Err(self.unexpected("a decorator name after '@'"));
            }
            decorators.push(self.parse_decorator()?);
        }
        Ok(decorators)
    }

    fn word_of(&self, tok: &Token) -> &'static str {
        match tok.kind {
            Tok::Kw(kw) => kw.as_str(),
            _ => "fn",
        }
    }

    /// `(p, p: t, p = d, p: t = d, *rest)`; the `(` is next.
    pub(crate) fn parse_params(&mut self) -> PResult<Vec<Param>> {
        let open = self.bump();
        let mut params: Vec<Param> = Vec::new();
        loop {
            if self.check(&Tok::RParen) {
                self.bump_span();
                return Ok(params);
            }
            if self.at_eof() {
                let line = open.span.line;
                return Err(self.error_here(format!(
                    "Expected ')' to close the parameter list opened at line {line}"
                )));
            }
            if params.last().is_some_and(|p| p.rest) {
                return Err(self.error_here("The '*rest' parameter must be the last parameter"));
            }
            let rest = self.check_op(Op::Star);
            if rest {
                self.bump_span();
            }
            let name = self.binding_name("parameter")?;
            let hint = if self.check(&Tok::Colon) {
                self.bump_span();
                Some(self.parse_type_hint_text()?.1)
            } else {
                None
            };
            let default = if self.check_op(Op::Assign) {
                self.bump_span();
                Some(self.parse_expr()?)
            } else {
                None
            };
            params.push(Param {
                name,
                default,
                rest,
                hint,
            });
            if self.check(&Tok::Comma) {
                self.bump_span();
            } else if !self.check(&Tok::RParen) {
                return Err(self.unexpected("',' or ')' in the parameter list"));
            }
        }
    }

    /// `: hint` after parameters (parsed and ignored, §5.1).
    pub(crate) fn skip_return_hint(&mut self) -> PResult<()> {
        self.return_hint().map(drop)
    }

    /// `: hint` after parameters, as written (unchecked, §5.1); `None` without one.
    pub(crate) fn return_hint(&mut self) -> PResult<Option<String>> {
        if self.check(&Tok::Colon) {
            self.bump_span();
            return Ok(Some(self.parse_type_hint_text()?.1));
        }
        Ok(None)
    }

    /// `t`, `t1|t2`, `t?`; returns the first type's name (used for `var` zero values).
    fn parse_type_hint(&mut self) -> PResult<String> {
        Ok(self.parse_type_hint_text()?.0)
    }

    /// A type hint: its first type's name, and all of it with `|` between types (`t?` is
    /// `t|null`).
    fn parse_type_hint_text(&mut self) -> PResult<(String, String)> {
        let first = self.type_word()?;
        let mut text = first.clone();
        loop {
            if self.check_op(Op::Pipe) {
                self.bump_span();
                text.push('|');
                text.push_str(&self.type_word()?);
            } else if self.check_op(Op::Question) {
                self.bump_span();
                text.push_str("|null");
            } else {
                return Ok((first, text));
            }
        }
    }

    /// A type name: a builtin type, `null`, or a struct name, also one in a package
    /// (`geo::Point`, a superset of upstream's single-word hints).
    fn type_word(&mut self) -> PResult<String> {
        let mut word = match self.kind() {
            Tok::Type(name) => name.to_string(),
            Tok::Ident(name) => name.clone(),
            Tok::Kw(Kw::Null) => "null".to_string(),
            _ => return Err(self.unexpected("a type name")),
        };
        let qualifiable = matches!(self.kind(), Tok::Ident(_));
        self.bump_span();
        while qualifiable && self.check(&Tok::ColonColon) {
            let Tok::Ident(part) = &self.peek_at(1).kind else {
                break;
            };
            word = format!("{word}::{part}");
            self.bump_span();
            self.bump_span();
        }
        Ok(word)
    }

    fn parse_package(&mut self) -> PResult<StmtKind> {
        let opener = self.bump();
        let mut path = Vec::new();
        loop {
            match self.kind().word() {
                Some(word) if !matches!(self.kind(), Tok::Kw(_)) => {
                    path.push(word.to_string());
                    self.bump_span();
                }
                _ => return Err(self.unexpected("a package name")),
            }
            if !self.check(&Tok::ColonColon) {
                break;
            }
            self.bump_span();
        }
        let body = self.parse_nested_block(&[Kw::End], false)?;
        self.expect_end(&opener)?;
        Ok(StmtKind::Package { path, body })
    }

    /// `require "x"`, `require x`, `require a::b` (a bare name is kept as a string).
    fn parse_require(&mut self) -> PResult<StmtKind> {
        self.bump_span();
        if let Tok::Ident(first) = self.kind().clone() {
            let span = self.peek().span;
            let follows = &self.peek_at(1).kind;
            let simple = !matches!(follows, Tok::Dot | Tok::LBracket | Tok::LParen)
                || !self.next_on_same_line(1);
            if simple {
                self.bump_span();
                let mut name = first;
                while self.check(&Tok::ColonColon) {
                    self.bump_span();
                    let Some(seg) = self.kind().word().map(str::to_string) else {
                        return Err(self.unexpected("a name after '::'"));
                    };
                    self.bump_span();
                    name.push_str("::");
                    name.push_str(&seg);
                }
                return Ok(StmtKind::Require(Expr {
                    kind: ExprKind::Str(name),
                    span,
                }));
            }
        }
        if !can_begin_value(self.kind()) {
            return Err(self.unexpected("a package name after 'require'"));
        }
        Ok(StmtKind::Require(self.parse_expr()?))
    }

    fn next_on_same_line(&self, n: usize) -> bool {
        let a = self.peek_at(n.saturating_sub(1));
        let b = self.peek_at(n);
        a.end_line == b.span.line
    }

    fn parse_const(&mut self) -> PResult<StmtKind> {
        self.bump_span();
        let name_span = self.peek().span;
        let name = self.parse_binding_name("a constant name after 'const'")?;
        if !name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(self.error(
                format!("The constant name '{name}' must be upper-case (letters, digits and '_')"),
                name_span,
            ));
        }
        if !self.check_op(Op::Assign) {
            return Err(self.unexpected("'=' after the constant name"));
        }
        self.bump_span();
        let value = self.parse_expr()?;
        Ok(StmtKind::Const { name, value })
    }

    /// `var x`, `var x: T = v`, `var (a = 1, b: list)`.
    fn parse_var(&mut self) -> PResult<StmtKind> {
        self.bump_span();
        let mut decls = Vec::new();
        if self.check(&Tok::LParen) {
            let open = self.bump();
            loop {
                if self.check(&Tok::RParen) {
                    self.bump_span();
                    break;
                }
                if self.at_eof() {
                    let line = open.span.line;
                    return Err(self.error_here(format!(
                        "Expected ')' to close the 'var' list opened at line {line}"
                    )));
                }
                decls.push(self.parse_var_decl()?);
                if self.check(&Tok::Comma) {
                    self.bump_span();
                } else if !self.check(&Tok::RParen) {
                    return Err(self.unexpected("',' or ')' in the 'var' list"));
                }
            }
        } else {
            decls.push(self.parse_var_decl()?);
        }
        Ok(StmtKind::Var(decls))
    }

    fn parse_var_decl(&mut self) -> PResult<VarDecl> {
        let span: Span = self.peek().span;
        let name = self.parse_binding_name("a variable name")?;
        let hint = if self.check(&Tok::Colon) {
            self.bump_span();
            Some(self.parse_type_hint()?)
        } else {
            None
        };
        let value = if self.check_op(Op::Assign) {
            self.bump_span();
            Some(self.parse_expr()?)
        } else {
            None
        };
        Ok(VarDecl {
            name,
            hint,
            value,
            span,
        })
    }
}

/// An expression with no source of its own (a desugared default).
fn literal(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

/// A call of runtime helper `name` (`__kiwi_on`, `__kiwi_emit`, ...) that syntax desugars to.
pub(crate) fn internal_call(name: &str, args: Vec<Expr>, span: Span) -> Expr {
    let callee = literal(ExprKind::Ident(name.to_string()), span);
    Expr {
        kind: ExprKind::Call(Box::new(callee), args.into_iter().map(Arg::Pos).collect()),
        span,
    }
}

/// Operators a struct may define as methods (`fn +(other)`).
fn is_overloadable(op: Op) -> bool {
    matches!(
        op,
        Op::Plus
            | Op::Minus
            | Op::Star
            | Op::Slash
            | Op::SlashSlash
            | Op::Percent
            | Op::StarStar
            | Op::Eq
            | Op::Ne
            | Op::Lt
            | Op::Le
            | Op::Gt
            | Op::Ge
    )
}

/// `decoN(...deco1(function, args1)..., argsN)`: the decorator nearest the function applies
/// first, and the function is always its first argument.
pub(crate) fn apply_decorators(decorators: Vec<Expr>, function: Expr) -> Expr {
    let mut current = function;
    for deco in decorators.into_iter().rev() {
        let span = deco.span;
        let first = Arg::Pos(current);
        let kind = match deco.kind {
            ExprKind::Call(callee, mut args) => {
                args.insert(0, first);
                ExprKind::Call(callee, args)
            }
            ExprKind::MethodCall(obj, method, mut args) => {
                args.insert(0, first);
                ExprKind::MethodCall(obj, method, args)
            }
            ExprKind::Member(obj, member) => ExprKind::MethodCall(obj, member, vec![first]),
            other => ExprKind::Call(Box::new(Expr { kind: other, span }), vec![first]),
        };
        current = Expr { kind, span };
    }
    current
}

/// What a struct body declares.
struct StructBody {
    methods: Vec<MethodDef>,
    statics: Vec<(String, Option<Expr>)>,
    fields: Vec<(String, Option<Expr>)>,
}
