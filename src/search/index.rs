//! The tantivy index on disk (`<data dir>/search`): opening it, or making a new one when it is
//! missing, unreadable or of another schema version; rebuilding it from the store; applying
//! changes; and searching. The index's own commit payload records the schema version and the
//! seq of the last event it reflects, so at start the event cursor can resume from exactly there.

use super::SearchError;
use super::schema::{self, Fields, Kind};
use crate::model::room::{Resource, Room};
use crate::store::View;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, RangeQuery};
use tantivy::schema::Value;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use uuid::Uuid;

pub const DIR: &str = "search";

/// Indexing memory: the minimum tantivy allows with one thread is 15 MB; rooms are small.
const WRITER_MEMORY: usize = 32 * 1024 * 1024;

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Payload {
    schema: u32,
    seq: u64,
}

pub struct Open {
    fields: Fields,
    reader: IndexReader,
    writer: IndexWriter,
    /// Seq of the last event reflected by the committed index.
    pub seq: u64,
    /// Seq of the last event applied but not yet committed.
    staged: Option<u64>,
    /// Whether documents changed since the last commit.
    dirty: bool,
    /// Seq of the last event whose effect is searchable (events that change nothing here count
    /// as soon as they are applied, without a commit).
    pub visible: u64,
}

/// A hit: what was found, and how well it matched.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub kind: Kind,
    pub id: Uuid,
    pub score: f32,
}

pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(DIR)
}

impl Open {
    /// Opens the index in `data_dir`, or creates an empty one; the bool says whether it must be
    /// rebuilt (it was new, unreadable, of another schema version, or ahead of a store that was
    /// restored from an older backup).
    pub fn load(data_dir: &Path, last_seq: u64) -> Result<(Open, bool), SearchError> {
        let dir = path(data_dir);
        match Self::existing(&dir) {
            Ok(Some(open)) if open.seq <= last_seq => return Ok((open, false)),
            Ok(Some(open)) => tracing::warn!(index = open.seq, store = last_seq, "search index is ahead of the store"),
            Ok(None) => tracing::info!("no search index of this version yet"),
            Err(e) => tracing::warn!(error = %e, "search index unreadable"),
        }
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| SearchError::Index(format!("{}: {e}", dir.display())))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| SearchError::Index(format!("{}: {e}", dir.display())))?;
        let fields = Fields::default();
        let index = Index::create_in_dir(&dir, fields.schema.clone())?;
        Ok((Self::with(index, fields, 0)?, true))
    }

    fn existing(dir: &Path) -> Result<Option<Open>, SearchError> {
        if !dir.join("meta.json").exists() {
            return Ok(None);
        }
        let index = Index::open_in_dir(dir)?;
        let fields = Fields::default();
        let payload = index.load_metas()?.payload.and_then(|p| serde_json::from_str::<Payload>(&p).ok());
        match payload {
            Some(p) if p.schema == schema::VERSION && index.schema() == fields.schema => {
                let open = Self::with(index, fields, p.seq)?;
                // Reading every segment's postings now finds a damaged file before it is trusted.
                open.reader
                    .searcher()
                    .segment_readers()
                    .iter()
                    .try_for_each(|s| s.inverted_index(open.fields.id).map(drop))?;
                Ok(Some(open))
            }
            _ => Ok(None),
        }
    }

    fn with(index: Index, fields: Fields, seq: u64) -> Result<Open, SearchError> {
        schema::register(index.tokenizers());
        let writer = index.writer_with_num_threads(1, WRITER_MEMORY)?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Open { fields, reader, writer, seq, staged: None, dirty: false, visible: seq })
    }

    /// Replaces every document by the rooms and resources of `view`, and commits.
    pub fn rebuild(&mut self, view: &View) -> Result<usize, SearchError> {
        self.writer.delete_all_documents()?;
        let resources = view.resources()?;
        let mut count = 0;
        for room in view.rooms()?.iter().filter(|r| r.active) {
            self.writer.add_document(self.fields.room_doc(room, &equipment(room, &resources)))?;
            count += 1;
        }
        for r in &resources {
            self.writer.add_document(self.fields.resource_doc(r))?;
            count += 1;
        }
        self.dirty = true;
        self.staged = Some(view.last_event_seq()?);
        self.commit()?;
        Ok(count)
    }

    /// Makes the room's document match the store: archived or deleted rooms leave the index.
    pub fn put_room(&mut self, view: &View, room: Option<Room>, id: Uuid) -> Result<(), SearchError> {
        self.writer.delete_term(self.fields.id_term(&id.to_string()));
        if let Some(room) = room.filter(|r| r.active) {
            let resources = view.resources()?;
            self.writer.add_document(self.fields.room_doc(&room, &equipment(&room, &resources)))?;
        }
        self.dirty = true;
        Ok(())
    }

    pub fn put_resource(&mut self, resource: Option<&Resource>, id: Uuid) -> Result<(), SearchError> {
        self.writer.delete_term(self.fields.id_term(&id.to_string()));
        if let Some(r) = resource {
            self.writer.add_document(self.fields.resource_doc(r))?;
        }
        self.dirty = true;
        Ok(())
    }

    /// Notes that events up to `seq` have been applied.
    pub fn staged(&mut self, seq: u64) {
        self.staged = Some(seq);
    }

    /// Commits what was applied, if anything changed (or if the recorded position lags far
    /// behind, so a restart does not replay a long run of events that changed nothing here),
    /// and makes it searchable.
    pub fn commit_if_needed(&mut self) -> Result<(), SearchError> {
        let far = self.staged.is_some_and(|s| s > self.seq + 10_000);
        if self.dirty || far {
            self.commit()
        } else {
            self.visible = self.visible.max(self.staged.unwrap_or(0));
            Ok(())
        }
    }

    fn commit(&mut self) -> Result<(), SearchError> {
        let seq = self.staged.unwrap_or(self.seq).max(self.seq);
        let payload = serde_json::to_string(&Payload { schema: schema::VERSION, seq })
            .map_err(|e| SearchError::Index(e.to_string()))?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.reader.reload()?;
        self.seq = seq;
        self.visible = self.visible.max(seq);
        self.staged = None;
        self.dirty = false;
        Ok(())
    }

    pub fn reader(&self) -> Reader {
        Reader { fields: self.fields.clone(), reader: self.reader.clone() }
    }
}

