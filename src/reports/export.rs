//! Reports and reservation lists as CSV (one table) and XLSX (typed cells: numbers stay
//! numbers, instants are Excel date-times in UTC).

use super::ReportError;
use super::model::{Report, RoomRow, Utilization};
use crate::model::field::{BookingField, FieldValue};
use crate::model::reservation::Reservation;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};
use std::collections::HashMap;

const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// One cell of an exported table.
#[derive(Clone, Debug)]
pub enum Value {
    Text(String),
    Number(f64),
    Time(chrono::DateTime<chrono::Utc>),
    Empty,
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Text(s)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Value {
        Value::Number(v)
    }
}
impl From<u64> for Value {
    fn from(v: u64) -> Value {
        Value::Number(v as f64)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Value {
        Value::Number(f64::from(v))
    }
}

/// A named table: a sheet of the workbook, or the whole of a CSV file.
pub struct Table {
    pub name: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

pub fn utilization_table(r: &Report) -> Table {
    let u = &r.utilization;
    let mut rows: Vec<Vec<Value>> = u
        .rooms
        .iter()
        .map(|x| {
            let head = ["room".into(), x.name.clone().into(), x.location.clone().into(), x.capacity.into()];
            utilization_row(head, &x.figures)
        })
        .collect();
    for l in &u.locations {
        let head = ["location".into(), l.location.clone().into(), l.location.clone().into(), Value::Empty];
        rows.push(utilization_row(head, &l.figures));
    }
    for p in &u.periods {
        rows.push(utilization_row(["period".into(), p.period.clone().into(), Value::Empty, Value::Empty], &p.figures));
    }
    rows.push(utilization_row(["total".into(), "total".into(), Value::Empty, Value::Empty], &u.total));
    Table {
        name: "Utilization",
        header: columns(&[
            "kind",
            "name",
            "location",
            "capacity",
            "open_hours",
            "booked_hours",
            "utilization",
            "booked_hours_all",
            "reservations",
            "no_shows",
            "no_show_rate",
            "checked_in",
            "actual_hours",
            "actual_utilization",
        ]),
        rows,
    }
}

/// One row of the utilization table: what it is about, then the same figures for every kind
/// (actual use empty where there is no check-in data).
fn utilization_row(head: [Value; 4], f: &Utilization) -> Vec<Value> {
    let figures: [Value; 10] = [
        f.open_hours.into(),
        f.booked_hours.into(),
        f.utilization.into(),
        f.booked_hours_all.into(),
        f.reservations.into(),
        f.no_shows.into(),
        f.no_show_rate.into(),
        f.checked_in.into(),
        f.actual_hours.map(Value::from).unwrap_or(Value::Empty),
        f.actual_utilization.map(Value::from).unwrap_or(Value::Empty),
    ];
    head.into_iter().chain(figures).collect()
}

pub fn occupancy_table(r: &Report) -> Table {
    let rows = r
        .occupancy
        .heatmap
        .iter()
        .map(|c| {
            vec![
                WEEKDAYS[usize::from(c.weekday) % 7].into(),
                u32::from(c.hour).into(),
                c.booked_hours.into(),
                c.occupancy.into(),
            ]
        })
        .collect();
    Table { name: "Occupancy", header: columns(&["weekday", "hour", "booked_hours", "occupancy"]), rows }
}

pub fn behaviour_table(r: &Report) -> Table {
    let b = &r.behaviour;
    let mut rows: Vec<Vec<Value>> = vec![
        vec!["reservations".into(), b.reservations.into()],
        vec!["cancellations".into(), b.cancellations.into()],
        vec!["late_cancellations".into(), b.late_cancellations.into()],
        vec!["cancellation_rate".into(), b.cancellation_rate.into()],
        vec!["no_shows".into(), b.no_shows.into()],
        vec!["no_show_rate".into(), b.no_show_rate.into()],
        vec!["avg_lead_hours".into(), b.avg_lead_hours.into()],
        vec!["avg_length_minutes".into(), b.avg_length_minutes.into()],
    ];
    for s in &b.sizes {
        rows.push(vec![format!("avg_people:{}", s.name).into(), s.avg_people.into()]);
        rows.push(vec![format!("avg_fill:{}", s.name).into(), s.avg_fill.into()]);
        rows.push(vec![format!("small_meeting_share:{}", s.name).into(), s.small_meeting_share.into()]);
    }
    for t in &b.top_bookers {
        rows.push(vec![format!("reservations_by:{}", t.name).into(), t.reservations.into()]);
    }
    Table { name: "Behaviour", header: columns(&["figure", "value"]), rows }
}

fn columns(header: &[&str]) -> Vec<String> {
    header.iter().map(|h| h.to_string()).collect()
}

/// The reservation list, with a column `fields.KEY` per booking field (answers to fields
/// deleted since are left out).
pub fn reservations_table(
    list: &[Reservation],
    rooms: &[RoomRow],
    users: &HashMap<crate::types::UserId, String>,
    fields: &[BookingField],
) -> Table {
    let names: HashMap<_, _> = rooms.iter().map(|r| (r.id, r.name.as_str())).collect();
    let rows = list
        .iter()
        .map(|r| {
            vec![
                r.id.to_string().into(),
                names.get(&r.room_id).copied().unwrap_or_default().into(),
                r.title.clone().into(),
                users.get(&r.user_id).cloned().unwrap_or_else(|| r.user_id.to_string()).into(),
                Value::Time(r.start),
                Value::Time(r.end),
                r.status.as_str().into(),
                u32::try_from(r.attendees.len()).unwrap_or(u32::MAX).into(),
                Value::Time(r.created_at),
                r.cancelled_at.map(Value::Time).unwrap_or(Value::Empty),
            ]
            .into_iter()
            .chain(fields.iter().map(|f| answer(r.fields.get(&f.key))))
            .collect()
        })
        .collect();
    Table {
        name: "Reservations",
        header: columns(&[
            "id",
            "room",
            "title",
            "user",
            "start",
            "end",
            "status",
            "attendees",
            "created_at",
            "cancelled_at",
        ])
        .into_iter()
        .chain(fields.iter().map(|f| format!("fields.{}", f.key)))
        .collect(),
        rows,
    }
}

fn answer(a: Option<&FieldValue>) -> Value {
    match a {
        None => Value::Empty,
        Some(FieldValue::Flag(b)) => Value::Text(b.to_string()),
        Some(FieldValue::Number(n)) => Value::Number(*n),
        Some(FieldValue::Text(t)) => Value::Text(t.clone()),
    }
}

/// A table as CSV: quoted as RFC 4180 says, text cells made inert (`spreadsheet`).
pub fn csv(table: &Table) -> String {
    let rows = table.rows.iter().map(|row| {
        row.iter()
            .map(|v| match v {
                Value::Text(s) => crate::spreadsheet::text(s),
                Value::Number(n) => n.to_string().into(),
                Value::Time(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true).into(),
                Value::Empty => "".into(),
            })
            .collect()
    });
    let header: Vec<&str> = table.header.iter().map(String::as_str).collect();
    crate::spreadsheet::csv(&header, rows)
}

fn sheet(ws: &mut Worksheet, table: &Table) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    ws.set_name(table.name)?;
    for (c, h) in table.header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)?;
        ws.set_column_width(c as u16, 16)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, v) in row.iter().enumerate() {
            let c = c as u16;
            match v {
                Value::Text(s) => ws.write_string(r, c, s)?,
                Value::Number(n) => ws.write_number(r, c, *n)?,
                Value::Time(t) => ws.write_datetime_with_format(r, c, t.naive_utc(), &time)?,
                Value::Empty => ws,
            };
        }
    }
    Ok(())
}

pub fn xlsx(tables: &[Table]) -> Result<Vec<u8>, ReportError> {
    let mut book = Workbook::new();
    for table in tables {
        sheet(book.add_worksheet(), table).map_err(|e| ReportError::Export("xlsx", e.to_string()))?;
    }
    book.save_to_buffer().map_err(|e| ReportError::Export("xlsx", e.to_string()))
}

/// The workbook of a whole report: one sheet per section.
pub fn report_xlsx(r: &Report) -> Result<Vec<u8>, ReportError> {
    xlsx(&[utilization_table(r), occupancy_table(r), behaviour_table(r)])
}
