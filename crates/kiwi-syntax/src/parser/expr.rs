//! Expressions: precedence climbing over the table of §3.1, postfix chains, literals, lambdas,
//! `case` and string interpolation.

use std::rc::Rc;

use super::{Bail, PResult, Parser};
use crate::ast::{
    Arg, BinOp, CaseCond, ChainLink, Expr, ExprKind, FnDef, InterpPart, Stmt, UnOp, WhenClause,
};
use crate::lexer;
use crate::span::Span;
use crate::token::{Kw, Op, StrPart, Tok};

/// Binding power (higher binds tighter) of a binary operator token; every level is
/// left-associative.
fn binary_op(kind: &Tok) -> Option<(BinOp, u8)> {
    let pair = match kind {
        Tok::Op(op) => match op {
            Op::Star => (BinOp::Mul, 10),
            Op::Slash => (BinOp::Div, 10),
            Op::SlashSlash => (BinOp::FloorDiv, 10),
            Op::Percent => (BinOp::Mod, 10),
            Op::StarStar => (BinOp::Pow, 10),
            Op::Plus => (BinOp::Add, 9),
            Op::Minus => (BinOp::Sub, 9),
            Op::Shl => (BinOp::Shl, 8),
            Op::Shr => (BinOp::Shr, 8),
            Op::UShr => (BinOp::UShr, 8),
            Op::Lt => (BinOp::Lt, 7),
            Op::Le => (BinOp::Le, 7),
            Op::Gt => (BinOp::Gt, 7),
            Op::Ge => (BinOp::Ge, 7),
            Op::Eq => (BinOp::Eq, 6),
            Op::Ne => (BinOp::Ne, 6),
            Op::Amp => (BinOp::BitAnd, 5),
            Op::Caret => (BinOp::BitXor, 4),
            Op::Pipe => (BinOp::BitOr, 3),
            Op::AndAnd => (BinOp::And, 2),
            Op::OrOr => (BinOp::Or, 1),
            Op::Coalesce => (BinOp::Coalesce, 1),
            _ => return None,
        },
        Tok::Kw(Kw::In) => (BinOp::In, 7),
        Tok::Kw(Kw::And) => (BinOp::And, 2),
        Tok::Kw(Kw::Or) => (BinOp::Or, 1),
        _ => return None,
    };
    Some(pair)
}

fn lambda(
    params: Vec<crate::ast::Param>,
    return_hint: Option<String>,
    body: Vec<Stmt>,
    span: Span,
) -> Expr {
    let def = FnDef {
        name: None,
        params,
        body,
        span,
        return_hint,
    };
    Expr {
        kind: ExprKind::Lambda(Rc::new(def)),
        span,
    }
}

