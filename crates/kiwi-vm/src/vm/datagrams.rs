//! Received datagrams as Kiwi values: `{data, from_host, from_port}`, built so that an echo
//! server's every turn allocates as little as it can.

use crate::text::Text;
use std::cell::RefCell;
use std::net::{IpAddr, SocketAddr};
use std::rc::Rc;

use crate::compiler::Globals;
use crate::value::{Key, Map, Value};

/// What the interpreter keeps between datagrams.
#[derive(Default)]
pub(crate) struct Datagrams {
    /// The last sender's IP and its text: a server hears the same few peers again and again,
    /// and strings are immutable to scripts, so the text is shared.
    last_peer: Option<(IpAddr, Rc<Text>)>,
    /// The field names, interned as the script's own `p["data"]` constants are, once looked up.
    keys: Option<[Rc<Text>; 3]>,
    /// The last two hashmaps handed out, and which of them goes next.
    recent: [Option<Rc<RefCell<Map>>>; 2],
    next: usize,
}

impl Datagrams {
    /// `data` from `from` as `{data, from_host, from_port}`.
    ///
    /// A receive loop (`p = s.recv_bytes()`) still holds the previous datagram while the next
    /// comes, and has let go of the one before: that one is filled again rather than a new
    /// hashmap (and byte array) made and the old one freed. Only a map no one else holds, with
    /// its three fields as they were, is reused, so no script can tell.
    pub(crate) fn value(&mut self, names: &mut Globals, data: Vec<u8>, from: SocketAddr) -> Value {
        let host = match &self.last_peer {
            Some((ip, text)) if *ip == from.ip() => text.clone(),
            _ => {
                // As scripts see a peer: an IPv4-mapped address (a dual-stack socket's IPv4
                // peer) as plain IPv4.
                let text = Rc::new(Text::from(from.ip().to_canonical().to_string()));
                self.last_peer = Some((from.ip(), text.clone()));
                text
            }
        };
        let port = Value::Int(i64::from(from.port()));
        let keys = self
            .keys
            .get_or_insert_with(|| ["data", "from_host", "from_port"].map(|k| names.string(k)));
        let slot = &mut self.recent[self.next];
        self.next ^= 1;
        if let Some(map) = slot {
            if Rc::strong_count(map) == 1 && holds_fields(&map.borrow(), keys) {
                let mut m = map.borrow_mut();
                if let Some((_, v)) = m.entry_at_mut(0) {
                    *v = reuse_bytes(std::mem::take(v), data);
                }
                if let Some((_, v)) = m.entry_at_mut(1) {
                    *v = Value::Str(host);
                }
                if let Some((_, v)) = m.entry_at_mut(2) {
                    *v = port;
                }
                drop(m);
                return Value::Map(map.clone());
            }
        }
        let [data_key, host_key, port_key] = keys.clone();
        let mut map = Map::with_capacity(3);
        map.insert_new(Key(Value::Str(data_key)), Value::bytes(data));
        map.insert_new(Key(Value::Str(host_key)), Value::Str(host));
        map.insert_new(Key(Value::Str(port_key)), port);
        let map = Rc::new(RefCell::new(map));
        *slot = Some(map.clone());
        Value::Map(map)
    }
}

/// Whether `map` (a datagram hashmap handed out before) still holds exactly the three fields
/// in their order, so that setting the values makes it a new datagram's.
fn holds_fields(map: &Map, keys: &[Rc<Text>; 3]) -> bool {
    map.len() == 3
        && keys.iter().enumerate().all(|(i, key)| {
            matches!(map.entry_at(i), Some((Key(Value::Str(k)), _)) if Rc::ptr_eq(k, key))
        })
}

/// `data` as the datagram's byte array: in `old`'s allocation when nothing else holds it.
fn reuse_bytes(old: Value, data: Vec<u8>) -> Value {
    match old {
        Value::Bytes(b) if Rc::strong_count(&b) == 1 => {
            *b.borrow_mut() = data;
            Value::Bytes(b)
        }
        _ => Value::bytes(data),
    }
}
