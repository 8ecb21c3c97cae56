//! The web UI: server-rendered pages (askama) enhanced with htmx. Every core flow is a plain
//! form, so it works without JavaScript; scripts only add live feedback and drag-to-book.

// Page handlers return a rendered error page as their `Err`: a `Response`, larger than clippy
// likes, but built at most once per request, so boxing it would buy nothing.
#![allow(clippy::result_large_err)]

mod accounts;
mod admin;
mod admin_audit;
mod admin_displays;
mod admin_email;
mod admin_groups;
mod admin_ops;
mod admin_policies;
mod admin_sms;
mod admin_templates;
mod admin_webhooks;
mod approvals;
pub mod assets;
mod auth;
mod book_day;
mod booking;
mod booking_fields;
mod csrf;
mod display;
mod find;
mod format;
mod ics_import;
mod inbox;
mod mine;
mod profile;
mod push;
mod qr;
mod repeat;
mod report_charts;
mod report_subscriptions;
mod reports;
mod room_filter;
mod rooms;
pub mod session;
mod sso;
mod timeline;
mod views;
mod views_nav;
mod waitlist;

use super::AppState;
use super::problem::Problem;
use crate::i18n::Tr;
use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use session::{FLASH_COOKIE, Viewer, encode_flash, set_cookie};

/// Settings the pages need from the configuration.
pub struct UiSettings {
    pub default_timezone: String,
    /// Mark cookies `Secure` (when served over TLS).
    pub secure_cookies: bool,
    /// `[auth] public_url`: where the links in account e-mails point (empty: the request's host).
    pub public_url: String,
}

