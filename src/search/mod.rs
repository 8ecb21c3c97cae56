//! Search: a tantivy index of rooms and resources in the data directory, fed by the event log
//! and rebuildable from the store at any time. Queries are typo tolerant, work as you type,
//! ignore accents and case, and understand English and Spanish word forms.

mod consumer;
pub mod finder;
mod index;
mod query;
pub mod schema;

pub use index::Hit;

use crate::clock::Clock;
use crate::events::bus::Bus;
use crate::reservations::ReservationError;
use crate::store::{Store, StoreError, Tx, View};
use crate::types::RoomId;
use index::{Open, Reader};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::watch;

/// The event-log cursor of the index consumer.
pub const CONSUMER: &str = "search";

/// How long a query waits for an index that is being (re)built before giving up.
const READY_WAIT: Duration = Duration::from_secs(10);
/// How long a query waits for the index to catch up with the changes made before it (so a
/// client finds the room it just created); past that it answers from what is indexed.
const FRESH_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("the search index is being built; try again shortly")]
    NotReady,
    #[error("search index: {0}")]
    Index(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Reservations(#[from] ReservationError),
}

impl From<tantivy::TantivyError> for SearchError {
    fn from(e: tantivy::TantivyError) -> Self {
        SearchError::Index(e.to_string())
    }
}

/// A handle to the index; cheap to clone.
#[derive(Clone)]
pub struct Search {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Option<Open>>,
    reader: RwLock<Option<Reader>>,
    ready: watch::Sender<bool>,
    /// Seq of the last event whose effect is searchable.
    visible: watch::Sender<u64>,
    /// Seq of the newest event in the store.
    events: watch::Receiver<u64>,
}

impl Search {
    /// Opens the index in `data_dir` (creating an empty one if needed). Until [`Search::run`]
    /// has rebuilt what needed rebuilding, it is not ready and queries wait.
    pub fn open(data_dir: &Path, store: &Store) -> Result<(Search, bool), SearchError> {
        let (open, rebuild) = Open::load(data_dir, store.view()?.last_event_seq()?)?;
        let reader = open.reader();
        let visible = open.visible;
        let search = Search {
            inner: Arc::new(Inner {
                writer: Mutex::new(Some(open)),
                reader: RwLock::new(Some(reader)),
                ready: watch::channel(false).0,
                visible: watch::channel(visible).0,
                events: store.event_signal(),
            }),
        };
        Ok((search, rebuild))
    }

    /// Rebuilds the index if needed, then keeps it fresh from the event log until `stop`.
    pub async fn run(self, store: Store, clock: Clock, bus: Bus, rebuild: bool, stop: watch::Receiver<bool>) {
        let search = self.clone();
        let view_store = store.clone();
        let prepared = tokio::task::spawn_blocking(move || {
            let view = view_store.view()?;
            if rebuild {
                let count = search.rebuild(&view)?;
                tracing::info!(documents = count, "search index built");
            }
            search.with_writer(|open| Ok(open.seq))
        })
        .await
        .unwrap_or_else(|e| Err(SearchError::Index(e.to_string())));
        let seq = match prepared {
            Ok(seq) => seq,
            Err(e) => return tracing::error!(error = %e, "search index unavailable; search stays off"),
        };
        // The index's commit is the truth of what it reflects: resume the log right after it.
        let aligned = store
            .write(move |tx: &mut Tx| {
                tx.set_cursor(CONSUMER, seq);
                Ok::<(), StoreError>(())
            })
            .await;
        if let Err(e) = aligned {
            return tracing::error!(error = %e, "search index: cannot set its event cursor; search stays off");
        }
        self.inner.ready.send_replace(true);
        let consumer = Arc::new(consumer::IndexConsumer::new(self.clone()));
        let _ = bus.spawn(store, clock, consumer, stop).await;
        self.close();
    }

    /// Replaces the whole index by what `view` holds.
    pub fn rebuild(&self, view: &View) -> Result<usize, SearchError> {
        let count = self.with_writer(|open| open.rebuild(view))?;
        self.publish();
        Ok(count)
    }

    /// Tells waiting queries how far the searchable index has got.
    fn publish(&self) {
        if let Ok(Some(open)) = self.inner.writer.lock().as_deref() {
            self.inner.visible.send_replace(open.visible);
        }
    }

    pub fn is_ready(&self) -> bool {
        *self.inner.ready.borrow()
    }

    /// Releases the index's files (its writer lock), so another process or server may open it.
    pub fn close(&self) {
        self.inner.ready.send_replace(false);
        if let Ok(mut w) = self.inner.writer.lock() {
            *w = None;
        }
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut Open) -> Result<T, SearchError>) -> Result<T, SearchError> {
        let mut guard = self.inner.writer.lock().map_err(|_| SearchError::Index("writer lock poisoned".into()))?;
        f(guard.as_mut().ok_or(SearchError::NotReady)?)
    }

    async fn reader(&self) -> Result<Reader, SearchError> {
        let mut ready = self.inner.ready.subscribe();
        match tokio::time::timeout(READY_WAIT, ready.wait_for(|r| *r)).await {
            Ok(Ok(_)) => {}
            _ => return Err(SearchError::NotReady),
        }
        let wanted = *self.inner.events.borrow();
        let mut visible = self.inner.visible.subscribe();
        if tokio::time::timeout(FRESH_WAIT, visible.wait_for(|v| *v >= wanted)).await.is_err() {
            tracing::debug!(wanted, "search index lagging; answering from what it has");
        }
        let guard = self.inner.reader.read().map_err(|_| SearchError::NotReady)?;
        guard.clone().ok_or(SearchError::NotReady)
    }

    /// Rooms and resources matching `text`, best first.
    pub async fn find(&self, text: &str, limit: usize) -> Result<Vec<Hit>, SearchError> {
        self.reader().await?.search(text, None, limit)
    }

    /// How well each room of at least `min_capacity` seats matches `text`.
    pub async fn room_scores(&self, text: &str, min_capacity: u32) -> Result<HashMap<RoomId, f32>, SearchError> {
        let hits = self.reader().await?.search(text, Some(min_capacity), usize::MAX)?;
        Ok(hits.into_iter().filter(|h| h.kind == schema::Kind::Room).map(|h| (RoomId(h.id), h.score)).collect())
    }
}

/// `salas reindex`: rebuilds the index of a data directory no server has open. Returns the
/// number of documents indexed.
pub fn reindex(data_dir: &Path, store: &Store) -> Result<usize, SearchError> {
    let view = store.view()?;
    let (search, _) = Search::open(data_dir, store)?;
    let count = search.rebuild(&view)?;
    let seq = search.with_writer(|open| Ok(open.seq))?;
    store.write_blocking(move |tx: &mut Tx| {
        tx.set_cursor(CONSUMER, seq);
        Ok::<(), StoreError>(())
    })?;
    search.close();
    Ok(count)
}
