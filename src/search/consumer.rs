//! Keeps the index in step with the event log. Unlike the notification consumers it writes
//! nothing to the store: it applies each room or resource change to the index writer (reading
//! the subject's current state, so replaying an event is harmless), and commits the index once
//! the batch's cursor is committed. The index's commit records the last event it reflects; at
//! start the cursor is set back to it, so a crash between the two commits replays, never skips.

use super::Search;
use crate::events::bus::{Consumer, Staging};
use crate::events::{Event, EventKind};
use crate::store::View;
use crate::types::{ResourceId, RoomId};

pub struct IndexConsumer {
    search: Search,
}

impl IndexConsumer {
    pub fn new(search: Search) -> IndexConsumer {
        IndexConsumer { search }
    }
}

impl Consumer for IndexConsumer {
    fn name(&self) -> &'static str {
        super::CONSUMER
    }

    fn plan(&self, view: &View, event: &Event) -> Result<Vec<Staging>, String> {
        let id = event.subject;
        self.search
            .with_writer(|open| {
                match event.kind {
                    EventKind::RoomCreated | EventKind::RoomUpdated | EventKind::RoomArchived => {
                        open.put_room(view, view.room(RoomId(id))?, id)?;
                    }
                    EventKind::ResourceCreated | EventKind::ResourceUpdated | EventKind::ResourceDeleted => {
                        open.put_resource(view.resource(ResourceId(id))?.as_ref(), id)?;
                        // Rooms list their equipment by name: those with this resource change too.
                        for room in view.rooms()?.into_iter().filter(|r| r.resources.contains(&ResourceId(id))) {
                            let room_id = room.id.0;
                            open.put_room(view, Some(room), room_id)?;
                        }
                    }
                    _ => {}
                }
                open.staged(event.seq);
                Ok(())
            })
            .map_err(|e| e.to_string())?;
        Ok(Vec::new())
    }

    fn committed(&self) {
        if let Err(e) = self.search.with_writer(|open| open.commit_if_needed()) {
            // The changes stay in the writer and are committed with the next batch; until then
            // the index lags, and a restart replays from its last commit.
            tracing::warn!(error = %e, "search index: commit failed");
        }
        self.search.publish();
    }
}
