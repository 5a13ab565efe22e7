//! Lines from standard input, read without blocking the runtime thread.
//!
//! A read from a terminal or pipe can wait forever, so it runs on one reader thread, started
//! on first use and shared by every request (requests are served in order). The thread is
//! detached: a process that ends while a read waits does not wait for it. Results reach the
//! host through the same shared lists as connects.

use std::io::BufRead;
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use crate::wake::Shared;
use crate::{ErrorKind, Id, NetError};

/// The reader thread's request queue.
pub(crate) struct StdinReader {
    requests: Sender<Id>,
}

impl StdinReader {
    /// Starts the reader thread, which reports to `shared`.
    pub(crate) fn start(shared: Arc<Shared>) -> std::io::Result<StdinReader> {
        let (requests, queue) = channel::<Id>();
        std::thread::Builder::new()
            .name("kiwi-stdin".into())
            .spawn(move || {
                let stdin = std::io::stdin();
                for op in queue {
                    let mut line = String::new();
                    let result = match stdin.lock().read_line(&mut line) {
                        Ok(0) => Ok(crate::Done::Line(None)),
                        Ok(_) => Ok(crate::Done::Line(Some(line))),
                        Err(e) => Err(NetError::new(
                            ErrorKind::Io,
                            format!("cannot read standard input: {e}"),
                        )),
                    };
                    shared.push_finished((op, result));
                }
            })?;
        Ok(StdinReader { requests })
    }

    /// Asks for the next line for operation `op`; false if the thread is gone.
    pub(crate) fn request(&self, op: Id) -> bool {
        self.requests.send(op).is_ok()
    }
}
