//! The users in memory, by id and by e-mail, as the last commit left them. Every API request's
//! sign-in check reads its user, and the event followers read the owner and the attendees of
//! each booking they tell about; decoding those records from the file was about a tenth of the
//! request threads' CPU under a booking load. The writer rebuilds this after every commit that
//! wrote a user, before the command is answered (users are few, and rarely written).

use super::StoreError;
use super::queries::View;
use crate::model::user::User;
use crate::types::UserId;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct People {
    by_id: HashMap<UserId, User>,
    /// Lower-cased e-mail → id, as the `user_emails` table keeps it.
    by_email: HashMap<String, UserId>,
}

impl People {
    pub(super) fn build(view: &View) -> Result<People, StoreError> {
        let users = view.users()?;
        let by_email = users.iter().map(|u| (u.email.clone(), u.id)).collect();
        Ok(People { by_id: users.into_iter().map(|u| (u.id, u)).collect(), by_email })
    }

    pub(super) fn get(&self, id: UserId) -> Option<&User> {
        self.by_id.get(&id)
    }

    /// The user with `email`, compared as the file's index compares it.
    pub(super) fn by_email(&self, email: &str) -> Option<&User> {
        self.by_email.get(&email.trim().to_lowercase()).and_then(|id| self.by_id.get(id))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::user::User;
    use crate::store::{Store, StoreError, Tx};

    fn user(email: &str) -> User {
        serde_json::from_value(serde_json::json!({
            "id": crate::types::UserId::new(), "email": email, "name": "Ana", "role": "member",
            "password_hash": "", "active": true, "language": "en",
            "created_at": "2030-01-01T00:00:00Z", "updated_at": "2030-01-01T00:00:00Z",
            "tokens_valid_after": "2030-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    async fn put(store: &Store, user: User) {
        store
            .write(move |tx: &mut Tx| {
                tx.put_user(user);
                Ok::<(), StoreError>(())
            })
            .await
            .unwrap();
    }

    /// Readers take users from memory: a write is seen by the next read once it is answered,
    /// and a changed e-mail no longer finds the user.
    #[tokio::test]
    async fn readers_see_each_user_write_once_it_is_answered() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let mut ana = user("ana@example.test");
        put(&store, ana.clone()).await;
        let view = store.view().unwrap();
        assert!(view.memory().is_some(), "a reader's view reads from memory");
        assert_eq!(view.user(ana.id).unwrap().unwrap().name, "Ana");
        assert_eq!(view.user_by_email(" ANA@example.test").unwrap().unwrap().id, ana.id);

        (ana.email, ana.name) = ("ana.b@example.test".into(), "Ana B".into());
        put(&store, ana.clone()).await;
        let view = store.view().unwrap();
        assert_eq!(view.user(ana.id).unwrap().unwrap().name, "Ana B");
        assert!(view.user_by_email("ana@example.test").unwrap().is_none(), "the old address is free");
        assert_eq!(view.user_by_email("ana.b@example.test").unwrap().unwrap().id, ana.id);
        drop(view);
        store.close();

        // Built from the file when the store opens.
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.view().unwrap().user_by_email("ana.b@example.test").unwrap().unwrap().name, "Ana B");
        store.close();
    }
}
