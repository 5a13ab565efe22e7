//! Plain data trees: what the protocol operations (HTTP, UDP, SMTP) hand back, for the host
//! to turn into script values.

/// A value with no behaviour: a response, a request, a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Nothing.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// UTF-8 text.
    Str(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// A list.
    List(Vec<Record>),
    /// Named fields, in order.
    Map(Vec<(String, Record)>),
}

impl Record {
    /// A string record.
    pub fn str(s: impl Into<String>) -> Record {
        Record::Str(s.into())
    }

    /// `bytes` as text when they are UTF-8, else as bytes.
    pub fn text_or_bytes(bytes: Vec<u8>) -> Record {
        match String::from_utf8(bytes) {
            Ok(s) => Record::Str(s),
            Err(e) => Record::Bytes(e.into_bytes()),
        }
    }

    /// A map of string pairs.
    pub fn string_map(pairs: impl IntoIterator<Item = (String, String)>) -> Record {
        Record::Map(
            pairs
                .into_iter()
                .map(|(k, v)| (k, Record::Str(v)))
                .collect(),
        )
    }
}
