//! Token kinds produced by the lexer.
//!
//! There is no newline token: every token instead records the line it starts on and the line it
//! ends on (strings may span lines), which is all the parser needs for the line rules of §1.7.

use crate::span::Span;

/// One lexical token with its position.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub kind: Tok,
    /// Position of the first character.
    pub span: Span,
    /// Line of the last character (differs from `span.line` only for multi-line strings).
    pub end_line: u32,
}

/// A piece of a string literal as written in the source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum StrPart {
    /// Literal text, escapes already decoded.
    Lit(String),
    /// The raw source text between `${` and its matching `}`, with the position of its first
    /// character so the sub-parser can report positions in the original file.
    Code { text: String, line: u32, col: u32 },
}

/// Token kinds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    Kw(Kw),
    /// A type name word (`string`, `none`, ...), kept as written.
    Type(&'static str),
    Int(i64),
    Float(f64),
    Str(Vec<StrPart>),
    Bytes(Result<Vec<u8>, String>),
    Op(Op),
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Dot,
    DotDot,
    Ellipsis,
    Colon,
    ColonColon,
    At,
    AtAt,
    /// Something the lexer already reported; the parser stays quiet about it.
    Error,
    Eof,
}

macro_rules! keywords {
    ($($variant:ident = $text:literal,)*) => {
        /// Reserved words (including the logical words and literal words).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Kw { $($variant,)* }

        impl Kw {
            pub fn from_word(word: &str) -> Option<Kw> {
                match word {
                    $($text => Some(Kw::$variant),)*
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kw::$variant => $text,)*
                }
            }
        }
    };
}

keywords! {
    Abstract = "abstract", As = "as", Break = "break", Case = "case", Catch = "catch",
    Const = "const", Def = "def", Do = "do", Else = "else", Elsif = "elsif", Emit = "emit",
    End = "end", Enum = "enum", Eprint = "eprint", Eprintln = "eprintln", Eval = "eval",
    Exit = "exit", Export = "export", False = "false", Finally = "finally", Fn = "fn",
    For = "for", If = "if", Import = "import", In = "in", Include = "include",
    Interface = "interface", Next = "next", Null = "null", Off = "off", On = "on",
    Once = "once", Override = "override", Package = "package", Print = "print",
    Println = "println", Printxy = "printxy", Private = "private", Repeat = "repeat",
    Require = "require", Return = "return", Static = "static", Struct = "struct",
    Super = "super", Throw = "throw", To = "to", True = "true", Try = "try", Var = "var",
    When = "when", While = "while", With = "with", Yield = "yield", And = "and", Or = "or",
    Not = "not",
}

/// The type-name words of §1.2.
pub(crate) const TYPE_NAMES: [&str; 14] = [
    "any",
    "boolean",
    "bytes",
    "date",
    "float",
    "generator",
    "hashmap",
    "integer",
    "lambda",
    "list",
    "none",
    "object",
    "pointer",
    "string",
];

macro_rules! operators {
    ($($variant:ident = $text:literal,)*) => {
        /// The fixed operator set of §1.6.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Op { $($variant,)* }

        impl Op {
            pub fn from_run(run: &str) -> Option<Op> {
                match run {
                    $($text => Some(Op::$variant),)*
                    _ => None,
                }
            }

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Op::$variant => $text,)*
                }
            }
        }
    };
}

operators! {
    Assign = "=", Eq = "==", Ne = "!=", Lt = "<", Le = "<=", Gt = ">", Ge = ">=",
    Plus = "+", Minus = "-", Star = "*", Slash = "/", SlashSlash = "//", Percent = "%",
    StarStar = "**", PlusEq = "+=", MinusEq = "-=", StarEq = "*=", SlashEq = "/=",
    SlashSlashEq = "//=", PercentEq = "%=", StarStarEq = "**=", AndAnd = "&&", OrOr = "||",
    Bang = "!", Amp = "&", Pipe = "|", Caret = "^", Tilde = "~", Shl = "<<", Shr = ">>",
    UShr = ">>>", AmpEq = "&=", PipeEq = "|=", CaretEq = "^=", TildeEq = "~=", ShlEq = "<<=",
    ShrEq = ">>=", UShrEq = ">>>=", AndAndEq = "&&=", OrOrEq = "||=", Coalesce = "??",
    Question = "?", Arrow = "=>", Unpack = "=<",
}

/// Characters that make up operator runs.
pub(crate) fn is_op_char(c: char) -> bool {
    matches!(
        c,
        '!' | '+' | '-' | '*' | '/' | '%' | '=' | '<' | '>' | '&' | '|' | '^' | '~' | '?'
    )
}

impl Tok {
    /// A short human-readable rendering for error messages.
    pub fn describe(&self) -> String {
        match self {
            Tok::Ident(name) => format!("'{name}'"),
            Tok::Kw(kw) => format!("'{}'", kw.as_str()),
            Tok::Type(name) => format!("'{name}'"),
            Tok::Int(v) => format!("'{v}'"),
            Tok::Float(v) => format!("'{v}'"),
            Tok::Str(_) => "string literal".to_string(),
            Tok::Bytes(_) => "byte literal".to_string(),
            Tok::Op(op) => format!("'{}'", op.as_str()),
            Tok::LParen => "'('".to_string(),
            Tok::RParen => "')'".to_string(),
            Tok::LBracket => "'['".to_string(),
            Tok::RBracket => "']'".to_string(),
            Tok::LBrace => "'{'".to_string(),
            Tok::RBrace => "'}'".to_string(),
            Tok::Comma => "','".to_string(),
            Tok::Dot => "'.'".to_string(),
            Tok::DotDot => "'..'".to_string(),
            Tok::Ellipsis => "'...'".to_string(),
            Tok::Colon => "':'".to_string(),
            Tok::ColonColon => "'::'".to_string(),
            Tok::At => "'@'".to_string(),
            Tok::AtAt => "'@@'".to_string(),
            Tok::Error => "invalid token".to_string(),
            Tok::Eof => "end of file".to_string(),
        }
    }

    /// The word, if this token is an identifier, keyword or type name (member names after `.`
    /// and path segments after `::` may be any of these).
    pub fn word(&self) -> Option<&str> {
        match self {
            Tok::Ident(name) => Some(name),
            Tok::Kw(kw) => Some(kw.as_str()),
            Tok::Type(name) => Some(name),
            _ => None,
        }
    }
}
