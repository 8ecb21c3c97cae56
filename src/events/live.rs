//! Live fan-out of the event log to open streams (`GET /api/v1/events/stream`, the door
//! displays, live pages).
//!
//! One pump task reads each new event from the log once (woken by the store's "new events"
//! signal, like the bus consumers) and broadcasts it on a bounded channel. Each stream follows
//! the channel; it starts, or resumes after `Last-Event-ID`, from the durable log, so a client
//! that reconnects misses nothing and sees nothing twice. The channel never waits for a reader:
//! a stream that falls more than [`BUFFER`] events behind is ended (the client reconnects and
//! catches up from the log), so a slow client can hold up neither the writer nor the bus nor
//! other clients.

use crate::events::Event;
use crate::store::Store;
use futures_util::Stream;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::{broadcast, watch};

/// Events a stream may fall behind the live edge before it is dropped.
pub const BUFFER: usize = 1024;
/// Events read from the log per read transaction while a stream catches up.
const PAGE: usize = 256;

/// The fan-out; cheap to clone.
#[derive(Clone)]
pub struct Live {
    tx: broadcast::Sender<Arc<Event>>,
    closing: Arc<watch::Sender<bool>>,
}

/// Why a stream ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// It fell too far behind; the client should reconnect with its last event id.
    TooSlow,
}

impl Default for Live {
    fn default() -> Self {
        Live::with_buffer(BUFFER)
    }
}

impl Live {
    pub fn with_buffer(buffer: usize) -> Live {
        Live { tx: broadcast::channel(buffer).0, closing: Arc::new(watch::channel(false).0) }
    }

    /// Ends every open stream and the pump (the server is stopping: open streams would otherwise
    /// hold its graceful shutdown forever).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Starts the pump that publishes each event appended to `store` from now on. "Now" is this
    /// call, not the task's first run: an event committed in between is published too, instead
    /// of reaching streams only once a later one shows the gap.
    pub fn spawn(&self, store: Store) -> tokio::task::JoinHandle<()> {
        let (tx, mut closing) = (self.tx.clone(), self.closing.subscribe());
        let mut signal = store.event_signal();
        let mut cursor = *signal.borrow_and_update();
        tokio::spawn(async move {
            loop {
                while cursor < *signal.borrow() {
                    let events = match store.events_after(cursor, PAGE) {
                        Ok(events) => events,
                        Err(e) => {
                            // Streams catch up from the log by themselves; the pump only retries.
                            tracing::warn!(error = %e, "live updates could not read the event log");
                            break;
                        }
                    };
                    if events.is_empty() {
                        break;
                    }
                    for event in events {
                        cursor = event.seq;
                        // No receiver is not an error: nobody is watching right now.
                        let _ = tx.send(event);
                    }
                }
                tokio::select! {
                    changed = signal.changed() => if changed.is_err() { return },
                    _ = closing.wait_for(|c| *c) => return,
                }
            }
        })
    }

    /// Every event after `after` (0: the whole log; the current last seq: only new ones), in
    /// order, without gaps or repeats, until the server stops or the stream falls behind.
    pub fn follow(&self, store: Store, after: u64) -> impl Stream<Item = Result<Arc<Event>, Ended>> + Send + use<> {
        let rx = self.tx.subscribe();
        // Subscribed first: anything the pump has not published yet will come on `rx`; anything
        // up to the log's head now is read from the log. An id from the future means "from now".
        let head = *store.event_signal().borrow();
        let follower = Follower {
            rx,
            closing: self.closing.subscribe(),
            store,
            last: after.min(head),
            behind: after < head,
            queue: VecDeque::new(),
            ended: false,
        };
        futures_util::stream::unfold(follower, |mut f| async move {
            let item = f.next().await?;
            Some((item, f))
        })
    }
}

struct Follower {
    rx: broadcast::Receiver<Arc<Event>>,
    closing: watch::Receiver<bool>,
    store: Store,
    /// Seq of the last event handed out.
    last: u64,
    /// The log may hold events after `last` that the channel will not bring: read them there.
    behind: bool,
    /// Events read from the log, not yet handed out.
    queue: VecDeque<Arc<Event>>,
    ended: bool,
}