/// Every page route, behind the one CSRF guard ([`csrf::guard`]).
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(timeline::day))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/login/oidc", get(sso::start))
        .route("/login/oidc/callback", get(sso::callback))
        .route("/logout", post(auth::logout))
        .route("/password/forgot", get(accounts::forgot_page).post(accounts::forgot))
        .route("/password/reset/{token}", get(accounts::follow_page).post(accounts::follow))
        .route("/signup", get(accounts::signup_page).post(accounts::signup))
        .route("/book", get(booking::new_page).post(booking::create))
        .route("/book/check", get(booking::check))
        .route("/book/day", get(book_day::fragment))
        .route("/book/repeat", get(repeat::preview))
        .route("/my", get(mine::list))
        .route("/reservations/{id}", get(mine::detail))
        .route("/reservations/{id}/edit", get(booking::edit_page).post(booking::update))
        .route("/reservations/{id}/cancel", get(mine::cancel_page).post(mine::cancel))
        .route("/reservations/{id}/check-in", post(approvals::check_in))
        .route("/approvals", get(approvals::page))
        .route("/approvals/{id}/approve", post(approvals::approve))
        .route("/approvals/{id}/decline", post(approvals::decline))
        .route("/rooms", get(rooms::directory))
        .route("/find", get(find::page))
        .route("/search/live", get(find::live))
        .route("/rooms/{id}", get(rooms::room_page))
        .route("/rooms/{id}/month", get(views::room_month))
        .route("/rooms/{id}/import", get(ics_import::page).post(ics_import::submit))
        .route("/week", get(views::week))
        .route("/help", get(views::help))
        .route("/profile", get(profile::page_get).post(profile::update))
        .route("/profile/password", post(profile::password))
        .route("/profile/delegates", post(profile::add_delegate))
        .route("/profile/delegates/{id}/remove", post(profile::remove_delegate))
        .route("/profile/sms-test", post(profile::sms_test))
        .route("/profile/push", post(push::subscribe))
        .route("/profile/push-test", post(push::test))
        .route("/profile/api-keys", post(profile::create_key))
        .route("/profile/api-keys/{id}/revoke", post(profile::revoke_key))
        .route("/admin/rooms", get(admin::rooms).post(admin::create_room))
        .route("/admin/rooms/{id}", get(admin::room_page).post(admin::update_room))
        .route("/admin/rooms/{id}/archive", post(admin::archive_room))
        .route("/admin/rooms/{id}/policy", get(admin_policies::room_policy).post(admin_policies::save_room_policy))
        .route("/admin/locations", get(admin_policies::locations))
        .route(
            "/admin/locations/{name}",
            get(admin_policies::location_policy).post(admin_policies::save_location_policy),
        )
        .route("/admin/resources", get(admin::resources).post(admin::create_resource))
        .route("/admin/resources/{id}", post(admin::update_resource))
        .route("/admin/resources/{id}/delete", post(admin::delete_resource))
        .route("/admin/booking-fields", get(booking_fields::list).post(booking_fields::create))
        .route("/admin/booking-fields/{id}", get(booking_fields::edit).post(booking_fields::update))
        .route("/admin/booking-fields/{id}/delete", post(booking_fields::delete))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route("/admin/groups", get(admin_groups::list).post(admin_groups::create))
        .route("/admin/groups/{id}", get(admin_groups::show).post(admin_groups::update))
        .route("/admin/groups/{id}/delete", post(admin_groups::delete))
        .route("/admin/groups/{id}/members", post(admin_groups::add_member))
        .route("/admin/groups/{id}/members/{user}/remove", post(admin_groups::remove_member))
        .route("/admin/access", get(admin_groups::access))
        .route("/admin/access/rooms/{id}", get(admin_groups::room_rule).post(admin_groups::save_room_rule))
        .route("/admin/access/location", get(admin_groups::location_rule).post(admin_groups::save_location_rule))
        .route("/admin/users/{id}", post(admin::update_user))
        .route("/admin/users/{id}/password-reset", post(admin::send_reset))
        .route("/notifications", get(inbox::list))
        .route("/notifications/read-all", post(inbox::mark_all_read))
        .route("/notifications/{id}/read", post(inbox::mark_read))
        .route("/notifications/preferences", get(inbox::preferences).post(inbox::save_preferences))
        .route("/admin/operations", get(admin_ops::page))
        .route("/admin/audit", get(admin_audit::page))
        .route("/admin/audit/export", get(admin_audit::export))
        .route("/admin/jobs/{name}/run", post(admin_ops::run_job))
        .route("/admin/email", get(admin_email::show))
        .route("/admin/email/test", post(admin_email::send_test))
        .route("/admin/email/deliveries/{id}/retry", post(admin_email::retry))
        .route("/admin/sms", get(admin_sms::show))
        .route("/admin/sms/test", post(admin_sms::send_test))
        .route("/admin/sms/deliveries/{id}/retry", post(admin_sms::retry))
        .route("/admin/sms/texts/{kind}/{language}", get(admin_sms::edit).post(admin_sms::save))
        .route("/admin/sms/texts/{kind}/{language}/reset", post(admin_sms::reset))
        .route("/admin/push", get(push::admin))
        .route("/admin/push/deliveries/{id}/retry", post(push::retry))
        .route("/admin/push/test", post(push::admin_test))
        .route("/admin/templates", get(admin_templates::list))
        .route("/admin/templates/{kind}/{language}", get(admin_templates::edit).post(admin_templates::save))
        .route("/admin/templates/{kind}/{language}/reset", post(admin_templates::reset))
        .route("/admin/webhooks", get(admin_webhooks::show).post(admin_webhooks::create))
        .route("/admin/webhooks/{id}/delete", post(admin_webhooks::delete))
        .route("/admin/webhooks/deliveries/{id}/retry", post(admin_webhooks::retry))
        .route("/reports", get(reports::page))
        .route("/reports/export/{section}", get(reports::export))
        .route("/reports/subscriptions", post(report_subscriptions::subscribe))
        .route("/waitlist/join", post(waitlist::join))
        .route("/waitlist/{id}/leave", post(waitlist::leave))
        .route("/reports/subscriptions/{id}/delete", post(report_subscriptions::unsubscribe))
        .route("/static/{hash}/{*name}", get(assets::serve))
        .route("/sw.js", get(push::service_worker))
        .route("/admin/displays", get(admin_displays::list).post(admin_displays::create))
        .route("/admin/displays/{id}/revoke", post(admin_displays::revoke))
        .route("/display/{token}", get(display::page))
        .route("/display/{token}/panel", get(display::panel))
        .route("/display/{token}/events", get(display::events))
        .route("/display/{token}/book", post(display::book))
        .route("/display/{token}/end", post(display::end_early))
        .route("/display/{token}/check-in", post(display::check_in))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), csrf::guard))
}

/// The content security policy of pages: only this server's scripts and styles, no inline code.
pub const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The htmx trigger of a live region: every change the event stream (`/api/v1/events/stream`)
/// reports. The region re-fetches its page and swaps itself, leaving forms elsewhere untouched.
pub const LIVE_TRIGGER: &str = "sse:reservation.created, sse:reservation.updated, sse:reservation.cancelled, \
     sse:reservation.approved, sse:reservation.declined, sse:reservation.checked_in, sse:reservation.no_show, \
     sse:room.created, sse:room.updated, sse:room.archived";

