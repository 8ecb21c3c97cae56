//! Chat formats: an event told as one readable sentence ("Booked: Weekly sync — Atlas, Tue 8 Dec
//! 10:00–11:00 (Ana Ruiz)"), in the body each platform's incoming webhook takes: Slack's blocks,
//! a Teams MessageCard, a Matrix `m.room.message`. Pure: the store is read before, in
//! [`super::about`], so these are tested without a server.

use crate::i18n::{Tr, dates};
use crate::model::notify::WebhookFormat;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

/// What a chat message says about an event.
#[derive(Clone, Debug)]
pub struct About {
    /// The kind as the inbox names it: `reservation.requested` for a booking that waits for
    /// approval, else the event's kind.
    pub kind: String,
    /// The reservation's title (or the name of a room, a user… for other events).
    pub title: String,
    pub room: String,
    /// The room's zone: a meeting is told at the time its attendees will walk in.
    pub timezone: Tz,
    /// Start and end, for reservations.
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// The owner's name, for reservations.
    pub who: String,
}

/// The body of a `format` webhook about `about`, in `tr`'s language; None for `json`, whose body
/// is the event itself.
pub fn body(format: WebhookFormat, about: &About, tr: &Tr) -> Option<Value> {
    let plain = sentence(about, tr, &|s| s.to_string(), &|s| s.to_string());
    match format {
        WebhookFormat::Json => None,
        WebhookFormat::Slack => {
            // Slack reads `text` as mrkdwn too (it is the notification's text): both escaped.
            let text = sentence(about, tr, &slack_escape, &|s| s.to_string());
            let rich = sentence(about, tr, &slack_escape, &|s| format!("*{s}*"));
            Some(json!({"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": rich}}]}))
        }
        WebhookFormat::Teams => {
            let mut card = json!({
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": plain,
                "title": about.title,
                "text": sentence(about, tr, &html_escape, &|s| format!("**{s}**")),
            });
            if let Some(w) = when(about, tr) {
                let facts: Vec<Value> = [("room", &about.room), ("when", &w), ("booked_by", &about.who)]
                    .into_iter()
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(label, value)| json!({"name": tr.t(label), "value": value}))
                    .collect();
                card["sections"] = json!([{"facts": facts}]);
            }
            Some(card)
        }
        WebhookFormat::Matrix => Some(json!({
            "msgtype": "m.text",
            "body": plain,
            "format": "org.matrix.custom.html",
            "formatted_body": sentence(about, tr, &html_escape, &|s| format!("<strong>{s}</strong>")),
        })),
    }
}

/// The Matrix client API's send endpoint for `room` under the homeserver `base`. The transaction
/// id is the delivery's id: a homeserver treats a repeated id as the same message, so a retry
/// after a lost answer never posts twice.
pub fn matrix_url(base: &str, room: &str, txn: &str) -> Result<reqwest::Url, String> {
    let mut url = reqwest::Url::parse(base).map_err(|e| format!("the homeserver URL: {e}"))?;
    url.path_segments_mut().map_err(|()| "the homeserver URL cannot take a path".to_string())?.pop_if_empty().extend([
        "_matrix",
        "client",
        "v3",
        "rooms",
        room,
        "send",
        "m.room.message",
        txn,
    ]);
    Ok(url)
}

/// The sentence, with every value passed through `escape` and the title also through `strong`
/// (the platform's bold). The catalog's texts are ours and need no escaping.
fn sentence(about: &About, tr: &Tr, escape: &dyn Fn(&str) -> String, strong: &dyn Fn(&str) -> String) -> String {
    let key = format!("inbox_{}", about.kind.replace('.', "_"));
    let title = strong(&escape(&about.title));
    match when(about, tr).filter(|_| tr.t(&key) != key) {
        Some(w) => {
            // The title last: what its owner typed is not read for placeholders.
            let args = [("room", escape(&about.room)), ("when", escape(&w)), ("title", title)];
            let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let line = tr.f(&key, &args);
            if about.who.is_empty() { line } else { format!("{line} ({})", escape(&about.who)) }
        }
        None => {
            let line = tr.f("chat_event", &[("kind", &escape(&about.kind))]);
            if about.title.is_empty() { line } else { format!("{line}: {title}") }
        }
    }
}

