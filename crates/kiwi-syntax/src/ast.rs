//! The abstract syntax tree produced by the parser and consumed by the compiler.
//!
//! Every node carries the [`Span`] of its first token so that runtime errors can point at
//! `file:line:column`. The tree is deliberately close to the surface syntax of
//! `kiwi-subset.md`; desugaring (hoisting, scope analysis, guard rewriting) is the compiler's job.

use std::rc::Rc;

use crate::span::Span;

/// A parsed source file: its top-level statements in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Program {
    /// Top-level statements.
    pub body: Block,
}

/// A sequence of statements (a block ends at `end`, `else`, `catch`, ... in the source).
pub type Block = Vec<Stmt>;

/// A statement with the span of its first token.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What kind of statement this is.
    pub kind: StmtKind,
    /// Where it starts.
    pub span: Span,
}

/// The statement forms of §3.4, §4, §5, §6 and §7.
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its value (the last one in a function is its result).
    Expr(Expr),
    /// `a = e`, `a += e`, `x[i] = e`, `h.k = e`, `a, b = e1, e2`.
    /// For multiple assignment `op` is always [`AssignOp::Assign`] and every target is a name.
    Assign {
        /// One or more targets (more than one only for pack assignment).
        targets: Vec<AssignTarget>,
        /// `=` or a compound operator.
        op: AssignOp,
        /// One or more right-hand expressions.
        values: Vec<Expr>,
    },
    /// `const NAME = expr`.
    Const {
        /// The constant's name (all upper-case).
        name: String,
        /// Its value.
        value: Expr,
    },
    /// `var x`, `var x: T = v`, `var (a = 1, b: list)`.
    Var(Vec<VarDecl>),
    /// `print e`, `println e`, `eprint e`, `eprintln e`.
    Print {
        /// Write to stderr instead of stdout.
        stderr: bool,
        /// Append a newline.
        newline: bool,
        /// The one expression printed.
        value: Expr,
    },
    /// `if c ... elsif c ... else ... end`.
    If {
        /// `(condition, body)` for the `if` and every `elsif`, in order.
        branches: Vec<(Expr, Block)>,
        /// The `else` body.
        else_body: Option<Block>,
    },
    /// `while cond do ... end` (the condition may be an assignment expression).
    While {
        /// Re-evaluated before each iteration.
        cond: Expr,
        /// Loop body.
        body: Block,
    },
    /// `for x in coll do ... end` / `for x, i in coll do ... end`.
    For {
        /// The element (or key) variable.
        var: String,
        /// The optional second variable (index, or value for hashmaps).
        second: Option<String>,
        /// The collection expression, evaluated once.
        iterable: Expr,
        /// Loop body.
        body: Block,
    },
    /// `repeat n do ... end` / `repeat n as i do ... end`.
    Repeat {
        /// Number of iterations, evaluated once.
        count: Expr,
        /// The 1-based counter variable, if any.
        alias: Option<String>,
        /// Loop body.
        body: Block,
    },
    /// `break`.
    Break,
    /// `next`.
    Next,
    /// `return` / `return v`.
    Return(Option<Expr>),
    /// `throw` / `throw v`.
    Throw(Option<Expr>),
    /// `exit` / `exit code`.
    Exit(Option<Expr>),
    /// `try ... catch ... finally ... end`.
    Try {
        /// The protected body.
        body: Block,
        /// The catch clause, if present.
        catch: Option<CatchClause>,
        /// The finally body, if present.
        finally: Option<Block>,
    },
    /// `fn name(params) ... end` (also `def`).
    FnDef(Rc<FnDef>),
    /// `package name ... end`; `path` has more than one element for `package a::b`.
    Package {
        /// The package name segments.
        path: Vec<String>,
        /// The package body, run when the definition executes.
        body: Block,
    },
    /// `export "name"`.
    Export(Expr),
    /// `require "name"` / `require name` (a bare name is kept as a string expression).
    Require(Expr),
    /// `...` (no-op).
    Pass,
    /// `stmt when cond` and `stmt when cond else other`.
    /// For a guarded assignment with `else expr`, the parser builds `otherwise` as the same
    /// assignment with `expr` as its value.
    Guarded {
        /// The statement that runs when `cond` is truthy.
        stmt: Box<Stmt>,
        /// The guard.
        cond: Expr,
        /// The statement that runs otherwise.
        otherwise: Option<Box<Stmt>>,
    },
    /// `yield` / `yield value`: hands a value to the `for` loop consuming this generator.
    Yield(Option<Expr>),
    /// `[abstract] struct Name [< Base] ... end`.
    Struct(Rc<StructDef>),
    /// `enum Name` with one member per line (`Member` or `Member = expr`), then `end`.
    Enum {
        /// The enum's name (a global, even when defined inside a function).
        name: String,
        /// Members in order, with their explicit values.
        members: Vec<(String, Option<Expr>)>,
    },
    /// `@deco(args)` lines, then `fn name ... end`: the function is defined (and hoisted) as
    /// usual; where the definition stands, `apply` rebinds the name to the decorated value.
    Decorated {
        /// The function as written.
        def: Rc<FnDef>,
        /// `name = decoN(...(deco1(name, args1)...), argsN)`: decorators applied bottom-up.
        apply: Box<Stmt>,
    },
}