impl Follower {
    async fn next(&mut self) -> Option<Result<Arc<Event>, Ended>> {
        if self.ended {
            return None;
        }
        loop {
            while let Some(e) = self.queue.pop_front() {
                if e.seq > self.last {
                    self.last = e.seq;
                    return Some(Ok(e));
                }
            }
            if *self.closing.borrow() {
                return None;
            }
            if self.behind {
                match self.store.events_after(self.last, PAGE) {
                    Ok(events) if events.is_empty() => self.behind = false,
                    Ok(events) => {
                        self.queue.extend(events);
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "a live stream could not read the event log");
                        return None;
                    }
                }
            }
            let received = tokio::select! {
                received = self.rx.recv() => received,
                _ = self.closing.wait_for(|c| *c) => return None,
            };
            match received {
                Ok(e) => {
                    if let Some(e) = self.take(e) {
                        return Some(Ok(e));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    self.ended = true;
                    return Some(Err(Ended::TooSlow));
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// The broadcast event if it is the next one. An old one (already read from the log) is
    /// skipped; after a gap the log is read, since it has every event the channel had.
    fn take(&mut self, e: Arc<Event>) -> Option<Arc<Event>> {
        if e.seq == self.last + 1 {
            self.last = e.seq;
            Some(e)
        } else {
            self.behind |= e.seq > self.last;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{EventKind, NewEvent};
    use crate::store::{StoreError, Tx};
    use futures_util::StreamExt;
    use std::pin::pin;

    async fn append(store: &Store, n: usize) {
        store
            .write(move |tx: &mut Tx| {
                for _ in 0..n {
                    let e = NewEvent::new(
                        EventKind::RoomUpdated,
                        None,
                        uuid::Uuid::now_v7(),
                        crate::clock::now(),
                        &serde_json::json!({}),
                    );
                    tx.append_event(e);
                }
                Ok::<(), StoreError>(())
            })
            .await
            .unwrap();
    }

    async fn next(s: &mut (impl Stream<Item = Result<Arc<Event>, Ended>> + Unpin)) -> Option<Result<u64, Ended>> {
        tokio::time::timeout(std::time::Duration::from_secs(5), s.next()).await.ok()?.map(|r| r.map(|e| e.seq))
    }

    /// Waits until the pump has published `seq`. A follower that keeps up may read the log ahead of
    /// the pump, so its progress does not show that the channel has overflowed yet.
    async fn published(rx: &mut broadcast::Receiver<Arc<Event>>, seq: u64) {
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await {
                Ok(Ok(e)) if e.seq >= seq => return,
                Ok(Ok(_) | Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => panic!("event {seq} was never published"),
            }
        }
    }

    #[tokio::test]
    async fn followers_resume_from_the_log_and_a_slow_one_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        append(&store, 3).await;
        let live = Live::with_buffer(4);
        let pump = live.spawn(store.clone());
        let head = *store.event_signal().borrow();

        // Resuming after the first event: the rest of the log, then live events, in order.
        let mut resumed = pin!(live.follow(store.clone(), head - 2));
        let mut slow = pin!(live.follow(store.clone(), head));
        let mut pumped = live.tx.subscribe();
        assert_eq!(next(&mut resumed).await, Some(Ok(head - 1)));
        assert_eq!(next(&mut resumed).await, Some(Ok(head)));
        append(&store, 2).await;
        assert_eq!(next(&mut resumed).await, Some(Ok(head + 1)));
        assert_eq!(next(&mut resumed).await, Some(Ok(head + 2)));

        // `slow` reads nothing while more than its buffer goes by; `resumed` keeps up.
        for round in 0..3 {
            append(&store, 2).await;
            let first = head + 3 + 2 * round;
            assert_eq!(next(&mut resumed).await, Some(Ok(first)));
            assert_eq!(next(&mut resumed).await, Some(Ok(first + 1)));
        }
        published(&mut pumped, head + 8).await;
        assert_eq!(next(&mut slow).await, Some(Err(Ended::TooSlow)), "dropped, and the writer never waited");
        assert_eq!(next(&mut slow).await, None);

        live.close();
        assert_eq!(next(&mut resumed).await, None, "closing ends every stream");
        pump.await.unwrap();
        store.close();
    }
}
