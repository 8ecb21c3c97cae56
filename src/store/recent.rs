//! The newest events in memory, decoded once. Every follower of the log (the notification and
//! webhook consumers, search, the waitlist, the live pump) reads each event; from the file each
//! of them decoded it again, which under a booking load was about a tenth of the server's CPU.
//!
//! The writer adds a batch's events only once the batch is committed and before it announces
//! them, so memory never holds an event the file does not. A reader further behind than memory
//! reaches (after a restart, or a long stall) reads the file.

use crate::model::event::Event;
use std::collections::VecDeque;
use std::sync::{Arc, RwLock};

/// Events kept: several batches of every reader (they read 256 at a time), at about 2 KB each.
const KEEP: usize = 1024;

#[derive(Clone)]
pub(super) struct Recent(Arc<RwLock<Ring>>);

struct Ring {
    /// Consecutive by `seq`, oldest first.
    events: VecDeque<Arc<Event>>,
    /// The newest committed event's seq (the file's, at open).
    last: u64,
}

impl Recent {
    pub(super) fn new(last: u64) -> Recent {
        Recent(Arc::new(RwLock::new(Ring { events: VecDeque::with_capacity(KEEP), last })))
    }

    /// Adds the events of a committed batch, in order.
    pub(super) fn committed(&self, events: Vec<Arc<Event>>) {
        let Ok(mut ring) = self.0.write() else { return };
        for event in events {
            if event.seq != ring.last + 1 {
                // Not the next one (cannot happen while only the writer appends): start over
                // from it rather than keep a gap.
                ring.events.clear();
            }
            ring.last = event.seq;
            if ring.events.len() == KEEP {
                ring.events.pop_front();
            }
            ring.events.push_back(event);
        }
    }

    /// The events after `seq`, oldest first (at most `limit`); None when memory no longer
    /// holds the first of them.
    pub(super) fn after(&self, seq: u64, limit: usize) -> Option<Vec<Arc<Event>>> {
        let ring = self.0.read().ok()?;
        if seq >= ring.last {
            return Some(Vec::new());
        }
        let first = ring.events.front()?.seq;
        let skip = usize::try_from((seq + 1).checked_sub(first)?).ok()?;
        Some(ring.events.range(skip..).take(limit).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::event::EventKind;
    use crate::types::EventId;

    fn event(seq: u64) -> Arc<Event> {
        Arc::new(Event {
            seq,
            id: EventId::new(),
            kind: EventKind::RoomCreated,
            actor: None,
            subject: uuid::Uuid::nil(),
            at: chrono::DateTime::UNIX_EPOCH,
            data: serde_json::value::RawValue::NULL.to_owned(),
        })
    }

    fn seqs(events: Option<Vec<Arc<Event>>>) -> Option<Vec<u64>> {
        events.map(|e| e.iter().map(|e| e.seq).collect())
    }

    #[test]
    fn answers_from_memory_only_what_it_holds_without_gaps() {
        let recent = Recent::new(10);
        assert_eq!(seqs(recent.after(10, 5)), Some(vec![]), "caught up");
        assert_eq!(seqs(recent.after(3, 5)), None, "before memory: the file");
        recent.committed((11..=13).map(event).collect());
        assert_eq!(seqs(recent.after(10, 5)), Some(vec![11, 12, 13]));
        assert_eq!(seqs(recent.after(11, 1)), Some(vec![12]));
        assert_eq!(seqs(recent.after(9, 5)), None, "event 10 is not in memory");
        recent.committed((14..=(13 + KEEP as u64)).map(event).collect());
        assert_eq!(seqs(recent.after(12, 2)), None, "fell out of memory");
        assert_eq!(seqs(recent.after(13, 2)), Some(vec![14, 15]));
        recent.committed(vec![event(5000)]);
        assert_eq!(seqs(recent.after(13 + KEEP as u64, 5)), None, "a gap empties memory");
        assert_eq!(seqs(recent.after(4999, 5)), Some(vec![5000]));
    }
}
