//! Booking fields: the extra questions administrators add to every booking. Their answers are
//! judged in [`Reservations::create`] and [`Reservations::update`] (`model::field` holds the
//! pure rules); this is where the definitions are kept.

use super::{ReservationError, Reservations, Result};
use crate::access::{Action, Actor};
use crate::audit::{AuditAction, Entry};
use crate::model::field::{self, BookingField, FieldKind, Label};
use crate::store::Tx;
use crate::types::BookingFieldId;
use crate::validation::FieldErrors;

/// A field as an administrator sends it; on a change, what is absent stays as it was.
#[derive(Default)]
pub struct FieldInput {
    pub key: Option<String>,
    pub label: Option<Label>,
    pub kind: Option<FieldKind>,
    pub options: Option<Vec<String>>,
    pub required: Option<bool>,
    pub position: Option<u32>,
}

impl Reservations {
    /// Every booking field, in form order. Anyone who may book reads them (forms need them).
    pub fn booking_fields(&self, actor: &Actor) -> Result<Vec<BookingField>> {
        actor.require(Action::ReadReservations)?;
        Ok(self.store.view()?.booking_fields()?)
    }

    pub async fn define_field(&self, actor: &Actor, input: FieldInput) -> Result<BookingField> {
        actor.require(Action::ManageBookingFields)?;
        let mut errors = FieldErrors::new();
        errors.check(input.key.is_some(), "key", "required", "is required");
        errors.check(input.label.is_some(), "label", "required", "is required");
        errors.check(input.kind.is_some(), "kind", "required", "is required");
        errors.into_result()?;
        let f = BookingField {
            id: BookingFieldId::new(),
            key: input.key.unwrap_or_default().trim().to_string(),
            label: trimmed(input.label.unwrap_or_default()),
            kind: input.kind.unwrap_or(FieldKind::Text),
            options: trimmed_options(input.options.unwrap_or_default()),
            required: input.required.unwrap_or(false),
            position: input.position.unwrap_or(0),
        };
        self.save_field(actor, f, AuditAction::BookingFieldCreated).await
    }

    /// Changes a field. Its key is how answers are stored and exported, so it never changes.
    pub async fn change_field(&self, actor: &Actor, id: BookingFieldId, input: FieldInput) -> Result<BookingField> {
        actor.require(Action::ManageBookingFields)?;
        let mut f = self.store.view()?.booking_field(id)?.ok_or(ReservationError::FieldNotFound)?;
        if input.key.as_deref().is_some_and(|k| k.trim() != f.key) {
            return Err(FieldErrors::one("key", "immutable", "cannot change: answers are stored under it").into());
        }
        f.label = input.label.map(trimmed).unwrap_or(f.label);
        f.kind = input.kind.unwrap_or(f.kind);
        f.options = input.options.map(trimmed_options).unwrap_or(f.options);
        if f.kind != FieldKind::Select {
            f.options.clear();
        }
        f.required = input.required.unwrap_or(f.required);
        f.position = input.position.unwrap_or(f.position);
        self.save_field(actor, f, AuditAction::BookingFieldUpdated).await
    }

    /// Removes a field from the forms. Answers already given stay in their reservations.
    pub async fn delete_field(&self, actor: &Actor, id: BookingFieldId) -> Result<()> {
        actor.require(Action::ManageBookingFields)?;
        let audit = Entry::new(AuditAction::BookingFieldDeleted, Some(actor.id));
        self.store
            .write(move |tx: &mut Tx| {
                let f = tx.booking_field(id)?.ok_or(ReservationError::FieldNotFound)?;
                tx.delete_booking_field(id);
                audit.target("booking_field", f.id, &f.key).stage(tx)?;
                Ok(())
            })
            .await
    }

    async fn save_field(&self, actor: &Actor, f: BookingField, action: AuditAction) -> Result<BookingField> {
        let audit = Entry::new(action, Some(actor.id));
        self.store
            .write(move |tx: &mut Tx| {
                // Judged in the write, so two administrators cannot both take one key.
                let others = tx.booking_fields()?;
                if others.len() >= field::MAX_FIELDS && !others.iter().any(|o| o.id == f.id) {
                    let message = format!("at most {} booking fields", field::MAX_FIELDS);
                    return Err(FieldErrors::one("key", "too_many_fields", message).into());
                }
                let taken: Vec<&str> = others.iter().filter(|o| o.id != f.id).map(|o| o.key.as_str()).collect();
                field::check_definition(&f, &taken).into_result()?;
                tx.put_booking_field(f.clone());
                audit.target("booking_field", f.id, &f.key).stage(tx)?;
                Ok(f)
            })
            .await
    }
}

fn trimmed(l: Label) -> Label {
    Label { en: l.en.trim().to_string(), es: l.es.trim().to_string() }
}

fn trimmed_options(options: Vec<String>) -> Vec<String> {
    options.into_iter().map(|o| o.trim().to_string()).collect()
}
