//! Geometry of the reports page's charts, drawn as inline SVG by the template: no chart library,
//! no script, and only presentation attributes (the page's CSP forbids `style=`).

use crate::reports::model::Report;

pub struct Bar {
    pub label: String,
    pub value: String,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

pub struct HeatCell {
    pub x: u32,
    pub y: u32,
    /// 0 to 1, relative to the busiest cell.
    pub opacity: String,
    pub title: String,
}

pub const BAR_MAX: u32 = 320;
pub const ROW: u32 = 22;
pub const COLUMNS_W: u32 = 640;
pub const COLUMNS_H: u32 = 140;

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Horizontal bars: utilization per room, from 0 to 100%.
pub fn room_bars(r: &Report) -> Vec<Bar> {
    r.utilization
        .rooms
        .iter()
        .enumerate()
        .map(|(i, room)| Bar {
            label: room.name.clone(),
            value: percent(room.figures.utilization),
            x: 170,
            y: i as u32 * ROW,
            w: (room.figures.utilization.clamp(0.0, 1.0) * f64::from(BAR_MAX)).round() as u32,
            h: ROW - 6,
        })
        .collect()
}

/// Columns: utilization per day or month, scaled to the busiest period.
pub fn period_columns(r: &Report) -> Vec<Bar> {
    let periods = &r.utilization.periods;
    let max = periods.iter().map(|p| p.figures.utilization).fold(0.0, f64::max);
    let width = COLUMNS_W / (periods.len().max(1) as u32);
    periods
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let h = if max > 0.0 { (p.figures.utilization / max * f64::from(COLUMNS_H)).round() as u32 } else { 0 };
            Bar {
                label: p.period.clone(),
                value: percent(p.figures.utilization),
                x: i as u32 * width,
                y: COLUMNS_H - h,
                w: width.saturating_sub(2).max(1),
                h,
            }
        })
        .collect()
}

/// The weekday × hour grid; `day_names` Monday first.
pub fn heatmap(r: &Report, day_names: &[&str; 7]) -> Vec<HeatCell> {
    let cells = &r.occupancy.heatmap;
    let max = cells.iter().map(|c| c.occupancy).fold(0.0, f64::max);
    cells
        .iter()
        .map(|c| HeatCell {
            x: 90 + u32::from(c.hour) * 22,
            y: u32::from(c.weekday) * 20,
            opacity: format!("{:.2}", if max > 0.0 { c.occupancy / max } else { 0.0 }),
            title: format!("{} {:02}:00 {}", day_names[usize::from(c.weekday) % 7], c.hour, percent(c.occupancy)),
        })
        .collect()
}
