//! The event log: every state change appends an [`Event`] in the same transaction as the change,
//! so the log is complete and ordered by `seq`. Consumers (notifications, search, audit,
//! metrics) read it through durable cursors and are woken by the store's "new events" signal.

pub mod bus;
pub mod live;

pub use crate::model::event::{Event, EventKind, NewEvent};
