//! Approval of requests in rooms that require it. A pending reservation holds its slot while it
//! waits, so approving changes nothing but its status; declining frees the slot. Every occurrence
//! a decision reaches is changed, with its event, in one write transaction.

use super::checks::rights;
use super::series::Scope;
use super::{MAX_PAGE, Page, ReservationError, Reservations, Result, event, parse_cursor};
use crate::access::{Action, Actor, Denied};
use crate::audit::{AuditAction, Entry};
use crate::clock;
use crate::events::EventKind;
use crate::model::reservation::{Reservation, Status};
use crate::store::Tx;
use crate::types::{ReservationId, RoomId, micros};
use crate::validation::FieldErrors;
use std::collections::HashSet;

/// The longest reason an approver may give for declining.
const MAX_REASON: usize = 1000;

#[derive(Clone, Debug)]
pub enum Decision {
    Approve,
    /// Decline, optionally saying why (the owner is told).
    Decline {
        reason: Option<String>,
    },
}

impl Reservations {
    /// Approves or declines pending reservation `id`, and with `scope` the pending occurrences of
    /// its series that the scope names. Only those who manage the room may decide; a reservation
    /// that is not pending is a conflict.
    pub async fn decide(
        &self,
        actor: &Actor,
        id: ReservationId,
        decision: Decision,
        scope: Scope,
    ) -> Result<Reservation> {
        let reason = match &decision {
            Decision::Decline { reason: Some(r) } if !r.trim().is_empty() => {
                let mut errors = FieldErrors::new();
                errors.text("reason", r, 1, MAX_REASON);
                errors.into_result()?;
                Some(r.trim().to_string())
            }
            _ => None,
        };
        let (status, kind) = match decision {
            Decision::Approve => (Status::Confirmed, EventKind::ReservationApproved),
            Decision::Decline { .. } => (Status::Declined, EventKind::ReservationDeclined),
        };
        let (actor, now) = (actor.clone(), clock::now());
        let audit_action = if status == Status::Confirmed {
            AuditAction::ReservationApproved
        } else {
            AuditAction::ReservationDeclined
        };
        let audit = Entry::new(audit_action, Some(actor.id));
        self.store
            .write(move |tx: &mut Tx| {
                let target = tx.reservation(id)?.ok_or(ReservationError::NotFound)?;
                check_may_decide(tx, &actor, target.room_id)?;
                if target.status != Status::Pending {
                    return Err(ReservationError::NotPending(target.status));
                }
                let occurrences = match (scope, target.series_id) {
                    (Scope::This, _) | (_, None) => vec![target.clone()],
                    (scope, Some(series)) => tx
                        .series(series)?
                        .into_iter()
                        .filter(|o| o.status == Status::Pending)
                        .filter(|o| match scope {
                            Scope::Following => o.start >= target.start,
                            _ => o.end > now || o.id == target.id,
                        })
                        .collect(),
                };
                let mut result = target;
                for mut o in occurrences {
                    if o.room_id != result.room_id {
                        check_may_decide(tx, &actor, o.room_id)?;
                    }
                    o.status = status;
                    o.decided_by = Some(actor.id);
                    o.decided_at = Some(now);
                    o.decline_reason = reason.clone();
                    o.version += 1;
                    o.updated_at = now;
                    tx.put_reservation(o.clone());
                    tx.append_event(event(kind, actor.id, &o, now));
                    let detail =
                        serde_json::json!({"room_id": o.room_id, "start": o.start, "reason": o.decline_reason});
                    audit.also(audit_action).target("reservation", o.id, &o.title).detail(detail).stage(tx)?;
                    if o.id == id {
                        result = o;
                    }
                }
                Ok(result)
            })
            .await
    }

    /// The approval queue: pending reservations of the rooms `actor` manages, oldest request
    /// first, `limit` a page; the cursor is `<requested at, µs>.<id>` of the last one seen.
    pub fn approvals(&self, actor: &Actor, cursor: Option<&str>, limit: usize) -> Result<Page> {
        actor.require(Action::ReadReservations)?;
        let mut errors = FieldErrors::new();
        let after = match cursor.map(parse_cursor) {
            Some(Some(c)) => Some(c),
            Some(None) => {
                errors.add("cursor", "invalid", "is not a cursor this server gave out");
                None
            }
            None => None,
        };
        errors.check(
            (1..=MAX_PAGE).contains(&limit),
            "limit",
            "out_of_range",
            format!("must be between 1 and {MAX_PAGE}"),
        );
        errors.into_result()?;
        let view = self.store.view()?;
        let mut managed = HashSet::new();
        for room in view.rooms()? {
            if rights(&view, actor, &room)?.manage {
                managed.insert(room.id);
            }
        }
        let mut items = view.pending(after, limit + 1, |r| managed.contains(&r.room_id))?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|r| format!("{}.{}", micros(r.created_at), r.id))
        } else {
            None
        };
        Ok(Page { items, next_cursor })
    }
}

/// Deciding on a request is managing the room it is for.
fn check_may_decide(tx: &Tx, actor: &Actor, room_id: RoomId) -> Result<()> {
    let room = tx.room(room_id)?.ok_or(ReservationError::NotFound)?;
    if rights(tx, actor, &room)?.manage { Ok(()) } else { Err(Denied.into()) }
}
