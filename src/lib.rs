//! Salas: room and resource booking for small offices, in one self-contained binary.

// Memory safety rests on the compiler alone (the fuzzers rely on it: they run without a sanitizer).
#![forbid(unsafe_code)]

pub mod access;
pub mod admin;
pub mod admin_socket;
pub mod app;
pub mod audit;
pub mod calendars;
pub mod cli;
pub mod clock;
pub mod config;
pub mod displays;
pub mod events;
pub mod groups;
pub mod i18n;
pub mod model;
pub mod notify;
pub mod reports;
pub mod reservations;
pub mod rooms;
pub mod scheduler;
pub mod search;
pub mod secrets;
pub mod spreadsheet;
pub mod sso;
pub mod store;
pub mod types;
pub mod users;
pub mod validation;
pub mod waitlist;
pub mod web;
pub mod webhooks;
