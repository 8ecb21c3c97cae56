//! The integration tests that touch the store, run again with every test server on PostgreSQL
//! (`common::postgres::selected` is true in this binary): the same promises on both backends.
//! The tests of the embedded store's own files and tools (backup, disk failures, upgrades of a
//! data directory, the store copy) and those that do not touch the store stay in `it` only.

#[path = "it/browser.rs"]
#[allow(dead_code)] // the page tests that use all of it stay in `it`
mod browser;
#[path = "it/common/mod.rs"]
mod common;
#[path = "it/support.rs"]
mod support;

#[path = "it/access.rs"]
mod access;
#[path = "it/accounts.rs"]
mod accounts;
#[path = "it/approvals.rs"]
mod approvals;
#[path = "it/audit.rs"]
mod audit;
#[path = "it/auth.rs"]
mod auth;
#[path = "it/availability.rs"]
mod availability;
#[path = "it/booking_fields.rs"]
mod booking_fields;
#[path = "it/caldav.rs"]
mod caldav;
#[path = "it/checkin.rs"]
mod checkin;
#[path = "it/concurrency.rs"]
mod concurrency;
#[path = "it/csrf.rs"]
mod csrf;
#[path = "it/delegates.rs"]
mod delegates;
#[path = "it/display.rs"]
mod display;
#[path = "it/errors.rs"]
mod errors;
#[path = "it/events.rs"]
mod events;
#[path = "it/export.rs"]
mod export;
#[path = "it/feeds.rs"]
mod feeds;
#[path = "it/gateway.rs"]
mod gateway;
#[path = "it/ics_import.rs"]
mod ics_import;
#[path = "it/listing.rs"]
mod listing;
#[path = "it/monitoring.rs"]
mod monitoring;
#[path = "it/notifications.rs"]
mod notifications;
#[path = "it/notify_crash.rs"]
mod notify_crash;
#[path = "it/ops.rs"]
mod ops;
#[path = "it/policies.rs"]
mod policies;
#[path = "it/push.rs"]
mod push;
#[path = "it/rbac.rs"]
mod rbac;
#[path = "it/rbac_routes.rs"]
mod rbac_routes;
#[path = "it/recurrence.rs"]
mod recurrence;
#[path = "it/report_mail.rs"]
mod report_mail;
#[path = "it/reports.rs"]
mod reports;
#[path = "it/reservations.rs"]
mod reservations;
#[path = "it/resources.rs"]
mod resources;
#[path = "it/restart.rs"]
mod restart;
#[path = "it/rooms.rs"]
mod rooms;
#[path = "it/search.rs"]
mod search;
#[path = "it/secrets.rs"]
mod secrets;
#[path = "it/sms.rs"]
mod sms;
#[path = "it/stream.rs"]
mod stream;
#[path = "it/ui.rs"]
mod ui;
#[path = "it/ui_notify.rs"]
mod ui_notify;
#[path = "it/ui_series.rs"]
mod ui_series;
#[path = "it/users.rs"]
mod users;
#[path = "it/waitlist.rs"]
mod waitlist;
#[path = "it/webhooks.rs"]
mod webhooks;
#[path = "it/xss.rs"]
mod xss;
