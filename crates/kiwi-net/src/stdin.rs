//! Lines from standard input, read without blocking the runtime thread.
//!
//! A read from a terminal or pipe can wait forever, so it runs on one reader thread, started
//! on first use and shared by every request (requests are served in order). The thread is
//! detached: a process that ends while a read waits does not wait for it. Results reach the
//! host through the same shared lists as connects. A request cancelled while the thread
//! reads for it keeps its line for the next request, so no line is lost.

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use crate::wake::Shared;
use crate::{ErrorKind, Id, NetError};

/// A line as the reader thread reports it.
type LineResult = Result<crate::Done, NetError>;

/// The reader thread and who gets its lines. The thread answers requests in order, so lines
/// are handed out in order too: each to the oldest request still waiting, or kept for the
/// next one if that request was cancelled.
pub(crate) struct StdinReader {
    requests: Sender<Id>,
    /// The ids the thread was asked to read for and has not answered yet.
    sent: VecDeque<Id>,
    /// Requests waiting for a line, oldest first.
    owners: VecDeque<Id>,
    /// Lines nobody waits for any more (their request was cancelled), for the next ones.
    spare: VecDeque<LineResult>,
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
        Ok(StdinReader {
            requests,
            sent: VecDeque::new(),
            owners: VecDeque::new(),
            spare: VecDeque::new(),
        })
    }

    /// Asks for the next line for operation `op`: `Some` at once if a line read for a
    /// cancelled request is left, `Err` if the thread is gone.
    pub(crate) fn request(&mut self, op: Id) -> Result<Option<LineResult>, ()> {
        if let Some(line) = self.spare.pop_front() {
            return Ok(Some(line));
        }
        self.owners.push_back(op);
        // A line already asked for (by a cancelled request) will come for this one.
        if self.sent.len() < self.owners.len() {
            self.requests.send(op).map_err(|_| ())?;
            self.sent.push_back(op);
        }
        Ok(None)
    }

    /// Cancels request `op`; whether it was waiting.
    pub(crate) fn cancel(&mut self, op: Id) -> bool {
        match self.owners.iter().position(|&o| o == op) {
            Some(i) => self.owners.remove(i).is_some(),
            None => false,
        }
    }

    /// Files a result the thread or a resolver finished: a line goes to the oldest waiting
    /// request (returned with it) or is kept; anything else is returned as it came.
    pub(crate) fn arrived(&mut self, op: Id, result: LineResult) -> Option<(Id, LineResult)> {
        let Some(i) = self.sent.iter().position(|&o| o == op) else {
            return Some((op, result));
        };
        self.sent.remove(i);
        match self.owners.pop_front() {
            Some(owner) => Some((owner, result)),
            None => {
                self.spare.push_back(result);
                None
            }
        }
    }
}
