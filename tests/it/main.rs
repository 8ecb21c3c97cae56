//! Integration tests: one binary, the real server on 127.0.0.1:0, spoken to over HTTP.

mod common;
mod support;

mod api_fuzz;
mod auth;
mod availability;
mod backup;
mod browser;
mod browser_e2e;
mod cli;
mod concurrency;
mod crash;
mod errors;
mod events;
mod export;
mod feeds;
mod listing;
mod model;
mod monitoring;
mod notifications;
mod notify_crash;
mod ops;
mod rbac;
mod recurrence;
mod reports;
mod reservations;
mod resources;
mod restart;
mod rooms;
mod scheduled_backup;
mod search;
mod ui;
mod ui_notify;
mod upgrade;
mod users;
mod webhooks;
