//! The `xml` package (upstream's `docs/lib/xml.md`): parsing on quick-xml into a tree the
//! Kiwi part (`kiwi/xml.kiwi`) turns into `XmlNode`s. Entities are decoded, end tags must
//! match, and malformed input is an `XmlError` with its line and column. Text that is only
//! whitespace between elements is dropped (as upstream's parser does). Files and large
//! strings are parsed on the blocking pool.

use std::path::PathBuf;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use kiwi_vm::methods::check;
use kiwi_vm::native::{Arity, NativeFn, Package};
use kiwi_vm::net::Plain;
use kiwi_vm::value::Value;

use crate::fio::{read_failed, text_of};

/// The `xml` natives.
pub const PACKAGE: Package = Package {
    name: "xml",
    functions: &[
        NativeFn::cx("_parse", Arity::exactly(1), |cx, a| {
            let text = check::str_arg("xml::parse", a, 0)?.to_string();
            crate::offload(cx, text.len(), move || tree(&text))
        }),
        NativeFn::cx("_parse_file", Arity::exactly(1), |cx, a| {
            let path = PathBuf::from(check::str_arg("xml::parse_file", a, 0)?.as_str());
            cx.run_blocking(Box::new(move || {
                let bytes = std::fs::read(&path).map_err(|e| read_failed(&path, e))?;
                tree(&text_of(bytes))
            }))
        }),
        NativeFn::pure("escape", Arity::exactly(1), |a| {
            let text = check::str_arg("xml::escape", a, 0)?;
            Ok(Value::str(quick_xml::escape::escape(text.as_str())))
        }),
    ],
};

/// The Kiwi part (`XmlNode`, `XmlPipeline`, `parse`, `parse_file`).
pub const SOURCE: &str = include_str!("kiwi/xml.kiwi");

/// Deepest element nesting accepted (the tree is built without recursion, but the Kiwi side
/// walks it recursively).
const MAX_DEPTH: usize = 4096;

use crate::JobError as Failure;

/// An element being read: its tag, attributes, and children so far.
type OpenElement = (String, Vec<(String, Plain)>, Vec<Plain>);

/// One node: `{"tag", "attrs", "children", "content"}`.
fn node(tag: String, attrs: Vec<(String, Plain)>, children: Vec<Plain>, content: String) -> Plain {
    Plain::Map(vec![
        ("tag".into(), Plain::Str(tag)),
        ("attrs".into(), Plain::Map(attrs)),
        ("children".into(), Plain::List(children)),
        ("content".into(), Plain::Str(content)),
    ])
}

fn leaf(tag: &str, content: String) -> Plain {
    node(tag.into(), Vec::new(), Vec::new(), content)
}