impl Parser<'_> {
    /// A full expression (ternary level).
    pub(crate) fn parse_expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.parse_ternary())
    }

    fn parse_ternary(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let cond = self.parse_binary(1)?;
        if self.check_op(Op::Question) {
            self.finish_ternary(cond, start)
        } else {
            Ok(cond)
        }
    }

    fn finish_ternary(&mut self, cond: Expr, span: Span) -> PResult<Expr> {
        self.bump_span();
        let then = self.parse_expr()?;
        self.expect(&Tok::Colon, "':' in ternary expression")?;
        let otherwise = self.parse_expr()?;
        Ok(Expr {
            kind: ExprKind::Ternary(Box::new(cond), Box::new(then), Box::new(otherwise)),
            span,
        })
    }

    /// Precedence climbing. The operators this level chains (`a + b - c + ...`) are collected
    /// flat into one [`ExprKind::Chain`], so a long left-associative run is not nesting: only
    /// the recursion into tighter operators on the right counts, through `parse_unary`.
    fn parse_binary(&mut self, min_bp: u8) -> PResult<Expr> {
        let first = self.parse_unary()?;
        let mut links: Vec<ChainLink> = Vec::new();
        while let Some((op, bp)) = self.peek_binary(min_bp) {
            let span = self.bump_span();
            let rhs = self.parse_binary(bp + 1)?;
            links.push(ChainLink { op, rhs, span });
        }
        Ok(match links.len() {
            0 => first,
            1 => {
                let ChainLink { op, rhs, span } = links.pop().expect("one link");
                Expr {
                    kind: ExprKind::Binary(op, Box::new(first), Box::new(rhs)),
                    span,
                }
            }
            _ => {
                let span = links.last().map_or(first.span, |l| l.span);
                Expr {
                    kind: ExprKind::Chain(Box::new(first), links),
                    span,
                }
            }
        })
    }

    /// The binary operator ahead, if it binds at least as tightly as `min_bp` and is on the line
    /// where the previous token ended (§1.7 rule 1, REC variant: a leading operator on a new
    /// line starts a new statement).
    fn peek_binary(&self, min_bp: u8) -> Option<(BinOp, u8)> {
        if !self.on_same_line() {
            return None;
        }
        binary_op(self.kind()).filter(|(_, bp)| *bp >= min_bp)
    }

    fn parse_unary(&mut self) -> PResult<Expr> {
        let op = match self.kind() {
            Tok::Op(Op::Minus) => UnOp::Neg,
            Tok::Op(Op::Bang) | Tok::Kw(Kw::Not) => UnOp::Not,
            Tok::Op(Op::Tilde) => UnOp::BitNot,
            _ => return self.parse_postfix(),
        };
        let tok = self.bump();
        let operand = self.nested(|p| p.parse_unary())?;
        Ok(Expr {
            kind: ExprKind::Unary(op, Box::new(operand)),
            span: tok.span,
        })
    }

    /// A primary followed by calls, indexing and member accesses.
    fn parse_postfix(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let mut expr = self.parse_primary()?;
        let mut chained = 0;
        let result = loop {
            let same_line = self.on_same_line();
            let step = match self.kind() {
                Tok::LParen if same_line => 0,
                Tok::LBracket if same_line => 1,
                Tok::Dot => 2,
                _ => break Ok(expr),
            };
            if let Err(b) = self.enter() {
                break Err(b);
            }
            chained += 1;
            let next = match step {
                0 => self.parse_call(expr),
                1 => self.parse_index(expr),
                _ => self.parse_member(expr, start),
            };
            match next {
                Ok(e) => expr = e,
                Err(b) => break Err(b),
            }
        };
        self.depth -= chained;
        result
    }

    fn parse_call(&mut self, callee: Expr) -> PResult<Expr> {
        let span = self.bump_span();
        let args = self.parse_args(span.line)?;
        Ok(Expr {
            kind: ExprKind::Call(Box::new(callee), args),
            span,
        })
    }

    fn parse_member(&mut self, obj: Expr, start: Span) -> PResult<Expr> {
        let dot = self.bump_span();
        let Some(name) = self.kind().word().map(str::to_string) else {
            return Err(self.unexpected("a member name after '.'"));
        };
        self.bump_span();
        if self.check(&Tok::LParen) && self.on_same_line() {
            let line = self.bump_span().line;
            let args = self.parse_args(line)?;
            let kind = ExprKind::MethodCall(Box::new(obj), name, args);
            return Ok(Expr { kind, span: dot });
        }
        Ok(Expr {
            kind: ExprKind::Member(Box::new(obj), name),
            span: start,
        })
    }

    /// `x[i]`, `x[]` and slices `x[a:b:c]` with any part omitted.
    fn parse_index(&mut self, obj: Expr) -> PResult<Expr> {
        let span = self.bump_span();
        if self.check(&Tok::RBracket) {
            self.bump_span();
            return Ok(Expr {
                kind: ExprKind::IndexAll(Box::new(obj)),
                span,
            });
        }
        let start = if self.at_slice_colon() {
            None
        } else {
            Some(self.parse_boxed()?)
        };
        if !self.at_slice_colon() {
            self.eat(&Tok::RBracket, "']' after the index")?;
            let index = start.ok_or(Bail)?;
            return Ok(Expr {
                kind: ExprKind::Index(Box::new(obj), index),
                span,
            });
        }
        self.finish_slice(obj, start, span)
    }

    fn at_slice_colon(&self) -> bool {
        matches!(self.kind(), Tok::Colon | Tok::ColonColon)
    }

    fn parse_boxed(&mut self) -> PResult<Box<Expr>> {
        self.parse_expr().map(Box::new)
    }

    /// The rest of a slice from its first `:` (or `::`, which is how `x[::2]` and `x[1::2]`
    /// lex: an omitted stop).
    fn finish_slice(&mut self, obj: Expr, start: Option<Box<Expr>>, span: Span) -> PResult<Expr> {
        let mut stop = None;
        let mut step = None;
        let mut step_follows = self.check(&Tok::ColonColon);
        self.bump_span();
        if !step_follows && !matches!(self.kind(), Tok::Colon | Tok::RBracket) {
            stop = Some(self.parse_boxed()?);
        }
        if !step_follows && self.check(&Tok::Colon) {
            self.bump_span();
            step_follows = true;
        }
        if step_follows && !self.check(&Tok::RBracket) {
            step = Some(self.parse_boxed()?);
        }
        self.eat(&Tok::RBracket, "']' to close the slice")?;
        let kind = ExprKind::Slice {
            obj: Box::new(obj),
            start,
            stop,
            step,
        };
        Ok(Expr { kind, span })
    }

    /// Call arguments after `(` (opened on `line`): positional, `name = v` / `name: v` (always
    /// named inside call parentheses) and `*splat`.
    pub(crate) fn parse_args(&mut self, line: u32) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        loop {
            if self.check(&Tok::RParen) {
                self.bump_span();
                return Ok(args);
            }
            if self.at_eof() {
                return Err(self.unclosed("')'", "'('", line));
            }
            args.push(self.parse_arg()?);
            if self.check(&Tok::Comma) {
                self.bump_span();
            } else if !self.check(&Tok::RParen) {
                return Err(self.unclosed("',' or ')'", "the argument list", line));
            }
        }
    }

    fn parse_arg(&mut self) -> PResult<Arg> {
        if let Tok::Ident(name) = self.kind() {
            if matches!(self.peek_at(1).kind, Tok::Op(Op::Assign) | Tok::Colon) {
                let name = name.clone();
                self.bump_span();
                self.bump_span();
                return Ok(Arg::Named(name, self.parse_expr()?));
            }
        }
        if self.check_op(Op::Star) {
            self.bump_span();
            return Ok(Arg::Splat(self.parse_expr()?));
        }
        Ok(Arg::Pos(self.parse_expr()?))
    }

    /// Dispatches on the first token. Kept tiny (each form has its own function) because it
    /// sits on every level of recursion and debug-build frames add up.
    fn parse_primary(&mut self) -> PResult<Expr> {
        match self.kind() {
            Tok::LParen => self.parse_paren(),
            Tok::LBracket => self.parse_list(),
            Tok::LBrace => self.parse_map(),
            Tok::Str(_) => self.parse_string(),
            Tok::Kw(Kw::With) => self.parse_with_lambda(),
            Tok::Kw(Kw::Do) => self.parse_do_lambda(),
            Tok::Kw(Kw::Case) => self.parse_case(),
            Tok::Kw(Kw::Import) => self.parse_import(),
            Tok::Kw(Kw::Include) => self.parse_include(),
            Tok::Kw(Kw::Emit) => self.parse_emit(),
            Tok::At => self.parse_self(),
            Tok::AtAt => self.parse_static_var(),
            Tok::Kw(Kw::Super) => self.parse_super(),
            _ => self.parse_atom(),
        }
    }

    fn parse_paren(&mut self) -> PResult<Expr> {
        let line = self.bump_span().line;
        let inner = self.parse_expr()?;
        if !self.check(&Tok::RParen) {
            return Err(self.unclosed("')'", "'('", line));
        }
        self.bump_span();
        Ok(inner)
    }

    fn parse_string(&mut self) -> PResult<Expr> {
        let tok = self.bump();
        let Tok::Str(parts) = tok.kind else {
            return Err(Bail);
        };
        let kind = self.string_expr(parts)?;
        Ok(Expr {
            kind,
            span: tok.span,
        })
    }

    fn parse_import(&mut self) -> PResult<Expr> {
        let span = self.bump_span();
        let operand = self.nested(|p| p.parse_unary())?;
        Ok(Expr {
            kind: ExprKind::Import(Box::new(operand)),
            span,
        })
    }

    /// `emit name`, `emit name (a, b)` or `emit name, a, b`: the list of handler results.
    fn parse_emit(&mut self) -> PResult<Expr> {
        let span = self.bump_span();
        let name = self.nested(|p| p.parse_primary_only())?;
        let mut args = Vec::new();
        if self.check(&Tok::LParen) && self.on_same_line() {
            let line = self.bump_span().line;
            for arg in self.parse_args(line)? {
                match arg {
                    Arg::Pos(e) => args.push(e),
                    _ => return Err(self.error_here("emit takes positional arguments only")),
                }
            }
        } else {
            while self.check(&Tok::Comma) {
                self.bump_span();
                args.push(self.parse_expr()?);
            }
        }
        let list = Expr {
            kind: ExprKind::List(args),
            span,
        };
        Ok(super::stmt::internal_call(
            "__kiwi_emit",
            vec![name, list],
            span,
        ))
    }

    /// `@` (the current instance, the method's hidden first parameter) or `@name` (its
    /// instance variable, a member read of `@`).
    fn parse_self(&mut self) -> PResult<Expr> {
        let at = self.bump_span();
        let me = Expr {
            kind: ExprKind::Ident("@".to_string()),
            span: at,
        };
        let next = self.peek().span;
        let adjacent = next.line == at.line && next.col == at.col + 1;
        match self.kind().word().map(str::to_string) {
            Some(name) if adjacent => {
                self.bump_span();
                Ok(Expr {
                    kind: ExprKind::Member(Box::new(me), name),
                    span: at,
                })
            }
            _ => Ok(me),
        }
    }

    /// `@@name`: a static variable of the current instance's struct.
    fn parse_static_var(&mut self) -> PResult<Expr> {
        let at = self.bump_span();
        let Some(name) = self.kind().word().map(str::to_string) else {
            return Err(self.unexpected("a static variable name after '@@'"));
        };
        self.bump_span();
        let me = Expr {
            kind: ExprKind::Ident("@".to_string()),
            span: at,
        };
        let owner = super::stmt::internal_call("__kiwi_struct_of", vec![me], at);
        Ok(Expr {
            kind: ExprKind::Member(Box::new(owner), name),
            span: at,
        })
    }

    /// `super.name(args)`: the method `name` of the base of the struct being defined, on `@`.
    fn parse_super(&mut self) -> PResult<Expr> {
        let span = self.bump_span();
        if !self.check(&Tok::Dot) {
            return Err(self.unexpected("'.' after 'super'"));
        }
        self.bump_span();
        let Some(method) = self.kind().word().map(str::to_string) else {
            return Err(self.unexpected("a method name after 'super.'"));
        };
        self.bump_span();
        let mut args = Vec::new();
        if self.check(&Tok::LParen) && self.on_same_line() {
            let line = self.bump_span().line;
            args = self.parse_args(line)?;
        }
        let owner = self.current_struct.clone().unwrap_or_default();
        let text = |s: String| {
            Arg::Pos(Expr {
                kind: ExprKind::Str(s),
                span,
            })
        };
        let me = Arg::Pos(Expr {
            kind: ExprKind::Ident("@".to_string()),
            span,
        });
        let mut all = vec![text(owner), text(method), me];
        all.extend(args);
        let callee = Expr {
            kind: ExprKind::Ident("__kiwi_super".to_string()),
            span,
        };
        Ok(Expr {
            kind: ExprKind::Call(Box::new(callee), all),
            span,
        })
    }

    /// A string, name or parenthesized expression with nothing after it (an event name: a
    /// following `(...)` is the argument list, not a call).
    pub(crate) fn parse_primary_only(&mut self) -> PResult<Expr> {
        self.parse_primary()
    }

    /// An event handler written `do ... end` with no parameter list.
    pub(crate) fn parse_bare_do_handler(&mut self) -> PResult<Expr> {
        let opener = self.bump();
        let body = self.parse_nested_block(&[Kw::End], false)?;
        self.expect_end(&opener)?;
        Ok(lambda(Vec::new(), None, body, opener.span))
    }

    /// A prefix expression without binary operators (an event priority before its handler).
    pub(crate) fn parse_unary_only(&mut self) -> PResult<Expr> {
        self.parse_unary()
    }

    fn parse_include(&mut self) -> PResult<Expr> {
        let span = self.bump_span();
        let operand = self.nested(|p| p.parse_expr())?;
        Ok(Expr {
            kind: ExprKind::Include(Box::new(operand)),
            span,
        })
    }

    /// A decorator after its `@`: a name, path or member, optionally called with arguments
    /// on the same line.
    pub(crate) fn parse_decorator(&mut self) -> PResult<Expr> {
        self.nested(|p| p.parse_postfix())
    }

    /// Literals, names, paths, and the errors for tokens that cannot start an expression.
    fn parse_atom(&mut self) -> PResult<Expr> {
        let span = self.peek().span;
        let kind = match self.kind() {
            Tok::Int(v) => ExprKind::Int(*v),
            Tok::Float(v) => ExprKind::Float(*v),
            Tok::Bytes(b) => ExprKind::Bytes(b.clone()),
            Tok::Kw(Kw::Null) => ExprKind::Null,
            Tok::Kw(Kw::True) => ExprKind::Bool(true),
            Tok::Kw(Kw::False) => ExprKind::Bool(false),
            Tok::Ident(name) => ExprKind::Ident(name.clone()),
            Tok::Type(name) => ExprKind::TypeName(name.to_string()),
            _ => return Err(self.not_an_expression()),
        };
        self.bump_span();
        match kind {
            ExprKind::Ident(name) | ExprKind::TypeName(name) if self.path_follows() => {
                self.parse_path(name, span)
            }
            ExprKind::TypeName(name) if name == "none" => Ok(Expr {
                kind: ExprKind::TypeName("null".to_string()),
                span,
            }),
            kind => Ok(Expr { kind, span }),
        }
    }

    #[cold]
    fn not_an_expression(&mut self) -> Bail {
        match self.kind().clone() {
            Tok::Kw(Kw::If) => self.error_here(
                "'if' is a statement and cannot be used as a value (use 'case' or '? :')",
            ),
            Tok::Kw(kw) if super::stmt::out_of_subset(kw) => self.error_here(format!(
                "'{}' is not supported (outside the Kiwi subset)",
                kw.as_str()
            )),
            Tok::Eof => {
                let eof = self.eof_name;
                self.error_here(format!("Unexpected {eof}: expected an expression"))
            }
            other if self.pos == self.stmt_start => {
                self.error_here(format!("Unexpected token {}", other.describe()))
            }
            other => self.error_here(format!(
                "Expected an expression, found {}",
                other.describe()
            )),
        }
    }

    /// `a::b::c` after the first segment.
    fn parse_path(&mut self, first: String, span: Span) -> PResult<Expr> {
        let mut segments = vec![first];
        while self.path_follows() {
            self.bump_span();
            let Some(word) = self.kind().word().map(str::to_string) else {
                return Err(self.unexpected("a name after '::'"));
            };
            self.bump_span();
            segments.push(word);
        }
        Ok(Expr {
            kind: ExprKind::Path(segments),
            span,
        })
    }

    /// `::` followed by a name continues a path (otherwise `::` is a slice's omitted stop, as
    /// in `x[n::2]`).
    fn path_follows(&self) -> bool {
        self.check(&Tok::ColonColon) && self.peek_at(1).kind.word().is_some()
    }

    /// `[a, b]`, `[a to b]`, `[a..b]`.
    fn parse_list(&mut self) -> PResult<Expr> {
        let span = self.bump_span();
        if self.check(&Tok::RBracket) {
            self.bump_span();
            return Ok(Expr {
                kind: ExprKind::List(Vec::new()),
                span,
            });
        }
        let first = self.parse_expr()?;
        if self.check_kw(Kw::To) || self.check(&Tok::DotDot) {
            self.bump_span();
            let hi = self.parse_boxed()?;
            self.eat(&Tok::RBracket, "']' to close the range")?;
            return Ok(Expr {
                kind: ExprKind::Range(Box::new(first), hi),
                span,
            });
        }
        let items = self.finish_list(first, span.line)?;
        Ok(Expr {
            kind: ExprKind::List(items),
            span,
        })
    }

    fn finish_list(&mut self, first: Expr, line: u32) -> PResult<Vec<Expr>> {
        let mut items = vec![first];
        loop {
            if self.check(&Tok::RBracket) {
                self.bump_span();
                return Ok(items);
            }
            if !self.check(&Tok::Comma) {
                return Err(self.unclosed("',' or ']'", "the list", line));
            }
            self.bump_span();
            if !self.check(&Tok::RBracket) {
                items.push(self.parse_expr()?);
            }
        }
    }

    /// `{k: v, ...}`; a bare identifier key is the string of its name (upstream behaviour, and
    /// how `{error: "NetErr", message: "down"}` in §6.2 reads).
    fn parse_map(&mut self) -> PResult<Expr> {
        let span = self.bump_span();
        let mut pairs = Vec::new();
        loop {
            if self.check(&Tok::RBrace) {
                self.bump_span();
                return Ok(Expr {
                    kind: ExprKind::Map(pairs),
                    span,
                });
            }
            if self.at_eof() {
                return Err(self.unclosed("'}'", "'{'", span.line));
            }
            pairs.push(self.parse_map_entry()?);
            if self.check(&Tok::Comma) {
                self.bump_span();
            } else if !self.check(&Tok::RBrace) {
                return Err(self.unclosed("',' or '}'", "the hashmap", span.line));
            }
        }
    }

    fn parse_map_entry(&mut self) -> PResult<(Expr, Expr)> {
        let mut key = self.parse_expr()?;
        if let ExprKind::Ident(name) = &mut key.kind {
            key.kind = ExprKind::Str(std::mem::take(name));
        }
        self.eat(&Tok::Colon, "':' after the hashmap key")?;
        let value = self.parse_expr()?;
        Ok((key, value))
    }

    /// `with [(params)] [: hint] do ... end`.
    fn parse_with_lambda(&mut self) -> PResult<Expr> {
        let opener = self.bump();
        let params = if self.check(&Tok::LParen) {
            self.parse_params()?
        } else {
            Vec::new()
        };
        let return_hint = self.return_hint()?;
        if !self.check_kw(Kw::Do) {
            return Err(self.unexpected("'do' to start the lambda body"));
        }
        self.bump_span();
        let body = self.parse_nested_block(&[Kw::End], false)?;
        self.expect_end(&opener)?;
        Ok(lambda(params, return_hint, body, opener.span))
    }

    /// `do (params) [: hint] ... end` and `do (params) => statement [end]`.
    fn parse_do_lambda(&mut self) -> PResult<Expr> {
        let opener = self.bump();
        if !self.check(&Tok::LParen) {
            return Err(self.unexpected(
                "'(' and parameters after 'do' (use 'with do ... end' for a lambda without parameters)",
            ));
        }
        let params = self.parse_params()?;
        let return_hint = self.return_hint()?;
        let body = if self.check_op(Op::Arrow) {
            self.bump_span();
            vec![self.parse_arrow_body()?]
        } else {
            let body = self.parse_nested_block(&[Kw::End], false)?;
            self.expect_end(&opener)?;
            body
        };
        Ok(lambda(params, return_hint, body, opener.span))
    }

    /// The one statement after `=>`, and its optional `end`, taken only on the same line so
    /// that an enclosing block's `end` is not swallowed (`f = do (x) => x + 1` as the last
    /// statement of a function).
    fn parse_arrow_body(&mut self) -> PResult<Stmt> {
        self.enter()?;
        self.block_depth += 1;
        let stmt = self.parse_statement(false);
        self.block_depth -= 1;
        self.depth -= 1;
        if self.check_kw(Kw::End) && self.on_same_line() {
            self.bump_span();
        }
        stmt
    }

    /// `case [subject] [as name] when c1, c2: body ... else body end`.
    fn parse_case(&mut self) -> PResult<Expr> {
        let opener = self.bump();
        let subject = if matches!(self.kind(), Tok::Kw(Kw::When | Kw::As | Kw::Else | Kw::End)) {
            None
        } else {
            Some(self.parse_boxed()?)
        };
        let alias = if self.check_kw(Kw::As) {
            self.bump_span();
            Some(self.parse_binding_name("a name after 'as'")?)
        } else {
            None
        };
        let mut whens = Vec::new();
        while self.check_kw(Kw::When) {
            whens.push(self.parse_when_clause()?);
        }
        let else_body = if self.check_kw(Kw::Else) {
            self.bump_span();
            if self.check(&Tok::Colon) {
                self.bump_span();
            }
            Some(self.parse_nested_block(&[Kw::End], true)?)
        } else {
            None
        };
        self.expect_end(&opener)?;
        let kind = ExprKind::Case {
            subject,
            alias,
            whens,
            else_body,
        };
        Ok(Expr {
            kind,
            span: opener.span,
        })
    }

    fn parse_when_clause(&mut self) -> PResult<WhenClause> {
        self.bump_span();
        let mut conds = vec![self.parse_case_cond()?];
        while self.check(&Tok::Comma) {
            self.bump_span();
            conds.push(self.parse_case_cond()?);
        }
        if self.check(&Tok::Colon) {
            self.bump_span();
        }
        let body = self.parse_nested_block(&[Kw::When, Kw::Else, Kw::End], true)?;
        Ok(WhenClause { conds, body })
    }

    fn parse_case_cond(&mut self) -> PResult<CaseCond> {
        let value = self.parse_expr()?;
        if self.check_kw(Kw::To) || self.check(&Tok::DotDot) {
            self.bump_span();
            let hi = self.parse_expr()?;
            return Ok(CaseCond::Range(value, hi));
        }
        Ok(CaseCond::Value(value))
    }

    /// Turns the parts of a string token into `Str` or `Interp`, parsing each `${...}` with a
    /// sub-parser whose positions point into the original file.
    fn string_expr(&mut self, parts: Vec<StrPart>) -> PResult<ExprKind> {
        if parts.iter().all(|p| matches!(p, StrPart::Lit(_))) {
            let mut text = String::new();
            for part in parts {
                if let StrPart::Lit(s) = part {
                    text.push_str(&s);
                }
            }
            return Ok(ExprKind::Str(text));
        }
        let mut out = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                StrPart::Lit(s) => out.push(InterpPart::Lit(s)),
                StrPart::Code { text, line, col } => {
                    out.push(InterpPart::Expr(self.interpolated(&text, line, col)?))
                }
            }
        }
        Ok(ExprKind::Interp(out))
    }

    fn interpolated(&mut self, text: &str, line: u32, col: u32) -> PResult<Option<Expr>> {
        let (toks, lex_errors) = lexer::lex(text, line, col);
        let lexed_ok = lex_errors.is_empty();
        for e in lex_errors {
            self.error(e.message, e.span);
        }
        if matches!(toks.first().map(|t| &t.kind), Some(Tok::Eof)) {
            return if lexed_ok { Ok(None) } else { Err(Bail) };
        }
        let depth = self.depth.saturating_add(1);
        let mut sub = Parser::new(toks, self.errors, depth);
        sub.eof_name = "end of the '${...}' expression";
        let result = sub.parse_expr().and_then(|e| {
            if sub.at_eof() {
                Ok(e)
            } else {
                let found = sub.kind().describe();
                Err(sub.error_here(format!(
                    "Unexpected {found} in string interpolation (expected one expression)"
                )))
            }
        });
        if sub.aborted {
            self.aborted = true;
        }
        let expr = result?;
        if lexed_ok {
            Ok(Some(expr))
        } else {
            Err(Bail)
        }
    }
}
