//! Integration tests: one binary, the real server on 127.0.0.1:0, spoken to over HTTP.

mod common;
mod support;

mod auth;
mod availability;
mod cli;
mod concurrency;
mod errors;
mod events;
mod listing;
mod model;
mod ops;
mod rbac;
mod reservations;
mod resources;
mod restart;
mod rooms;
mod users;
