//! The reservation API's request bodies on arbitrary bytes: decoded as the API decodes them
//! (`web::decode_json`) into the create (POST /reservations) and edit (PATCH
//! /reservations/{id}) bodies, then through the field checks those requests meet before the
//! store: times and text, the repeat rule, `on_conflict` without one. It must not panic; every
//! refusal names a field of the body (or the body itself) with a code the UI has words for.
#![no_main]

use chrono::{DateTime, Utc};
use libfuzzer_sys::fuzz_target;
use salas::config::Config;
use salas::i18n::{Lang, Tr};
use salas::reservations::recurrence;
use salas::reservations::rules::Limits;
use salas::reservations::{ReservationPatch, check_new_fields, check_patch_fields};
use salas::validation::FieldError;
use salas::web::api::reservations::{CreateReservation, UpdateReservation};
use salas::web::decode_json;
use salas::web::problem::Problem;

const CREATE_FIELDS: [&str; 9] =
    ["room_id", "title", "description", "start", "end", "attendees", "user_id", "rrule", "on_conflict"];
const PATCH_FIELDS: [&str; 6] = ["room_id", "title", "description", "start", "end", "attendees"];

fuzz_target!(|data: &[u8]| {
    let now: DateTime<Utc> = "2027-01-01T09:00:00Z".parse().unwrap();
    let limits = Limits::from_config(&Config::default().booking);
    match decode_json::<CreateReservation>(data) {
        Err(p) => refusal_names_fields(&p, &CREATE_FIELDS),
        Ok(body) => match body.into_parts() {
            Err(e) => field_errors_name_fields(&e.0, &CREATE_FIELDS),
            Ok((input, repeat)) => {
                let mut errors = check_new_fields(&input, now, &limits);
                if let Some((rrule, _)) = repeat {
                    // As `create_series` reads it, before the write.
                    if let Err(e) = recurrence::parse(&rrule) {
                        errors.add("rrule", e.code, e.message);
                    }
                }
                field_errors_name_fields(&errors.0, &CREATE_FIELDS);
            }
        },
    }
    match decode_json::<UpdateReservation>(data) {
        Err(p) => refusal_names_fields(&p, &PATCH_FIELDS),
        Ok(body) => {
            let (errors, attendees) = check_patch_fields(&body.into_patch());
            field_errors_name_fields(&errors.0, &PATCH_FIELDS);
            if let (true, Some(attendees)) = (errors.0.is_empty(), attendees) {
                // What is stored is read back by clients and sent again: it must pass unchanged.
                let resent = ReservationPatch { attendees: Some(attendees.clone()), ..ReservationPatch::default() };
                let (errors, again) = check_patch_fields(&resent);
                assert!(errors.0.is_empty(), "stored attendees {attendees:?} are refused when sent back: {errors:?}");
                assert_eq!(again.as_ref(), Some(&attendees), "normalising twice changes {attendees:?}");
            }
        }
    }
});

/// A body that does not decode: malformed JSON is a 400; anything else is a 422 naming a field.
fn refusal_names_fields(p: &Problem, fields: &[&str]) {
    if p.status == 400 {
        assert!(p.errors.is_empty(), "{p:?}");
        return;
    }
    assert_eq!(p.status, 422, "{p:?}");
    assert!(!p.errors.is_empty(), "a 422 with no field: {p:?}");
    field_errors_name_fields(&p.errors, fields);
}

/// Each error names `body` or one of `fields` (`attendees[2]` names `attendees`), with a code the
/// UI translates in both languages and a message.
fn field_errors_name_fields(errors: &[FieldError], fields: &[&str]) {
    for e in errors {
        let base = e.field.split(['[', '.']).next().unwrap_or("");
        // A key the body type does not have is refused naming that key.
        let unknown = e.message.starts_with(&format!("unknown field `{}`", e.field));
        assert!(e.field == "body" || fields.contains(&base) || unknown, "names no field of the body: {e:?}");
        assert!(!e.message.trim().is_empty(), "{e:?}");
        let key = format!("verr_{}", e.code);
        for lang in [Lang::En, Lang::Es] {
            assert_ne!(Tr::new(lang).t(&key), key, "{lang:?} has no message for {e:?}");
        }
    }
}
