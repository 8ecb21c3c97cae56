//! A one-page PDF of a report: the totals, a bar chart of utilization per room, locations and
//! peak times. Built-in Helvetica, so no font file ships with the binary; WinAnsi text only,
//! hence plain ASCII in the labels.

use super::model::Report;
use printpdf::{
    BuiltinFont, Color, LinePoint, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions, Point, Polygon,
    PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const LEFT: f32 = 50.0;

struct Page {
    ops: Vec<Op>,
    /// Distance from the top of the page to the next line.
    y: f32,
}

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb { r, g, b, icc_profile: None })
}

/// Keeps the text in what Helvetica's built-in encoding can show.
fn ascii(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii() && !c.is_ascii_control() { c } else { '?' }).collect()
}

impl Page {
    fn text_at(&mut self, x: f32, top: f32, size: f32, bold: bool, s: &str) {
        let font = if bold { BuiltinFont::HelveticaBold } else { BuiltinFont::Helvetica };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(PAGE_H - top) } },
            Op::SetFont { font: PdfFontHandle::Builtin(font), size: Pt(size) },
            Op::SetFillColor { col: rgb(0.1, 0.1, 0.1) },
            Op::ShowText { items: vec![TextItem::Text(ascii(s))] },
            Op::EndTextSection,
        ]);
    }

    fn line(&mut self, size: f32, bold: bool, s: &str) {
        self.y += size * 1.5;
        let y = self.y;
        self.text_at(LEFT, y, size, bold, s);
    }

    fn rect(&mut self, x: f32, top: f32, w: f32, h: f32, color: Color) {
        let (x0, x1, y0, y1) = (x, x + w, PAGE_H - top - h, PAGE_H - top);
        let p = |x: f32, y: f32| LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false };
        self.ops.push(Op::SetFillColor { col: color });
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing { points: vec![p(x0, y0), p(x1, y0), p(x1, y1), p(x0, y1)] }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
    }
}

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

pub fn render(report: &Report, title: &str) -> Vec<u8> {
    let mut page = Page { ops: Vec::new(), y: 40.0 };
    let u = &report.utilization;
    let b = &report.behaviour;
    page.line(18.0, true, title);
    page.line(
        10.0,
        false,
        &format!("{} to {} (UTC)", report.from.format("%Y-%m-%d %H:%M"), report.to.format("%Y-%m-%d %H:%M")),
    );
    page.y += 8.0;
    page.line(12.0, true, "Totals");
    let mut totals = vec![
        format!("Utilization: {}", percent(u.total.utilization)),
        format!("Open hours: {:.2}", u.total.open_hours),
        format!("Booked hours: {:.2}", u.total.booked_hours),
        format!("Reservations: {}", b.reservations),
        format!("Cancellations: {} (late: {})", b.cancellations, b.late_cancellations),
        format!("No-shows: {} ({})", u.total.no_shows, percent(u.total.no_show_rate)),
        format!("Average lead time: {:.1} h", b.avg_lead_hours),
        format!("Average meeting length: {:.0} min", b.avg_length_minutes),
    ];
    // Actual use only where check-in data exists.
    if let (Some(h), Some(share)) = (u.total.actual_hours, u.total.actual_utilization) {
        totals.insert(3, format!("Actual use (checked in): {:.2} h, {}", h, percent(share)));
    }
    for s in totals {
        page.line(10.0, false, &s);
    }

    page.y += 8.0;
    page.line(12.0, true, "Utilization per room");
    page.y += 6.0;
    let bar_x = LEFT + 150.0;
    let bar_w = PAGE_W - bar_x - 90.0;
    for room in u.rooms.iter().take(20) {
        let top = page.y;
        page.text_at(LEFT, top + 9.0, 9.0, false, &room.name.chars().take(28).collect::<String>());
        page.rect(bar_x, top, bar_w, 10.0, rgb(0.9, 0.92, 0.95));
        let w = (room.figures.utilization.clamp(0.0, 1.0) as f32) * bar_w;
        if w > 0.0 {
            page.rect(bar_x, top, w, 10.0, rgb(0.15, 0.4, 0.75));
        }
        page.text_at(bar_x + bar_w + 6.0, top + 9.0, 9.0, false, &percent(room.figures.utilization));
        page.y += 14.0;
    }
    if u.rooms.len() > 20 {
        page.line(9.0, false, &format!("... and {} more rooms (see the spreadsheet)", u.rooms.len() - 20));
    }

    page.y += 8.0;
    page.line(12.0, true, "Locations");
    for l in u.locations.iter().take(10) {
        let name = if l.location.is_empty() { "(none)" } else { l.location.as_str() };
        page.line(
            10.0,
            false,
            &format!(
                "{name}: {} rooms, {} of {:.1} open hours",
                l.rooms,
                percent(l.figures.utilization),
                l.figures.open_hours
            ),
        );
    }
    page.y += 8.0;
    page.line(12.0, true, "Peak times (room local time)");
    for c in &report.occupancy.peaks {
        page.line(
            10.0,
            false,
            &format!("{} {:02}:00  {} occupied", WEEKDAYS[usize::from(c.weekday) % 7], c.hour, percent(c.occupancy)),
        );
    }

    let mut doc = PdfDocument::new(title);
    doc.with_pages(vec![PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), page.ops)]);
    doc.save(&PdfSaveOptions::default(), &mut Vec::new())
}
