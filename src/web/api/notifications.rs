//! The signed-in user's notification centre and notification preferences.

use crate::access::Actor;
use crate::model::notify::{Notification, Preferences};
use crate::types::{NotificationId, ReservationId};
use crate::web::AppState;
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::problem::Problem;
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    #[schema(value_type = String, format = Uuid)]
    id: NotificationId,
    /// `reservation.created`, `reservation.updated`, `reservation.cancelled` or `reminder`.
    kind: String,
    /// In the user's language.
    title: String,
    #[schema(value_type = Option<String>, format = Uuid)]
    reservation_id: Option<ReservationId>,
    starts_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationDto {
    fn from(n: Notification) -> Self {
        NotificationDto {
            id: n.id,
            kind: n.kind,
            title: n.title,
            reservation_id: n.reservation_id,
            starts_at: n.starts_at,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only unread notifications.
    #[serde(default)]
    unread: bool,
    /// At most this many (1 to 500, default 50).
    limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct UnreadCount {
    unread: usize,
}

#[derive(Serialize, ToSchema)]
pub struct MarkedRead {
    marked: usize,
}

/// Which notifications the user wants, and how long before a meeting its reminder comes.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesDto {
    /// E-mails at all.
    email: bool,
    /// In-app notifications at all.
    in_app: bool,
    /// Text messages to your `phone` (off when absent).
    #[serde(default)]
    sms: bool,
    /// Web Push to the browsers you subscribed (on when absent, as for someone who never chose).
    #[serde(default = "on")]
    push: bool,
    reservation_created: bool,
    reservation_updated: bool,
    reservation_cancelled: bool,
    reminders: bool,
    /// 1 to 1440; absent or null: the server's default.
    reminder_minutes: Option<u32>,
}

fn on() -> bool {
    true
}

impl From<Preferences> for PreferencesDto {
    fn from(p: Preferences) -> Self {
        PreferencesDto {
            email: p.email,
            in_app: p.in_app,
            sms: p.sms,
            push: p.push,
            reservation_created: p.reservation_created,
            reservation_updated: p.reservation_updated,
            reservation_cancelled: p.reservation_cancelled,
            reminders: p.reminders,
            reminder_minutes: p.reminder_minutes,
        }
    }
}

/// The user's notifications, newest first.
#[utoipa::path(get, path = "/notifications", tag = "notifications", security(("bearer" = [])), params(InboxQuery),
    responses((status = 200, body = Vec<NotificationDto>)))]
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Vec<NotificationDto>>, Problem> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    Ok(Json(state.notifier.inbox(&actor, q.unread, limit)?.into_iter().map(Into::into).collect()))
}

/// How many notifications are unread (the bell's number).
#[utoipa::path(get, path = "/notifications/unread-count", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = UnreadCount)))]
pub async fn unread_count(State(state): State<AppState>, actor: Actor) -> Result<Json<UnreadCount>, Problem> {
    Ok(Json(UnreadCount { unread: state.notifier.unread_count(&actor)? }))
}

/// Mark one notification read.
#[utoipa::path(post, path = "/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid)),
    responses((status = 200, body = NotificationDto), (status = 404, body = Problem)))]
pub async fn mark_read(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<NotificationId>,
) -> Result<Json<NotificationDto>, Problem> {
    Ok(Json(state.notifier.mark_read(&actor, id).await?.into()))
}

/// Mark every notification read.
#[utoipa::path(post, path = "/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = MarkedRead)))]
pub async fn mark_all_read(State(state): State<AppState>, actor: Actor) -> Result<Json<MarkedRead>, Problem> {
    Ok(Json(MarkedRead { marked: state.notifier.mark_all_read(&actor).await? }))
}

/// The user's notification preferences.
#[utoipa::path(get, path = "/users/me/notification-preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = PreferencesDto)))]
pub async fn get_preferences(State(state): State<AppState>, actor: Actor) -> Result<Json<PreferencesDto>, Problem> {
    Ok(Json(state.notifier.preferences(&actor)?.into()))
}

/// Replace the user's notification preferences.
#[utoipa::path(put, path = "/users/me/notification-preferences", tag = "notifications", security(("bearer" = [])),
    request_body = PreferencesDto,
    responses((status = 200, body = PreferencesDto), (status = 422, body = Problem)))]
pub async fn put_preferences(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(p): ApiJson<PreferencesDto>,
) -> Result<Json<PreferencesDto>, Problem> {
    let p = Preferences {
        email: p.email,
        in_app: p.in_app,
        sms: p.sms,
        push: p.push,
        reservation_created: p.reservation_created,
        reservation_updated: p.reservation_updated,
        reservation_cancelled: p.reservation_cancelled,
        reminders: p.reminders,
        reminder_minutes: p.reminder_minutes,
    };
    Ok(Json(state.notifier.set_preferences(&actor, p).await?.into()))
}
