//! Named delegates: the people a user lets book for them (an assistant for a director). A
//! delegate books, changes and cancels that user's bookings as the user could (the reservation
//! rules read [`User::delegates`]); the user names and removes them on the profile page or
//! through the API. Managers and administrators book for anyone without being named.

use super::{Result, UserError, Users, stage_user_audit, user_event};
use crate::access::{Action, Actor};
use crate::audit::{AuditAction, Entry};
use crate::clock;
use crate::events::EventKind;
use crate::model::user::User;
use crate::store::Tx;
use crate::validation::FieldErrors;

/// The most delegates one person names: a handful of assistants, not a team (a team books
/// through a group's rights on the rooms).
pub const MAX_DELEGATES: usize = 20;

impl Users {
    /// The people `actor` named, by name.
    pub fn delegates(&self, actor: &Actor) -> Result<Vec<User>> {
        let view = self.store.view()?;
        let me = view.user(actor.id)?.ok_or(UserError::NotFound)?;
        let mut named = Vec::with_capacity(me.delegates.len());
        for id in &me.delegates {
            named.extend(view.user(*id)?);
        }
        named.sort_by_key(|u| u.name.to_lowercase());
        Ok(named)
    }

    /// The active people who named `actor`, by name: those `actor` may book for.
    pub fn principals(&self, actor: &Actor) -> Result<Vec<User>> {
        let mut them: Vec<User> =
            self.store.view()?.users()?.into_iter().filter(|u| u.active && u.delegates.contains(&actor.id)).collect();
        them.sort_by_key(|u| u.name.to_lowercase());
        Ok(them)
    }

    /// Makes the people with `emails` (active users, not `actor`) `actor`'s delegates, in place
    /// of the ones named before.
    pub async fn set_delegates(&self, actor: &Actor, emails: &[String]) -> Result<Vec<User>> {
        actor.require(Action::ManageOwnAccount)?;
        let view = self.store.view()?;
        let mut errors = FieldErrors::new();
        if emails.len() > MAX_DELEGATES {
            errors.add("delegates", "too_many_delegates", format!("name at most {MAX_DELEGATES} delegates"));
        }
        let mut ids = Vec::new();
        for email in emails.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            match view.user_by_email(email)? {
                Some(u) if u.id == actor.id => errors.add("delegates", "delegate_self", "you always book for yourself"),
                Some(u) if u.active => {
                    if !ids.contains(&u.id) {
                        ids.push(u.id)
                    }
                }
                _ => errors.add("delegates", "no_user", format!("{email} is not an active user here")),
            }
        }
        errors.into_result()?;
        let (me, now) = (actor.id, clock::now());
        let audit = Entry::new(AuditAction::UserUpdated, Some(me));
        self.store
            .write(move |tx: &mut Tx| {
                let mut user = tx.user(me)?.ok_or(UserError::NotFound)?;
                let before = user.clone();
                user.delegates = ids;
                user.updated_at = now;
                tx.put_user(user.clone());
                tx.append_event(user_event(EventKind::UserUpdated, Some(me), &user, now));
                stage_user_audit(tx, &audit, &before, &user, false)?;
                Ok::<_, UserError>(())
            })
            .await?;
        self.delegates(actor)
    }
}
