//! Expressions: precedence climbing over the table of §3.1, postfix chains, literals, lambdas,
//! `case` and string interpolation.

use std::rc::Rc;

use super::{Bail, PResult, Parser};
use crate::ast::{Arg, BinOp, CaseCond, Expr, ExprKind, FnDef, InterpPart, UnOp, WhenClause};
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

impl Parser<'_> {
    /// A full expression (ternary level).
    pub(crate) fn parse_expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.parse_ternary())
    }

    fn parse_ternary(&mut self) -> PResult<Expr> {
        let start = self.peek().span;
        let cond = self.parse_binary(1)?;
        if !self.check_op(Op::Question) {
            return Ok(cond);
        }
        self.bump();
        let then = self.parse_expr()?;
        self.expect(&Tok::Colon, "':' in ternary expression")?;
        let otherwise = self.parse_expr()?;
        Ok(Expr {
            kind: ExprKind::Ternary(Box::new(cond), Box::new(then), Box::new(otherwise)),
            span: start,
        })
    }

    /// Precedence climbing. Each chained operator counts as one nesting level because it adds
    /// one level to the tree (`1 + 1 + ... + 1` is as deep as it is long).
    fn parse_binary(&mut self, min_bp: u8) -> PResult<Expr> {
        let mut lhs = self.parse_unary()?;
        let mut chained = 0;
        let result = loop {
            // A binary operator continues the expression only on the line where the previous
            // token ended (§1.7 rule 1, REC variant).
            if !self.on_same_line() {
                break Ok(lhs);
            }
            let Some((op, bp)) = binary_op(self.kind()) else {
                break Ok(lhs);
            };
            if bp < min_bp {
                break Ok(lhs);
            }
            let op_tok = self.bump();
            if let Err(b) = self.enter() {
                break Err(b);
            }
            chained += 1;
            match self.parse_binary(bp + 1) {
                Ok(rhs) => {
                    lhs = Expr {
                        kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                        span: op_tok.span,
                    }
                }
                Err(b) => break Err(b),
            }
        };
        self.depth -= chained;
        result
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
        let paren = self.bump();
        let args = self.parse_args(&paren)?;
        Ok(Expr {
            kind: ExprKind::Call(Box::new(callee), args),
            span: paren.span,
        })
    }

    fn parse_member(&mut self, obj: Expr, start: Span) -> PResult<Expr> {
        let dot = self.bump();
        let Some(name) = self.kind().word().map(str::to_string) else {
            return Err(self.unexpected("a member name after '.'"));
        };
        self.bump();
        if self.check(&Tok::LParen) && self.on_same_line() {
            let paren = self.bump();
            let args = self.parse_args(&paren)?;
            return Ok(Expr {
                kind: ExprKind::MethodCall(Box::new(obj), name, args),
                span: dot.span,
            });
        }
        Ok(Expr {
            kind: ExprKind::Member(Box::new(obj), name),
            span: start,
        })
    }

    /// `x[i]`, `x[]` and slices `x[a:b:c]` with any part omitted.
    fn parse_index(&mut self, obj: Expr) -> PResult<Expr> {
        let bracket = self.bump();
        let span = bracket.span;
        if self.check(&Tok::RBracket) {
            self.bump();
            return Ok(Expr {
                kind: ExprKind::IndexAll(Box::new(obj)),
                span,
            });
        }
        let start = if self.check(&Tok::Colon) {
            None
        } else {
            Some(Box::new(self.parse_expr()?))
        };
        if !self.check(&Tok::Colon) {
            self.expect(&Tok::RBracket, "']' after index")?;
            let index = start.ok_or(Bail)?;
            return Ok(Expr {
                kind: ExprKind::Index(Box::new(obj), index),
                span,
            });
        }
        self.bump();
        let stop = if matches!(self.kind(), Tok::Colon | Tok::RBracket) {
            None
        } else {
            Some(Box::new(self.parse_expr()?))
        };
        let mut step = None;
        if self.check(&Tok::Colon) {
            self.bump();
            if !self.check(&Tok::RBracket) {
                step = Some(Box::new(self.parse_expr()?));
            }
        }
        self.expect(&Tok::RBracket, "']' to close the slice")?;
        Ok(Expr {
            kind: ExprKind::Slice {
                obj: Box::new(obj),
                start,
                stop,
                step,
            },
            span,
        })
    }

    /// Call arguments after `(`: positional, `name = v` / `name: v` (always named inside call
    /// parentheses) and `*splat`.
    pub(crate) fn parse_args(&mut self, paren: &crate::token::Token) -> PResult<Vec<Arg>> {
        let mut args = Vec::new();
        loop {
            if self.check(&Tok::RParen) {
                self.bump();
                return Ok(args);
            }
            if self.at_eof() {
                let line = paren.span.line;
                return Err(
                    self.error_here(format!("Expected ')' to close '(' opened at line {line}"))
                );
            }
            let named = matches!(self.kind(), Tok::Ident(_))
                && matches!(self.peek_at(1).kind, Tok::Op(Op::Assign) | Tok::Colon);
            let arg = if named {
                let name = match self.bump().kind {
                    Tok::Ident(name) => name,
                    _ => return Err(Bail),
                };
                self.bump();
                Arg::Named(name, self.parse_expr()?)
            } else if self.check_op(Op::Star) {
                self.bump();
                Arg::Splat(self.parse_expr()?)
            } else {
                Arg::Pos(self.parse_expr()?)
            };
            args.push(arg);
            if self.check(&Tok::Comma) {
                self.bump();
            } else if !self.check(&Tok::RParen) {
                return Err(self.unexpected("',' or ')' in argument list"));
            }
        }
    }

    fn parse_primary(&mut self) -> PResult<Expr> {
        let span = self.peek().span;
        let simple = |kind| Ok(Expr { kind, span });
        match self.kind().clone() {
            Tok::Int(v) => {
                self.bump();
                simple(ExprKind::Int(v))
            }
            Tok::Float(v) => {
                self.bump();
                simple(ExprKind::Float(v))
            }
            Tok::Bytes(b) => {
                self.bump();
                simple(ExprKind::Bytes(b))
            }
            Tok::Str(parts) => {
                self.bump();
                let kind = self.string_expr(parts)?;
                simple(kind)
            }
            Tok::Kw(Kw::Null) => {
                self.bump();
                simple(ExprKind::Null)
            }
            Tok::Kw(Kw::True) => {
                self.bump();
                simple(ExprKind::Bool(true))
            }
            Tok::Kw(Kw::False) => {
                self.bump();
                simple(ExprKind::Bool(false))
            }
            Tok::Ident(name) => {
                self.bump();
                if self.check(&Tok::ColonColon) {
                    return self.parse_path(name, span);
                }
                simple(ExprKind::Ident(name))
            }
            Tok::Type(name) => {
                self.bump();
                if self.check(&Tok::ColonColon) {
                    return self.parse_path(name.to_string(), span);
                }
                let value = if name == "none" { "null" } else { name };
                simple(ExprKind::TypeName(value.to_string()))
            }
            Tok::LParen => {
                let open = self.bump();
                let inner = self.parse_expr()?;
                if !self.check(&Tok::RParen) {
                    let line = open.span.line;
                    return Err(self.unexpected(&format!("')' to close '(' opened at line {line}")));
                }
                self.bump();
                Ok(inner)
            }
            Tok::LBracket => self.parse_list(),
            Tok::LBrace => self.parse_map(),
            Tok::Kw(Kw::With) => self.parse_with_lambda(),
            Tok::Kw(Kw::Do) => self.parse_do_lambda(),
            Tok::Kw(Kw::Case) => self.parse_case(),
            Tok::Kw(Kw::Import) => {
                self.bump();
                let operand = self.nested(|p| p.parse_unary())?;
                simple(ExprKind::Import(Box::new(operand)))
            }
            Tok::Kw(Kw::If) => Err(self.error_here(
                "'if' is a statement and cannot be used as a value (use 'case' or '? :')",
            )),
            Tok::Kw(kw) if super::stmt::out_of_subset(kw) => Err(self.error_here(format!(
                "'{}' is not supported (outside the Kiwi subset)",
                kw.as_str()
            ))),
            Tok::At | Tok::AtAt => {
                Err(self.error_here("Structs ('@') are not supported (outside the Kiwi subset)"))
            }
            Tok::Eof => Err(self.error_here("Unexpected end of file: expected an expression")),
            other => Err(self.error_here(format!("Unexpected token {}", other.describe()))),
        }
    }

    /// `a::b::c` after the first segment.
    fn parse_path(&mut self, first: String, span: Span) -> PResult<Expr> {
        let mut segments = vec![first];
        while self.check(&Tok::ColonColon) {
            self.bump();
            let Some(word) = self.kind().word().map(str::to_string) else {
                return Err(self.unexpected("a name after '::'"));
            };
            self.bump();
            segments.push(word);
        }
        Ok(Expr {
            kind: ExprKind::Path(segments),
            span,
        })
    }

    /// `[a, b]`, `[a to b]`, `[a..b]`.
    fn parse_list(&mut self) -> PResult<Expr> {
        let open = self.bump();
        let span = open.span;
        let mut items = Vec::new();
        if self.check(&Tok::RBracket) {
            self.bump();
            return Ok(Expr {
                kind: ExprKind::List(items),
                span,
            });
        }
        let first = self.parse_expr()?;
        if self.check_kw(Kw::To) || self.check(&Tok::DotDot) {
            self.bump();
            let hi = self.parse_expr()?;
            self.expect(&Tok::RBracket, "']' to close the range")?;
            return Ok(Expr {
                kind: ExprKind::Range(Box::new(first), Box::new(hi)),
                span,
            });
        }
        items.push(first);
        loop {
            if self.check(&Tok::Comma) {
                self.bump();
                if self.check(&Tok::RBracket) {
                    break;
                }
                items.push(self.parse_expr()?);
            } else if self.check(&Tok::RBracket) {
                break;
            } else {
                let line = open.span.line;
                return Err(
                    self.unexpected(&format!("',' or ']' in the list opened at line {line}"))
                );
            }
        }
        self.bump();
        Ok(Expr {
            kind: ExprKind::List(items),
            span,
        })
    }

    /// `{k: v, ...}`; a bare identifier key is the string of its name (upstream behaviour).
    fn parse_map(&mut self) -> PResult<Expr> {
        let open = self.bump();
        let span = open.span;
        let mut pairs = Vec::new();
        loop {
            if self.check(&Tok::RBrace) {
                self.bump();
                return Ok(Expr {
                    kind: ExprKind::Map(pairs),
                    span,
                });
            }
            let mut key = self.parse_expr()?;
            if let ExprKind::Ident(name) = &key.kind {
                key = Expr {
                    kind: ExprKind::Str(name.clone()),
                    span: key.span,
                };
            }
            self.expect(&Tok::Colon, "':' after the hashmap key")?;
            let value = self.parse_expr()?;
            pairs.push((key, value));
            if self.check(&Tok::Comma) {
                self.bump();
            } else if !self.check(&Tok::RBrace) {
                let line = open.span.line;
                return Err(
                    self.unexpected(&format!("',' or '}}' in the hashmap opened at line {line}"))
                );
            }
        }
    }

    /// `with [(params)] [: hint] do ... end`.
    fn parse_with_lambda(&mut self) -> PResult<Expr> {
        let opener = self.bump();
        let params = if self.check(&Tok::LParen) {
            self.parse_params()?
        } else {
            Vec::new()
        };
        self.skip_return_hint()?;
        self.expect_kw(Kw::Do, "'do' to start the lambda body")?;
        let body = self.parse_nested_block(&[Kw::End], false)?;
        self.expect_end(&opener)?;
        let def = FnDef {
            name: None,
            params,
            body,
            span: opener.span,
        };
        Ok(Expr {
            kind: ExprKind::Lambda(Rc::new(def)),
            span: opener.span,
        })
    }

    /// `do (params) [: hint] ... end` and `do (params) => statement [end]`.
    fn parse_do_lambda(&mut self) -> PResult<Expr> {
        let opener = self.bump();
        if !self.check(&Tok::LParen) {
            return Err(self.unexpected("'(' and parameters after 'do' (use 'with do ... end' for a lambda without parameters)"));
        }
        let params = self.parse_params()?;
        self.skip_return_hint()?;
        let body = if self.check_op(Op::Arrow) {
            self.bump();
            let stmt = self.nested(|p| p.parse_statement(false))?;
            // The optional `end` is taken only on the same line, so that a following block's
            // `end` is not swallowed (`f = do (x) => x + 1` as the last statement of a fn).
            if self.check_kw(Kw::End) && self.on_same_line() {
                self.bump();
            }
            vec![stmt]
        } else {
            let body = self.parse_nested_block(&[Kw::End], false)?;
            self.expect_end(&opener)?;
            body
        };
        let def = FnDef {
            name: None,
            params,
            body,
            span: opener.span,
        };
        Ok(Expr {
            kind: ExprKind::Lambda(Rc::new(def)),
            span: opener.span,
        })
    }

    /// `case [subject] [as name] when c1, c2: body ... else body end`.
    fn parse_case(&mut self) -> PResult<Expr> {
        let opener = self.bump();
        let subject = if self.check_kw(Kw::When) || self.check_kw(Kw::As) || self.check_kw(Kw::Else)
        {
            None
        } else {
            Some(Box::new(self.parse_expr()?))
        };
        let alias = if self.check_kw(Kw::As) {
            self.bump();
            Some(self.parse_binding_name("a name after 'as'")?)
        } else {
            None
        };
        let mut whens = Vec::new();
        while self.check_kw(Kw::When) {
            self.bump();
            let mut conds = Vec::new();
            loop {
                let value = self.parse_expr()?;
                if self.check_kw(Kw::To) || self.check(&Tok::DotDot) {
                    self.bump();
                    let hi = self.parse_expr()?;
                    conds.push(CaseCond::Range(value, hi));
                } else {
                    conds.push(CaseCond::Value(value));
                }
                if !self.check(&Tok::Comma) {
                    break;
                }
                self.bump();
            }
            if self.check(&Tok::Colon) {
                self.bump();
            }
            let body = self.parse_nested_block(&[Kw::When, Kw::Else, Kw::End], true)?;
            whens.push(WhenClause { conds, body });
        }
        let else_body = if self.check_kw(Kw::Else) {
            self.bump();
            if self.check(&Tok::Colon) {
                self.bump();
            }
            Some(self.parse_nested_block(&[Kw::End], true)?)
        } else {
            None
        };
        self.expect_end(&opener)?;
        Ok(Expr {
            kind: ExprKind::Case {
                subject,
                alias,
                whens,
                else_body,
            },
            span: opener.span,
        })
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