/// The document's root element as a node tree.
fn tree(text: &str) -> Result<Plain, Failure> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut open: Vec<OpenElement> = Vec::new();
    let mut root = None;
    let fail = |reader: &Reader<&[u8]>, message: String| -> Failure {
        let at = (reader.error_position() as usize).min(text.len());
        let before = &text[..text.floor_char_boundary_compat(at)];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        (
            "XmlError",
            format!("{message} (line {line}, column {column})"),
        )
    };
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => return Err(fail(&reader, format!("Malformed XML: {e}"))),
        };
        let finished = match event {
            Event::Start(e) => {
                if open.len() >= MAX_DEPTH {
                    return Err(fail(
                        &reader,
                        format!("XML nested deeper than {MAX_DEPTH} elements"),
                    ));
                }
                let (tag, attrs) = element(&e).map_err(|m| fail(&reader, m))?;
                open.push((tag, attrs, Vec::new()));
                None
            }
            Event::Empty(e) => {
                let (tag, attrs) = element(&e).map_err(|m| fail(&reader, m))?;
                Some(node(tag, attrs, Vec::new(), String::new()))
            }
            Event::End(_) => match open.pop() {
                Some((tag, attrs, children)) => Some(node(tag, attrs, children, String::new())),
                None => return Err(fail(&reader, "Unexpected end tag".into())),
            },
            Event::Text(e) => {
                let text = e
                    .unescape()
                    .map_err(|e| fail(&reader, format!("Malformed XML: {e}")))?;
                if let Some(parent) = open.last_mut() {
                    if !text.trim().is_empty() {
                        parent.2.push(leaf("#text", text.into_owned()));
                    }
                }
                None
            }
            Event::CData(e) => {
                if let Some(parent) = open.last_mut() {
                    parent
                        .2
                        .push(leaf("#cdata", String::from_utf8_lossy(&e).into_owned()));
                }
                None
            }
            Event::Comment(e) => {
                if let Some(parent) = open.last_mut() {
                    parent
                        .2
                        .push(leaf("#comment", String::from_utf8_lossy(&e).into_owned()));
                }
                None
            }
            Event::PI(e) => {
                if let Some(parent) = open.last_mut() {
                    let name = String::from_utf8_lossy(e.target()).into_owned();
                    let body = String::from_utf8_lossy(e.content()).trim().to_string();
                    parent.2.push(node(
                        "#pi".into(),
                        vec![("name".into(), Plain::Str(name))],
                        Vec::new(),
                        body,
                    ));
                }
                None
            }
            Event::Decl(_) | Event::DocType(_) => None,
            Event::Eof => {
                if let Some((tag, _, _)) = open.last() {
                    return Err(fail(&reader, format!("Unclosed element <{tag}>")));
                }
                break;
            }
        };
        if let Some(done) = finished {
            match open.last_mut() {
                Some(parent) => parent.2.push(done),
                None if root.is_none() => root = Some(done),
                None => return Err(fail(&reader, "More than one root element".into())),
            }
        }
    }
    root.ok_or_else(|| ("XmlError", "The XML has no root element".to_string()))
}

/// An element's name and attributes (entities decoded).
fn element(e: &BytesStart<'_>) -> Result<(String, Vec<(String, Plain)>), String> {
    let tag = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in e.attributes() {
        let attr = attr.map_err(|e| format!("Malformed attribute in <{tag}>: {e}"))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|e| format!("Malformed attribute value in <{tag}>: {e}"))?;
        attrs.push((key, Plain::Str(value.into_owned())));
    }
    Ok((tag, attrs))
}

/// `str::floor_char_boundary` (not stable at the MSRV).
trait FloorBoundary {
    fn floor_char_boundary_compat(&self, at: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut at: usize) -> usize {
        while at > 0 && !self.is_char_boundary(at) {
            at -= 1;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field<'a>(p: &'a Plain, key: &str) -> &'a Plain {
        let Plain::Map(fields) = p else {
            panic!("a node")
        };
        &fields.iter().find(|(k, _)| k == key).expect("field").1
    }

    #[test]
    fn nodes_and_entities() {
        let t = tree("<?xml version=\"1.0\"?><r a=\"x &amp; y\"><!--c--><![CDATA[<raw>]]>\n  <b>1 &lt; 2</b></r>")
            .expect("parses");
        assert!(matches!(field(&t, "tag"), Plain::Str(s) if s == "r"));
        let Plain::Map(attrs) = field(&t, "attrs") else {
            panic!()
        };
        assert!(matches!(&attrs[0].1, Plain::Str(s) if s == "x & y"));
        let Plain::List(children) = field(&t, "children") else {
            panic!()
        };
        assert_eq!(
            children.len(),
            3,
            "comment, cdata, element; no whitespace text"
        );
        assert!(matches!(field(&children[1], "content"), Plain::Str(s) if s == "<raw>"));
    }

    #[test]
    fn errors_name_line_and_column() {
        let (kind, message) = tree("<a>\n<b></a>").expect_err("mismatched");
        assert_eq!(kind, "XmlError");
        assert!(message.contains("line 2"), "{message}");
        assert!(tree("<a>").is_err());
        assert!(tree("").is_err());
        assert!(tree("<a/><b/>").is_err());
    }
}
