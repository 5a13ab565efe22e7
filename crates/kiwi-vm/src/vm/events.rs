//! The event bus behind `on`, `once`, `off` and `emit` (objects brief §8). Registration and
//! lookup live here; running the handlers is `__kiwi_emit` in the prelude, so a handler is an
//! ordinary frame that may await, sleep or use channels.

use std::rc::Rc;

use super::Interp;
use crate::error::{KResult, KiwiError};
use crate::function::Closure;
use crate::value::Value;

/// The handlers registered under one pattern, highest priority first, FIFO among equals.
struct Group {
    pattern: String,
    handlers: Vec<Registration>,
}

struct Registration {
    priority: i64,
    handler: Rc<Closure>,
    once: bool,
}

/// Every registered handler, grouped by pattern in the order patterns were first registered.
#[derive(Default)]
pub(crate) struct EventBus {
    groups: Vec<Group>,
}

impl EventBus {
    fn on(&mut self, pattern: &str, handler: Rc<Closure>, priority: i64, once: bool) {
        let registration = Registration {
            priority,
            handler,
            once,
        };
        let group = match self.groups.iter_mut().position(|g| g.pattern == pattern) {
            Some(i) => &mut self.groups[i],
            None => {
                self.groups.push(Group {
                    pattern: pattern.to_string(),
                    handlers: Vec::new(),
                });
                self.groups.last_mut().expect("just pushed")
            }
        };
        // After every handler of the same or a higher priority: FIFO among equals.
        let at = group
            .handlers
            .iter()
            .position(|r| r.priority < priority)
            .unwrap_or(group.handlers.len());
        group.handlers.insert(at, registration);
    }

    /// Removes every handler of exactly `pattern`, or only those that are `handler`.
    fn off(&mut self, pattern: &str, handler: Option<&Rc<Closure>>) {
        match handler {
            None => self.groups.retain(|g| g.pattern != pattern),
            Some(h) => {
                for g in self.groups.iter_mut().filter(|g| g.pattern == pattern) {
                    g.handlers.retain(|r| !Rc::ptr_eq(&r.handler, h));
                }
                self.groups.retain(|g| !g.handlers.is_empty());
            }
        }
    }

    /// The handlers `name` runs, in dispatch order; `once` handlers are removed now, before
    /// they run, so one that fails does not run again.
    fn take_handlers(&mut self, name: &str) -> Vec<Rc<Closure>> {
        let mut out = Vec::new();
        for g in self.groups.iter_mut().filter(|g| matches(&g.pattern, name)) {
            out.extend(g.handlers.iter().map(|r| r.handler.clone()));
            g.handlers.retain(|r| !r.once);
        }
        self.groups.retain(|g| !g.handlers.is_empty());
        out
    }
}

/// Whether event `name` matches `pattern`: the same number of dot-separated segments, each
/// equal, with `*` matching any run of characters inside one segment.
fn matches(pattern: &str, name: &str) -> bool {
    let (mut p, mut n) = (pattern.split('.'), name.split('.'));
    loop {
        match (p.next(), n.next()) {
            (None, None) => return true,
            (Some(ps), Some(ns)) if segment_matches(ps.as_bytes(), ns.as_bytes()) => {}
            _ => return false,
        }
    }
}

fn segment_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| segment_matches(rest, &text[skip..])),
        Some((c, rest)) => text.first() == Some(c) && segment_matches(rest, &text[1..]),
    }
}

impl Interp {
    /// `__kiwi_on(pattern, handler, priority, once)`: what `on` / `once` compile to.
    pub(crate) fn events_on(&mut self, args: &[Value]) -> KResult<Value> {
        let (Some(Value::Str(pattern)), Some(Value::Func(handler))) = (args.first(), args.get(1))
        else {
            return Err(event_error("an event handler must be a lambda"));
        };
        let priority = match args.get(2) {
            Some(Value::Int(p)) => *p,
            None | Some(Value::Null) => 0,
            Some(_) => return Err(event_error("an event priority must be an integer")),
        };
        let once = args.get(3).is_some_and(Value::truthy);
        self.events.on(pattern, handler.clone(), priority, once);
        Ok(Value::Null)
    }

    /// `__kiwi_off(pattern, handler = null)`: what `off` compiles to.
    pub(crate) fn events_off(&mut self, args: &[Value]) -> KResult<Value> {
        let Some(Value::Str(pattern)) = args.first() else {
            return Err(event_error("an event name must be a string"));
        };
        let handler = match args.get(1) {
            Some(Value::Func(f)) => Some(f),
            None | Some(Value::Null) => None,
            Some(_) => return Err(event_error("an event handler must be a lambda")),
        };
        self.events.off(pattern, handler);
        Ok(Value::Null)
    }

    /// `__kiwi_handlers(name)`: the handlers `emit name` runs, in order.
    pub(crate) fn events_handlers(&mut self, args: &[Value]) -> KResult<Value> {
        let name = match args.first() {
            Some(Value::Str(s)) => s.to_string(),
            Some(other) => crate::format::to_display(other),
            None => return Err(event_error("emit needs an event name")),
        };
        let handlers = self.events.take_handlers(&name);
        Ok(Value::list(handlers.into_iter().map(Value::Func).collect()))
    }
}

fn event_error(message: &str) -> KiwiError {
    KiwiError::custom("EventError", message)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards_stay_inside_one_segment() {
        assert!(matches("user.*", "user.login"));
        assert!(!matches("user.*", "user.a.b"));
        assert!(matches("*.error", "db.error"));
        assert!(!matches("*.error", "error"));
        assert!(matches("a*c.x", "abbc.x"));
        assert!(matches("event", "event"));
        assert!(!matches("event", "events"));
        assert!(matches("*", "anything"));
        assert!(!matches("*", "a.b"));
    }
}