/// A struct definition.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// The struct's name.
    pub name: String,
    /// The base struct's name.
    pub base: Option<String>,
    /// `abstract struct`: cannot be instantiated.
    pub is_abstract: bool,
    /// Methods in order; each takes the instance `@` as its first parameter.
    pub methods: Vec<MethodDef>,
    /// `static @name = value` declarations in order.
    pub statics: Vec<(String, Option<Expr>)>,
    /// `@name = value` declarations in order: instance variables every new instance starts
    /// with (the value is evaluated once, at the definition; each instance gets a copy).
    pub fields: Vec<(String, Option<Expr>)>,
}

/// The name a method's decorators refer to the undecorated method by (not a name a script
/// can write).
pub const DECORATED_METHOD: &str = "@method";

/// A method of a struct.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodDef {
    /// The function; its first parameter is `@`.
    pub def: Rc<FnDef>,
    /// `static fn`.
    pub is_static: bool,
    /// `private fn`: callable only from methods of the same struct chain.
    pub is_private: bool,
    /// `abstract fn`: must be implemented by a concrete struct below.
    pub is_abstract: bool,
    /// With `@deco` lines: the decorated method, an expression over the undecorated one
    /// (named `@method`), which the struct stores instead.
    pub decorated: Option<Expr>,
}

/// One declaration in a `var` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct VarDecl {
    /// The variable name.
    pub name: String,
    /// The type hint, e.g. `"integer"` (used only for the zero value when there is no initialiser).
    pub hint: Option<String>,
    /// The initial value.
    pub value: Option<Expr>,
    /// Where the name is.
    pub span: Span,
}

/// The left-hand side of an assignment.
#[derive(Debug, Clone, PartialEq)]
pub enum AssignTarget {
    /// A plain name.
    Name(String, Span),
    /// `pkg::name` (assigns the package variable).
    Path(Vec<String>, Span),
    /// `obj[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `obj.name` (hashmap key `"name"`).
    Member(Box<Expr>, String),
    /// `list[start:stop:step]` (each part optional): replaces that part of a list.
    Slice {
        /// The list.
        obj: Box<Expr>,
        /// Start index.
        start: Option<Box<Expr>>,
        /// Stop index.
        stop: Option<Box<Expr>>,
        /// Step.
        step: Option<Box<Expr>>,
    },
}

/// `=` or a compound assignment operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignOp {
    /// `=` (and the deprecated `=<`).
    Assign,
    /// `op=` for the binary operator.
    Compound(BinOp),
}

/// A `catch` clause: `catch e`, `catch (t, m)`, or bare `catch`.
#[derive(Debug, Clone, PartialEq)]
pub struct CatchClause {
    /// Single name: binds the error hashmap. Two names: type string, message string.
    pub names: Vec<String>,
    /// Handler body.
    pub body: Block,
}

/// A named function or a lambda.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDef {
    /// The name (`None` for lambdas).
    pub name: Option<String>,
    /// Parameters in order; a `*rest` parameter, if any, is last.
    pub params: Vec<Param>,
    /// The body; its last statement's value is the implicit return value.
    pub body: Block,
    /// Where `fn`/`with`/`do` is.
    pub span: Span,
    /// The return type hint (`: integer|string`), as written with `|` between types;
    /// unchecked (§5.1), shown by `returns()`.
    pub return_hint: Option<String>,
}

/// One formal parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Parameter name.
    pub name: String,
    /// Default value, evaluated in the callee whenever the slot is `null`.
    pub default: Option<Expr>,
    /// `*rest`: collects extra positional arguments into a list.
    pub rest: bool,
    /// The type hint (`p: integer|string`), unchecked, shown by `parameters()`.
    pub hint: Option<String>,
}

/// An expression with the span of its first (or operator) token.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What kind of expression this is.
    pub kind: ExprKind,
    /// Where it is. For binary operators and calls this is the operator/paren position.
    pub span: Span,
}

