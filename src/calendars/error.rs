use crate::reservations::ReservationError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("no such calendar or event")]
    NotFound,
    /// `If-Match` / `If-None-Match` did not hold.
    #[error("the event was changed or already exists (precondition failed)")]
    PreconditionFailed,
    /// The request itself is malformed (its XML, a time range).
    #[error("{0}")]
    BadRequest(String),
    /// The body is not an iCalendar object this server can read.
    #[error("not a valid iCalendar event: {0}")]
    BadData(String),
    /// Readable, but not something a room booking can be (a recurring event, a to-do).
    #[error("{0}")]
    Unsupported(&'static str),
    /// Bookings are made in a room's calendar, not in the calendar of your bookings.
    #[error("book in a room's calendar; this one lists your bookings")]
    NotARoom,
    /// The sync token was not given out here, or the log moved on too far since.
    #[error("the sync token is not valid here any more; sync again from the start")]
    BadSyncToken,
    /// Importing needs the right to book the room.
    #[error("you may not book this room, so you may not import into it")]
    ReadOnly,
    /// An import with `on_conflict=fail` found events it cannot book: nothing was booked.
    #[error("{} event(s) of the file cannot be booked; nothing was imported", .0.len())]
    ImportClashes(Vec<super::import::Skip>),
    #[error(transparent)]
    Reservation(#[from] ReservationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