/// The searching side, cheap to clone: queries never wait for the writer.
#[derive(Clone)]
pub struct Reader {
    fields: Fields,
    reader: IndexReader,
}

impl Reader {
    /// The documents matching `text`, best first; with `min_capacity`, rooms of that size only.
    pub fn search(&self, text: &str, min_capacity: Option<u32>, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let Some(mut query) = super::query::build(&self.fields, text) else { return Ok(Vec::new()) };
        if let Some(c) = min_capacity {
            let range = RangeQuery::new(
                std::ops::Bound::Included(Term::from_field_u64(self.fields.capacity, c.into())),
                std::ops::Bound::Unbounded,
            );
            // A filter: weighed zero so it does not change the text scores.
            let capacity: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(range), 0.0));
            query = Box::new(BooleanQuery::new(vec![(Occur::Must, query), (Occur::Must, capacity)]));
        }
        let searcher = self.reader.searcher();
        let limit = limit.min(searcher.num_docs() as usize).max(1);
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |f| doc.get_first(f).and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
            let kind = if text(self.fields.kind) == Kind::Room.as_str() { Kind::Room } else { Kind::Resource };
            if let Ok(id) = Uuid::parse_str(&text(self.fields.id)) {
                hits.push(Hit { kind, id, score });
            }
        }
        Ok(hits)
    }
}

fn equipment<'a>(room: &Room, resources: &'a [Resource]) -> Vec<&'a Resource> {
    resources.iter().filter(|r| room.resources.contains(&r.id)).collect()
}