/// What every page's layout needs.
pub struct Ctx {
    pub tr: Tr,
    /// The viewer's zone: what "today" means on this page.
    pub tz: chrono_tz::Tz,
    pub signed_in: bool,
    pub user_name: String,
    pub is_manager: bool,
    pub is_admin: bool,
    pub may_read_reports: bool,
    pub csrf: String,
    pub flash: Option<String>,
    /// Unread notifications (the bell).
    pub unread: usize,
    /// Which navigation entry is current.
    pub nav: &'static str,
    pub css: String,
    pub js: String,
    pub htmx: String,
    /// This page's own address: live regions fetch it again when the event stream reports a
    /// change (see [`LIVE_TRIGGER`]).
    pub path: String,
}

impl Ctx {
    pub fn new(v: &Viewer, nav: &'static str) -> Ctx {
        let me = v.signed_in.as_ref();
        let role = me.map(|m| m.user.role);
        Ctx {
            tr: v.tr,
            tz: v.tz,
            signed_in: me.is_some(),
            user_name: me.map(|m| m.user.name.clone()).unwrap_or_default(),
            is_manager: role.is_some_and(|r| r.may(crate::access::Action::ManageRooms)),
            is_admin: role.is_some_and(|r| r.may(crate::access::Action::ManageUsers)),
            may_read_reports: role.is_some_and(|r| r.may(crate::access::Action::ReadReports)),
            csrf: me.map(|m| m.session.csrf_token.clone()).unwrap_or_default(),
            flash: v.flash.clone(),
            unread: v.unread,
            nav,
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            htmx: assets::url("vendor/htmx.min.js"),
            path: v.path.clone(),
        }
    }

    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        self.tr.t(key)
    }
}

/// Renders a page; clears the flash message it showed.
pub fn render<T: Template>(status: StatusCode, page: &T, had_flash: bool) -> Response {
    render_sized(status, page, had_flash, T::SIZE_HINT)
}

/// `render` into a buffer of `capacity` bytes, for a page that knows it is large.
pub fn render_sized(status: StatusCode, page: &impl Template, had_flash: bool, capacity: usize) -> Response {
    let mut html = String::with_capacity(capacity);
    match page.render_into(&mut html) {
        Ok(()) => {
            let mut res = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            if had_flash && let Ok(v) = HeaderValue::from_str(&set_cookie(FLASH_COOKIE, "", Some(0), false)) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => {
            let mut res = (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response();
            res.extensions_mut().insert(super::problem::InternalCause(e.to_string()));
            res
        }
    }
}

/// A redirect (303, so the browser follows with GET) carrying a message for the next page.
pub fn redirect_with(to: &str, flash: &str) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&set_cookie(FLASH_COOKIE, &encode_flash(flash), Some(60), false)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: Ctx,
    status: u16,
    heading: String,
    detail: String,
}

/// A friendly error page from any error the domain reports (mapped once, in problem.rs).
pub fn error_page(v: &Viewer, problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let key = match problem.status {
        403 => "error_403",
        404 => "error_404",
        429 => "error_429",
        s if s >= 500 => "error_500",
        _ => "error_generic",
    };
    let detail = if problem.status >= 500 { v.tr.t("error_500_detail").to_string() } else { problem.detail.clone() };
    let page = ErrorPage { ctx: Ctx::new(v, ""), status: problem.status, heading: v.tr.t(key).to_string(), detail };
    let mut res = render(status, &page, v.flash.is_some());
    if let Some(cause) = problem.cause() {
        res.extensions_mut().insert(super::problem::InternalCause(cause.to_string()));
    }
    res
}

/// The result of a page handler: a page, or an error rendered as one.
pub type PageResult = Result<Response, Response>;

/// Turns a domain error into an error page for `v`.
pub fn fail<E: Into<Problem>>(v: &Viewer) -> impl FnOnce(E) -> Response + '_ {
    move |e| error_page(v, e.into())
}

/// The 404 page for paths nobody routes.
pub async fn not_found(v: Viewer) -> Response {
    error_page(&v, Problem::not_found("page"))
}

/// A form posted with a wrong or missing CSRF token: refuse, change nothing.
pub fn csrf_failure(v: &Viewer) -> Response {
    error_page(v, Problem::new(StatusCode::FORBIDDEN, "csrf", v.tr.t("error_csrf")))
}
