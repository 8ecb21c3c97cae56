//! The properties of each kind of resource: principal, calendar home, calendar collections and
//! events, as PROPFIND and REPORT answers carry them.

use super::Paths;
use super::xml::{CALDAV, CALSERVER, DAV, Name, Props, Request, href, text};
use crate::calendars::{Collection, Item};
use crate::model::user::User;
use quick_xml::escape::escape;

pub enum Kind<'a> {
    Root,
    Principal,
    Home,
    Collection(&'a Collection),
    Event(&'a Item),
}

pub struct Context<'a> {
    pub paths: &'a Paths,
    pub user: &'a User,
    pub sync_token: &'a str,
}

/// What `allprop` (or an empty PROPFIND) answers, by kind.
fn usual(kind: &Kind) -> Vec<Name> {
    let dav = |l: &str| Name { ns: DAV.into(), local: l.into() };
    let mut names = vec![dav("resourcetype"), dav("displayname")];
    match kind {
        Kind::Collection(_) => {
            names.extend([dav("sync-token"), Name { ns: CALSERVER.into(), local: "getctag".into() }]);
            names.push(Name { ns: CALDAV.into(), local: "supported-calendar-component-set".into() });
        }
        Kind::Event(_) => names.extend([dav("getetag"), dav("getcontenttype"), dav("getlastmodified")]),
        _ => {}
    }
    names
}

impl Context<'_> {
    pub fn answer(&self, req: &Request, kind: Kind) -> Props {
        let wanted = if req.allprop || req.props.is_empty() { usual(&kind) } else { req.props.clone() };
        let mut props = Props { found: Vec::new(), missing: Vec::new() };
        for name in wanted {
            match self.value(&name, &kind) {
                Some(v) => props.found.push(v),
                None => props.missing.push(name),
            }
        }
        props
    }

    fn value(&self, name: &Name, kind: &Kind) -> Option<String> {
        let p = self.paths;
        if name.ns == DAV {
            return match (name.local.as_str(), kind) {
                ("current-user-principal", _) => Some(href("d:current-user-principal", &p.principal)),
                ("principal-URL", Kind::Principal) => Some(href("d:principal-URL", &p.principal)),
                ("owner", Kind::Home | Kind::Collection(_)) => Some(href("d:owner", &p.principal)),
                ("resourcetype", Kind::Principal) => {
                    Some("<d:resourcetype><d:collection/><d:principal/></d:resourcetype>".into())
                }
                ("resourcetype", Kind::Collection(_)) => {
                    Some("<d:resourcetype><d:collection/><c:calendar/></d:resourcetype>".into())
                }
                ("resourcetype", Kind::Event(_)) => Some("<d:resourcetype/>".into()),
                ("resourcetype", _) => Some("<d:resourcetype><d:collection/></d:resourcetype>".into()),
                ("displayname", Kind::Root) => Some(text("d:displayname", "Salas")),
                ("displayname", Kind::Principal) => Some(text("d:displayname", &self.user.name)),
                ("displayname", Kind::Home) => Some(text("d:displayname", "Calendars")),
                ("displayname", Kind::Collection(c)) => Some(text("d:displayname", &c.name)),
                ("sync-token", Kind::Collection(_)) => Some(text("d:sync-token", self.sync_token)),
                ("getetag", Kind::Event(i)) => Some(text("d:getetag", &i.etag())),
                ("getcontenttype", Kind::Event(_)) => {
                    Some(text("d:getcontenttype", "text/calendar; charset=utf-8; component=vevent"))
                }
                ("getlastmodified", Kind::Event(i)) => {
                    let at = i.reservation.updated_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
                    Some(text("d:getlastmodified", &at))
                }
                ("current-user-privilege-set", Kind::Collection(c)) => Some(privileges(c.writable)),
                ("current-user-privilege-set", Kind::Home | Kind::Principal | Kind::Root) => Some(privileges(false)),
                ("supported-report-set", Kind::Collection(_)) => Some(reports()),
                _ => None,
            };
        }
        if name.ns == CALDAV {
            return match (name.local.as_str(), kind) {
                ("calendar-home-set", Kind::Principal) => Some(href("c:calendar-home-set", &p.home)),
                ("calendar-user-address-set", Kind::Principal) => {
                    Some(href("c:calendar-user-address-set", &format!("mailto:{}", self.user.email)))
                }
                ("supported-calendar-component-set", Kind::Collection(_)) => {
                    Some(r#"<c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>"#.into())
                }
                ("supported-calendar-data", Kind::Collection(_)) => Some(
                    r#"<c:supported-calendar-data><c:calendar-data content-type="text/calendar" version="2.0"/></c:supported-calendar-data>"#
                        .into(),
                ),
                ("calendar-data", Kind::Event(i)) => {
                    Some(format!("<c:calendar-data>{}</c:calendar-data>", escape(i.ics())))
                }
                _ => None,
            };
        }
        if name.ns == CALSERVER && name.local == "getctag" && matches!(kind, Kind::Collection(_)) {
            return Some(text("cs:getctag", self.sync_token));
        }
        None
    }
}

/// Read everywhere; in a room one may book, also write (PUT books, DELETE cancels).
fn privileges(writable: bool) -> String {
    let mut out = String::from("<d:current-user-privilege-set><d:privilege><d:read/></d:privilege>");
    if writable {
        for p in ["write", "write-content", "bind", "unbind"] {
            out.push_str(&format!("<d:privilege><d:{p}/></d:privilege>"));
        }
    }
    out.push_str("</d:current-user-privilege-set>");
    out
}

fn reports() -> String {
    let mut out = String::from("<d:supported-report-set>");
    for r in ["c:calendar-query", "c:calendar-multiget", "d:sync-collection", "c:free-busy-query"] {
        out.push_str(&format!("<d:supported-report><d:report><{r}/></d:report></d:supported-report>"));
    }
    out.push_str("</d:supported-report-set>");
    out
}
