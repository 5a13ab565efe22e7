//! Accept loops run by the host: a listener's items (an HTTP server's requests) each start a
//! Kiwi task directly, without a Kiwi loop that awaits an accept and spawns a task per item.
//!
//! A server written as `while true do raw = await(accept()); spawn(handle, [raw]) end` pays,
//! for every request, an operation id, a wake-up and a slice of the loop task, a native call
//! to `spawn` and an argument list. Here the next accept is started as soon as one finishes,
//! and each item becomes a task calling the handler with the arguments the loop's
//! [`AcceptArgs`] makes of it (a package can build its per-item objects there, natively). The
//! script awaits one id that finishes when accepting fails (the listener stopped or closed):
//! with the failure, like the accept would have.

use std::rc::Rc;

use super::Interp;
use crate::function::Closure;
use crate::net::{NetDriver, NetId, NetResult};
use crate::scheduler::EntryKind;
use crate::value::Value;

/// Starts one accept with the given operation id; `Some` when it finished at once.
pub type AcceptStart = Box<dyn FnMut(&mut dyn NetDriver, NetId) -> Option<NetResult>>;

/// Makes the handler's arguments of one accepted item.
pub type AcceptArgs = Box<dyn FnMut(Value) -> Vec<Value>>;

/// One accept loop (see the module doc).
pub(crate) struct Acceptor {
    /// Starts the next accept.
    start: AcceptStart,
    /// Called in a new task per accepted item, with the arguments `args` makes of the item.
    handler: Rc<Closure>,
    args: AcceptArgs,
    /// The id the script awaits; it finishes when the loop ends.
    done: NetId,
}

impl Interp {
    /// Starts an accept loop; returns the id that finishes when it ends.
    pub(crate) fn start_acceptor(
        &mut self,
        start: AcceptStart,
        handler: Rc<Closure>,
        args: AcceptArgs,
    ) -> NetId {
        let done = self.register_op();
        self.run_acceptor(Acceptor {
            start,
            handler,
            args,
            done,
        });
        done
    }

    /// Takes items while they are there at once; parks the loop on the first accept that has
    /// to wait, or ends it on the first failure.
    fn run_acceptor(&mut self, mut acc: Acceptor) {
        loop {
            let op = self.sched.fresh_id();
            match (acc.start)(&mut *self.net, op) {
                None => {
                    self.acceptors.insert(op, acc);
                    return;
                }
                Some(result) => {
                    if !self.accepted(&mut acc, result) {
                        return;
                    }
                }
            }
        }
    }

    /// Handles one finished accept: a task for the item (true), or the end of the loop.
    fn accepted(&mut self, acc: &mut Acceptor, result: NetResult) -> bool {
        match self.op_outcome(result) {
            Ok(item) => {
                let id = self.sched.fresh_id();
                self.sched.register(id, EntryKind::Spawned);
                // Nobody holds the id, so its entry goes as soon as it finishes.
                self.sched.detach(id);
                let args = (acc.args)(item);
                let task = self.sched.new_task(id, acc.handler.clone(), args);
                self.sched.add_ready(task);
                true
            }
            Err(e) => {
                self.sched.finish(acc.done, Err(e));
                false
            }
        }
    }

    /// Routes a finished operation to the accept loop that waits on it; gives the result
    /// back when no loop does.
    pub(crate) fn route_to_acceptor(
        &mut self,
        op: NetId,
        result: NetResult,
    ) -> Option<(NetId, NetResult)> {
        let Some(mut acc) = self.acceptors.remove(&op) else {
            return Some((op, result));
        };
        if self.accepted(&mut acc, result) {
            self.run_acceptor(acc);
        }
        None
    }
}
