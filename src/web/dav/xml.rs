//! WebDAV XML (RFC 4918, 4791, 6578): what a PROPFIND or REPORT body asks for, read with
//! quick-xml's namespace-aware reader, and the multistatus answers, written as text.

use quick_xml::escape::{escape, partial_escape, resolve_xml_entity};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CALSERVER: &str = "http://calendarserver.org/ns/";
/// Salas's own elements in error bodies (the reason a booking was refused).
pub const SALAS: &str = "urn:salas:dav";

/// A property or element name: namespace and local name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    pub ns: String,
    pub local: String,
}

impl Name {
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
}

/// What a PROPFIND or REPORT body asks for.
#[derive(Debug, Default, PartialEq)]
pub struct Request {
    /// The root element (`propfind`, `calendar-query`, …); None for an empty body.
    pub root: Option<Name>,
    /// The properties in the request's top-level `prop`.
    pub props: Vec<Name>,
    /// `allprop` or an empty body: the usual properties.
    pub allprop: bool,
    pub hrefs: Vec<String>,
    pub sync_token: Option<String>,
    /// The `start` and `end` attributes of the first `time-range`.
    pub time_range: Option<(Option<String>, Option<String>)>,
}

/// Reads a request body; an empty body is `allprop` (RFC 4918 §9.1).
pub fn parse(body: &str) -> Result<Request, String> {
    let mut req = Request { allprop: body.trim().is_empty(), ..Request::default() };
    let mut reader = NsReader::from_str(body);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Name> = Vec::new();
    let mut text = String::new();
    let mut buf = Vec::new();
    loop {
        let (ns, event) = reader.read_resolved_event_into(&mut buf).map_err(|e| e.to_string())?;
        let ns = match ns {
            ResolveResult::Bound(n) => String::from_utf8_lossy(n.as_ref()).into_owned(),
            _ => String::new(),
        };
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = Name { ns, local: String::from_utf8_lossy(e.local_name().as_ref()).into_owned() };
                let parent = stack.last();
                if stack.is_empty() {
                    req.root = Some(name.clone());
                } else if stack.len() == 1 && name.is(DAV, "allprop") {
                    req.allprop = true;
                } else if stack.len() == 2 && parent.is_some_and(|p| p.is(DAV, "prop")) {
                    req.props.push(name.clone());
                }
                if name.is(CALDAV, "time-range") && req.time_range.is_none() {
                    let (mut start, mut end) = (None, None);
                    for a in e.attributes().flatten() {
                        let value = a.unescape_value().map_err(|e| e.to_string())?.into_owned();
                        match a.key.local_name().as_ref() {
                            b"start" => start = Some(value),
                            b"end" => end = Some(value),
                            _ => {}
                        }
                    }
                    req.time_range = Some((start, end));
                }
                text.clear();
                if matches!(event, Event::Start(_)) {
                    stack.push(name);
                }
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                match r.resolve_char_ref().map_err(|e| e.to_string())? {
                    Some(c) => text.push(c),
                    None => text.push_str(resolve_xml_entity(&name).ok_or("unknown entity")?),
                }
            }
            Event::End(_) => {
                let name = stack.pop().ok_or("unbalanced XML")?;
                if name.is(DAV, "href") {
                    req.hrefs.push(text.trim().to_string());
                } else if name.is(DAV, "sync-token") {
                    req.sync_token = Some(text.trim().to_string());
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err("the XML ends inside an element".into());
    }
    Ok(req)
}

/// A multistatus body under construction.
pub struct Multistatus {
    out: String,
}

/// One resource's answer: the properties found (as XML) and those not.
pub struct Props {
    pub found: Vec<String>,
    pub missing: Vec<Name>,
}

impl Multistatus {
    pub fn new() -> Multistatus {
        Multistatus {
            out: format!(
                r#"<?xml version="1.0" encoding="utf-8"?><d:multistatus xmlns:d="{DAV}" xmlns:c="{CALDAV}" xmlns:cs="{CALSERVER}">"#
            ),
        }
    }

    pub fn response(&mut self, href: &str, props: Props) {
        self.out.push_str(&format!("<d:response><d:href>{}</d:href>", escape(href)));
        if !props.found.is_empty() {
            self.out.push_str("<d:propstat><d:prop>");
            props.found.iter().for_each(|p| self.out.push_str(p));
            self.out.push_str("</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>");
        }
        if !props.missing.is_empty() {
            self.out.push_str("<d:propstat><d:prop>");
            for n in &props.missing {
                self.out.push_str(&format!(r#"<x:{} xmlns:x="{}"/>"#, n.local, escape(&n.ns)));
            }
            self.out.push_str("</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>");
        }
        self.out.push_str("</d:response>");
    }

    /// A member gone since the client's sync token (RFC 6578 §3.5.2).
    pub fn gone(&mut self, href: &str) {
        self.out.push_str(&format!(
            "<d:response><d:href>{}</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>",
            escape(href)
        ));
    }

    pub fn finish(mut self, sync_token: Option<&str>) -> String {
        if let Some(token) = sync_token {
            self.out.push_str(&format!("<d:sync-token>{}</d:sync-token>", escape(token)));
        }
        self.out.push_str("</d:multistatus>");
        self.out
    }
}

/// An element holding text.
pub fn text(tag: &str, value: &str) -> String {
    // Quotes need no escaping in text, and ETags are quoted.
    format!("<{tag}>{}</{tag}>", partial_escape(value))
}

/// An element holding an `href`.
pub fn href(tag: &str, value: &str) -> String {
    format!("<{tag}><d:href>{}</d:href></{tag}>", escape(value))
}

/// A `DAV:error` body: the precondition broken, if one applies, and the reason in words.
pub fn error(precondition: Option<&str>, code: &str, reason: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><d:error xmlns:d="{DAV}" xmlns:c="{CALDAV}" xmlns:s="{SALAS}">{}<s:reason code="{}">{}</s:reason></d:error>"#,
        precondition.unwrap_or(""),
        escape(code),
        escape(reason)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calendar_query_names_its_props_and_time_range() {
        let body = r#"<?xml version="1.0"?>
            <C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
              <D:prop><D:getetag/><C:calendar-data><C:expand start="20300101T000000Z" end="20300201T000000Z"/></C:calendar-data></D:prop>
              <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
                <C:time-range start="20300101T000000Z" end="20300201T000000Z"/>
              </C:comp-filter></C:comp-filter></C:filter>
            </C:calendar-query>"#;
        let r = parse(body).unwrap();
        assert!(r.root.unwrap().is(CALDAV, "calendar-query"));
        let props: Vec<_> = r.props.iter().map(|p| p.local.as_str()).collect();
        assert_eq!(props, ["getetag", "calendar-data"]);
        assert_eq!(r.time_range, Some((Some("20300101T000000Z".into()), Some("20300201T000000Z".into()))));
    }

    #[test]
    fn hrefs_tokens_and_empty_bodies() {
        let body = r#"<sync-collection xmlns="DAV:"><sync-token>urn:salas:sync:3</sync-token><sync-level>1</sync-level><prop><getetag/></prop><href>/a&amp;b.ics</href></sync-collection>"#;
        let r = parse(body).unwrap();
        assert_eq!(r.sync_token.as_deref(), Some("urn:salas:sync:3"));
        assert_eq!(r.hrefs, ["/a&b.ics"]);
        assert!(parse("").unwrap().allprop);
        assert!(parse("<a><b></a>").is_err());
    }
}
