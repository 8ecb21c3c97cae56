//! Pure validation of rooms and resources.

use crate::validation::FieldErrors;
pub use crate::validation::is_valid_timezone;

pub const MAX_CAPACITY: u32 = 10_000;

pub fn check_name(errors: &mut FieldErrors, name: &str) {
    errors.text("name", name, 1, 100);
}

pub fn check_capacity(errors: &mut FieldErrors, capacity: u32) {
    errors.check(
        (1..=MAX_CAPACITY).contains(&capacity),
        "capacity",
        "out_of_range",
        format!("must be between 1 and {MAX_CAPACITY}"),
    );
}

pub fn check_timezone(errors: &mut FieldErrors, zone: &str) {
    errors.check(
        is_valid_timezone(zone),
        "timezone",
        "bad_timezone",
        "must be an IANA time zone such as Europe/Madrid",
    );
}

pub fn check_details(errors: &mut FieldErrors, location: Option<&str>, description: Option<&str>) {
    if let Some(l) = location {
        errors.text("location", l, 0, 200);
    }
    if let Some(d) = description {
        errors.text("description", d, 0, 4000);
    }
}

/// The longest check-in window a room may set: beyond a few hours "checked in" means nothing.
pub const MAX_CHECKIN_WINDOW: u32 = 240;

pub fn check_checkin_window(errors: &mut FieldErrors, minutes: Option<u32>) {
    if let Some(m) = minutes {
        errors.check(
            (1..=MAX_CHECKIN_WINDOW).contains(&m),
            "checkin_window_minutes",
            "out_of_range",
            format!("must be between 1 and {MAX_CHECKIN_WINDOW} minutes"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timezones_are_iana_names() {
        assert!(is_valid_timezone("Europe/Madrid"));
        assert!(is_valid_timezone("UTC"));
        assert!(!is_valid_timezone("Mars/Olympus"));
        assert!(!is_valid_timezone("+02:00"));
    }

    #[test]
    fn capacity_bounds() {
        let mut e = FieldErrors::new();
        check_capacity(&mut e, 0);
        check_capacity(&mut e, 12);
        check_capacity(&mut e, MAX_CAPACITY + 1);
        assert_eq!(e.0.len(), 2);
    }
}