/// "Tue 8 Dec 10:00–11:00" in the room's zone; a meeting over midnight names both days.
fn when(about: &About, tr: &Tr) -> Option<String> {
    let (start, end) = about.span?;
    let (s, e) = (dates::local(about.timezone, start), dates::local(about.timezone, end));
    let range = dates::range(tr, about.timezone, start, end);
    Some(if s.date_naive() == e.date_naive() {
        format!("{} {range}", dates::date_short(tr, s.date_naive()))
    } else {
        range
    })
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn html_escape(s: &str) -> String {
    slack_escape(s).replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use chrono::TimeZone;

    fn booked() -> About {
        About {
            kind: "reservation.created".into(),
            title: "Weekly sync".into(),
            room: "Atlas".into(),
            timezone: "Europe/Madrid".parse().unwrap(),
            // Tuesday 8 December 2026, 10:00–11:00 in Madrid (UTC+1).
            span: Some((
                Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 12, 8, 10, 0, 0).unwrap(),
            )),
            who: "Ana Ruiz".into(),
        }
    }

    const EN: Tr = Tr { lang: Lang::En };
    const ES: Tr = Tr { lang: Lang::Es };

    #[test]
    fn slack_gets_a_sentence_in_the_rooms_zone() {
        let b = body(WebhookFormat::Slack, &booked(), &EN).unwrap();
        assert_eq!(b["text"], "Booked: Weekly sync — Atlas, Tue 8 Dec 10:00–11:00 (Ana Ruiz)");
        assert_eq!(b["blocks"][0]["type"], "section");
        assert_eq!(b["blocks"][0]["text"]["type"], "mrkdwn");
        assert_eq!(b["blocks"][0]["text"]["text"], "Booked: *Weekly sync* — Atlas, Tue 8 Dec 10:00–11:00 (Ana Ruiz)");
        let es = body(WebhookFormat::Slack, &booked(), &ES).unwrap();
        assert_eq!(es["text"], "Reservada: Weekly sync — Atlas, mar 8 dic 10:00–11:00 (Ana Ruiz)");
    }

    #[test]
    fn teams_gets_a_message_card_with_facts() {
        let b = body(WebhookFormat::Teams, &booked(), &ES).unwrap();
        assert_eq!(b["@type"], "MessageCard");
        assert_eq!(b["@context"], "https://schema.org/extensions");
        assert_eq!(b["summary"], "Reservada: Weekly sync — Atlas, mar 8 dic 10:00–11:00 (Ana Ruiz)");
        assert_eq!(b["title"], "Weekly sync");
        assert_eq!(b["text"], "Reservada: **Weekly sync** — Atlas, mar 8 dic 10:00–11:00 (Ana Ruiz)");
        let facts = &b["sections"][0]["facts"];
        assert_eq!(facts[0], json!({"name": "Sala", "value": "Atlas"}));
        assert_eq!(facts[1]["value"], "mar 8 dic 10:00–11:00");
        assert_eq!(facts[2]["value"], "Ana Ruiz");
    }

    #[test]
    fn matrix_gets_plain_and_html_bodies_with_what_users_typed_escaped() {
        let about = About { kind: "reservation.cancelled".into(), title: "<b>Q&A</b> {room}".into(), ..booked() };
        let b = body(WebhookFormat::Matrix, &about, &EN).unwrap();
        assert_eq!(b["msgtype"], "m.text");
        assert_eq!(b["body"], "Cancelled: <b>Q&A</b> {room} — Atlas, Tue 8 Dec 10:00–11:00 (Ana Ruiz)");
        assert_eq!(b["format"], "org.matrix.custom.html");
        assert_eq!(
            b["formatted_body"],
            "Cancelled: <strong>&lt;b&gt;Q&amp;A&lt;/b&gt; {room}</strong> — Atlas, Tue 8 Dec 10:00–11:00 (Ana Ruiz)"
        );
        assert_eq!(body(WebhookFormat::Json, &about, &EN), None);
    }

    #[test]
    fn other_events_and_meetings_over_midnight() {
        let room =
            About { kind: "room.updated".into(), title: "Atlas".into(), span: None, who: String::new(), ..booked() };
        assert_eq!(body(WebhookFormat::Matrix, &room, &EN).unwrap()["body"], "Salas event room.updated: Atlas");
        assert!(body(WebhookFormat::Teams, &room, &EN).unwrap().get("sections").is_none());
        let late = About {
            span: Some((
                Utc.with_ymd_and_hms(2026, 12, 8, 22, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 12, 8, 23, 30, 0).unwrap(),
            )),
            ..booked()
        };
        let text = body(WebhookFormat::Slack, &late, &EN).unwrap()["text"].clone();
        assert_eq!(text, "Booked: Weekly sync — Atlas, Tue 8 Dec 23:00–Wed 9 Dec 00:30 (Ana Ruiz)");
    }

    #[test]
    fn matrix_urls_keep_the_homeservers_path_and_encode_the_room() {
        let url = matrix_url("https://m.example.org/base/", "!abc:example.org", "0190-x").unwrap();
        assert_eq!(
            url.as_str(),
            "https://m.example.org/base/_matrix/client/v3/rooms/!abc:example.org/send/m.room.message/0190-x"
        );
        let odd = matrix_url("https://m.example.org", "!a/b?c", "t").unwrap();
        assert_eq!(odd.path(), "/_matrix/client/v3/rooms/!a%2Fb%3Fc/send/m.room.message/t");
        assert!(matrix_url("not a url", "!a", "t").is_err());
    }
}
