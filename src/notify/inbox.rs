//! The in-app notification centre and each user's notification preferences.

use super::consumer::MAX_LEAD_MINUTES;
use super::{Notifier, NotifyError, Result};
use crate::access::{Action, Actor};
use crate::model::notify::{Notification, Preferences};
use crate::store::{StoreError, Tx};
use crate::types::NotificationId;
use crate::validation::FieldErrors;

/// Beyond this, the bell shows "99+".
pub const BADGE_MAX: usize = 100;

impl Notifier {
    /// The actor's notifications, newest first.
    pub fn inbox(&self, actor: &Actor, unread_only: bool, limit: usize) -> Result<Vec<Notification>> {
        actor.require(Action::ManageOwnAccount)?;
        Ok(self.store.view()?.notifications(actor.id, unread_only, limit)?)
    }

    pub fn unread_count(&self, actor: &Actor) -> Result<usize> {
        self.unread_up_to(actor, usize::MAX)
    }

    /// The unread count for the header's bell, counted up to [`BADGE_MAX`] (shown as "99+"):
    /// every page asks, so it must not read a long history.
    pub fn unread_badge(&self, actor: &Actor) -> Result<usize> {
        self.unread_up_to(actor, BADGE_MAX)
    }

    fn unread_up_to(&self, actor: &Actor, limit: usize) -> Result<usize> {
        actor.require(Action::ManageOwnAccount)?;
        Ok(self.store.view()?.unread_notifications(actor.id, limit)?)
    }

    /// Marks one notification read; marking it again changes nothing.
    pub async fn mark_read(&self, actor: &Actor, id: NotificationId) -> Result<Notification> {
        actor.require(Action::ManageOwnAccount)?;
        let (user, now) = (actor.id, self.clock.now());
        self.store
            .write(move |tx: &mut Tx| {
                let mut n = tx.notification(user, id)?.ok_or(NotifyError::NotFound("notification"))?;
                if n.read_at.is_none() {
                    n.read_at = Some(now);
                    tx.put_notification(n.clone());
                }
                Ok(n)
            })
            .await
    }

    /// Marks every unread notification read; returns how many there were.
    pub async fn mark_all_read(&self, actor: &Actor) -> Result<usize> {
        actor.require(Action::ManageOwnAccount)?;
        let (user, now) = (actor.id, self.clock.now());
        self.store
            .write(move |tx: &mut Tx| {
                let unread = tx.notifications(user, true, usize::MAX)?;
                let n = unread.len();
                for mut item in unread {
                    item.read_at = Some(now);
                    tx.put_notification(item);
                }
                Ok::<usize, StoreError>(n)
            })
            .await
            .map_err(Into::into)
    }

    /// The actor's preferences, with the server's reminder lead time filled in.
    pub fn preferences(&self, actor: &Actor) -> Result<Preferences> {
        actor.require(Action::ManageOwnAccount)?;
        let mut p = self.store.view()?.preferences(actor.id)?.unwrap_or_default();
        p.reminder_minutes = Some(p.reminder_minutes.unwrap_or(self.default_lead));
        Ok(p)
    }

    pub async fn set_preferences(&self, actor: &Actor, p: Preferences) -> Result<Preferences> {
        actor.require(Action::ManageOwnAccount)?;
        if let Some(m) = p.reminder_minutes {
            let mut errors = FieldErrors::new();
            let ok = (1..=MAX_LEAD_MINUTES).contains(&m);
            errors.check(ok, "reminder_minutes", "out_of_range", format!("must be between 1 and {MAX_LEAD_MINUTES}"));
            errors.into_result()?;
        }
        let user = actor.id;
        let saved = p.clone();
        self.store
            .write(move |tx: &mut Tx| {
                tx.put_preferences(user, saved);
                Ok::<(), StoreError>(())
            })
            .await?;
        self.preferences(actor)
    }
}
