use crate::access::{Action, Actor};
use crate::search::Hit;
use crate::search::schema::Kind;
use crate::types::{ResourceId, RoomId};
use crate::web::AppState;
use crate::web::extract::ApiQuery;
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Most results one search returns.
pub const MAX_LIMIT: usize = 100;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What to look for: accents and case are ignored, typos tolerated, the last word may be
    /// unfinished, English and Spanish word forms match.
    q: String,
    /// Only rooms with at least this many seats (resources are left out).
    capacity: Option<u32>,
    /// Most results (default 20, at most 100).
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHitDto {
    /// `room` or `resource`.
    pub kind: &'static str,
    #[schema(value_type = String, format = Uuid)]
    pub id: Uuid,
    pub name: String,
    pub description: String,
    /// Rooms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// Rooms only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// Relevance: higher is better; only the order means something.
    pub score: f32,
}

/// Rooms and resources ranked by relevance.
#[utoipa::path(get, path = "/search", tag = "rooms", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = Vec<SearchHitDto>), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn search(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<Vec<SearchHitDto>>, Problem> {
    actor.require(Action::ReadRooms)?;
    Ok(Json(hits(&state, &actor, &q.q, q.capacity, q.limit.unwrap_or(20).clamp(1, MAX_LIMIT)).await?))
}

/// The hits for `text` with what a list shows of each (also used by the pages); rooms `who`
/// may not see are left out.
pub async fn hits(
    state: &AppState,
    who: &Actor,
    text: &str,
    capacity: Option<u32>,
    limit: usize,
) -> Result<Vec<SearchHitDto>, Problem> {
    let found = match capacity {
        Some(c) => {
            let mut scores: Vec<Hit> = state
                .search
                .room_scores(text, c)
                .await?
                .into_iter()
                .map(|(id, score)| Hit { kind: Kind::Room, id: id.0, score })
                .collect();
            scores.sort_by(|a, b| b.score.total_cmp(&a.score));
            scores.truncate(limit);
            scores
        }
        None => state.search.find(text, limit).await?,
    };
    let (view, access) = (state.store.view()?, state.store.access());
    let mut out = Vec::with_capacity(found.len());
    // The index may be a moment behind the store: a hit deleted meanwhile is skipped.
    for hit in found {
        match hit.kind {
            Kind::Room => {
                let visible = |r: &crate::model::room::Room| r.active && access.may_see(who.role, who.id, r.id);
                if let Some(r) = view.room(RoomId(hit.id))?.filter(visible) {
                    out.push(SearchHitDto {
                        kind: "room",
                        id: hit.id,
                        name: r.name,
                        description: r.description,
                        capacity: Some(r.capacity),
                        location: Some(r.location),
                        score: hit.score,
                    });
                }
            }
            Kind::Resource => {
                if let Some(r) = view.resource(ResourceId(hit.id))? {
                    out.push(SearchHitDto {
                        kind: "resource",
                        id: hit.id,
                        name: r.name,
                        description: r.description,
                        capacity: None,
                        location: None,
                        score: hit.score,
                    });
                }
            }
        }
    }
    Ok(out)
}
