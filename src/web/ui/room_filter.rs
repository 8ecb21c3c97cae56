//! The room filters of the day and week views (location, capacity, equipment): one query with
//! the same parameter names on both, so links carry them from one view to the other, and one
//! form (`_room_filters.html`).

use super::fail;
use super::session::Viewer;
use crate::model::room::Room;
use crate::web::AppState;
use axum::response::Response;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct RoomFilter {
    #[serde(default)]
    location: String,
    capacity: Option<String>,
    #[serde(default)]
    resource: String,
}

/// What the filter form shows: where it goes, the choices and the values chosen.
pub struct FilterForm {
    pub action: &'static str,
    pub date: String,
    pub locations: Vec<String>,
    pub resources: Vec<(String, String)>,
    pub location: String,
    pub capacity: String,
    pub resource: String,
}

impl RoomFilter {
    /// The rooms of `all` the filter keeps, in their order.
    pub fn apply<'a>(&self, all: &'a [Room]) -> Vec<&'a Room> {
        let capacity: u32 = self.capacity.as_deref().and_then(|c| c.parse().ok()).unwrap_or(0);
        all.iter()
            .filter(|r| self.location.is_empty() || r.location == self.location)
            .filter(|r| r.capacity >= capacity)
            .filter(|r| self.resource.is_empty() || r.resources.iter().any(|id| id.to_string() == self.resource))
            .collect()
    }

    /// The form for a view at `action` showing `date`, offering the locations of `all` (the
    /// rooms the viewer may see) and every resource.
    pub fn form(
        self,
        state: &AppState,
        v: &Viewer,
        action: &'static str,
        date: String,
        all: &[Room],
    ) -> Result<FilterForm, Response> {
        let mut locations: Vec<String> = all.iter().map(|r| r.location.clone()).filter(|l| !l.is_empty()).collect();
        locations.sort();
        locations.dedup();
        let resources = state.rooms.resources().map_err(fail(v))?;
        Ok(FilterForm {
            action,
            date,
            locations,
            resources: resources.into_iter().map(|r| (r.id.to_string(), r.name)).collect(),
            location: self.location,
            capacity: self.capacity.unwrap_or_default(),
            resource: self.resource,
        })
    }
}