/// One `op operand` step of an [`ExprKind::Chain`].
#[derive(Debug, Clone, PartialEq)]
pub struct ChainLink {
    /// The operator.
    pub op: BinOp,
    /// Its right operand.
    pub rhs: Expr,
    /// Where the operator is.
    pub span: Span,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Integer literal.
    Int(i64),
    /// Float literal.
    Float(f64),
    /// A string literal with no interpolation (escapes already decoded).
    Str(String),
    /// An interpolated string: literal text and `${expr}` parts in order.
    Interp(Vec<InterpPart>),
    /// A byte literal: `Ok(bytes)` or `Err(message)` for a non-ASCII/bad literal, which raises
    /// `KiwiError` with that message when evaluated.
    Bytes(Result<Vec<u8>, String>),
    /// A type name used as a value (`string`, `none` → `"null"`): already the resulting string.
    TypeName(String),
    /// A plain identifier.
    Ident(String),
    /// `pkg::name` or `a::b::name` (two or more segments).
    Path(Vec<String>),
    /// `[a, b, c]`.
    List(Vec<Expr>),
    /// `{k: v, ...}`.
    Map(Vec<(Expr, Expr)>),
    /// `[a to b]` / `[a..b]`.
    Range(Box<Expr>, Box<Expr>),
    /// Prefix operator.
    Unary(UnOp, Box<Expr>),
    /// Infix operator (including the short-circuit `&&`, `||` and `??`).
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A left-associative run of two or more infix operators, `a op1 b op2 c ...`, meaning
    /// `((a op1 b) op2 c) ...`: kept flat so that a long run (10,000 terms) is no deeper
    /// than one operator for the parser's nesting bound and for every walk over the tree.
    /// Each operator keeps its own span.
    Chain(Box<Expr>, Vec<ChainLink>),
    /// `c ? a : b`.
    Ternary(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `f(args)`.
    Call(Box<Expr>, Vec<Arg>),
    /// `obj.name(args)`.
    MethodCall(Box<Expr>, String, Vec<Arg>),
    /// `obj.name` (hashmap key read).
    Member(Box<Expr>, String),
    /// `obj[index]`.
    Index(Box<Expr>, Box<Expr>),
    /// `obj[]` (the object itself).
    IndexAll(Box<Expr>),
    /// `obj[start:stop:step]`, each part optional.
    Slice {
        /// Sliced value.
        obj: Box<Expr>,
        /// Start index.
        start: Option<Box<Expr>>,
        /// Stop index (exclusive).
        stop: Option<Box<Expr>>,
        /// Step.
        step: Option<Box<Expr>>,
    },
    /// A lambda (`with (x) do ... end`, `do (x) ... end`, `do (x) => e`).
    Lambda(Rc<FnDef>),
    /// `case [subject] [as name] when ... else ... end`.
    Case {
        /// The subject, evaluated once (`None`: each condition is tested for truthiness).
        subject: Option<Box<Expr>>,
        /// `as name` binding of the subject.
        alias: Option<String>,
        /// The `when` clauses in order.
        whens: Vec<WhenClause>,
        /// The `else` body.
        else_body: Option<Block>,
    },
    /// `import "name"` (an expression yielding a package value).
    Import(Box<Expr>),
    /// `include path`: runs another file once (its definitions are global); the value of its
    /// first `package`, else `null`.
    Include(Box<Expr>),
    /// An assignment used as an expression (`while v = ch.recv() do`): yields the assigned value.
    Assign(Box<Stmt>),
}

/// One piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum InterpPart {
    /// Literal text.
    Lit(String),
    /// `${expr}`; `None` for an empty `${}`.
    Expr(Option<Expr>),
}

/// One `when` clause of a `case`.
#[derive(Debug, Clone, PartialEq)]
pub struct WhenClause {
    /// Comma-separated conditions; any match selects the clause.
    pub conds: Vec<CaseCond>,
    /// The clause body.
    pub body: Block,
}

/// A `case` condition.
#[derive(Debug, Clone, PartialEq)]
pub enum CaseCond {
    /// Matches if `subject == value` (or, without a subject, if the value is truthy).
    Value(Expr),
    /// `lo to hi` / `lo..hi`: matches if `lo <= subject <= hi`.
    Range(Expr, Expr),
}

/// A call argument.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A positional argument.
    Pos(Expr),
    /// `name = value` or `name: value`.
    Named(String, Expr),
    /// `*list`.
    Splat(Expr),
}

/// Prefix operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`.
    Neg,
    /// `!x` / `not x`.
    Not,
    /// `~x`.
    BitNot,
}

/// Infix operators, including the short-circuit forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `//`
    FloorDiv,
    /// `%`
    Mod,
    /// `**`
    Pow,
    /// `<<`
    Shl,
    /// `>>`
    Shr,
    /// `>>>`
    UShr,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `in`
    In,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&`
    BitAnd,
    /// `^`
    BitXor,
    /// `|`
    BitOr,
    /// `&&` / `and` (short-circuit, yields an operand)
    And,
    /// `||` / `or` (short-circuit, yields an operand)
    Or,
    /// `??` (evaluates both sides)
    Coalesce,
}

impl StmtKind {
    /// The function a `fn` statement defines, decorated or not.
    pub fn fn_def(&self) -> Option<&Rc<FnDef>> {
        match self {
            StmtKind::FnDef(def) | StmtKind::Decorated { def, .. } => Some(def),
            _ => None,
        }
    }
}

impl BinOp {
    /// The operator as written in source, for messages.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::FloorDiv => "//",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::UShr => ">>>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::BitAnd => "&",
            BinOp::BitXor => "^",
            BinOp::BitOr => "|",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Coalesce => "??",
        }
    }
}
