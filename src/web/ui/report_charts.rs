//! Geometry of the reports page's charts, drawn as inline SVG by the template: no chart library,
//! no script, and only presentation attributes (the page's CSP forbids `style=`). Every chart's
//! figures are also on the page as text (the room bars' values, and a table under the others),
//! for screen readers and for phones, where a scaled-down chart's labels are too small to read.

use crate::reports::model::Report;

/// One room's bar: the name and the figure are HTML text beside an SVG bar `w` of 100 wide.
pub struct RoomBar {
    pub label: String,
    pub value: String,
    pub w: u32,
}

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

/// A weekday's row of the heatmap's table: the day and its 24 hours' occupancy.
pub struct HeatRow {
    pub day: String,
    pub hours: Vec<String>,
}

pub const COLUMNS_W: u32 = 640;
pub const COLUMNS_H: u32 = 140;

fn percent(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// Horizontal bars: utilization per room, from 0 to 100%.
pub fn room_bars(r: &Report) -> Vec<RoomBar> {
    r.utilization
        .rooms
        .iter()
        .map(|room| RoomBar {
            label: room.name.clone(),
            value: percent(room.figures.utilization),
            w: (room.figures.utilization.clamp(0.0, 1.0) * 100.0).round() as u32,
        })
        .collect()
}

/// Columns: utilization per day or month, scaled to the busiest period.
pub fn period_columns(r: &Report) -> Vec<Bar> {
    let periods = &r.utilization.periods;
    let max = busiest_period(r);
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

fn busiest_period(r: &Report) -> f64 {
    r.utilization.periods.iter().map(|p| p.figures.utilization).fold(0.0, f64::max)
}

/// The label of the columns' top: the busiest period's utilization, which the tallest column
/// reaches (the columns are scaled to it, not to 100%).
pub fn period_scale(r: &Report) -> String {
    percent(busiest_period(r))
}

/// The weekday × hour grid; `day_names` Monday first.
pub fn heatmap(r: &Report, day_names: &[String]) -> Vec<HeatCell> {
    let cells = &r.occupancy.heatmap;
    let max = cells.iter().map(|c| c.occupancy).fold(0.0, f64::max);
    cells
        .iter()
        .map(|c| HeatCell {
            x: 50 + u32::from(c.hour) * 23,
            y: u32::from(c.weekday) * 22,
            opacity: format!("{:.2}", if max > 0.0 { c.occupancy / max } else { 0.0 }),
            title: format!("{} {:02}:00 {}", day(day_names, c.weekday), c.hour, percent(c.occupancy)),
        })
        .collect()
}

fn day(day_names: &[String], weekday: u8) -> &str {
    day_names.get(usize::from(weekday) % 7).map(String::as_str).unwrap_or("")
}

/// The heatmap's rows' labels: the first three letters of each day ("Mon", "mié"), which fit
/// beside the grid at a size a phone can read.
pub fn short_days(day_names: &[String]) -> Vec<String> {
    day_names.iter().map(|d| d.chars().take(3).collect()).collect()
}

/// The heatmap as a table: a row per weekday, Monday first, with its 24 hours.
pub fn heat_table(r: &Report, day_names: &[String]) -> Vec<HeatRow> {
    (0..7u8)
        .map(|weekday| {
            let mut hours = vec![percent(0.0); 24];
            for c in r.occupancy.heatmap.iter().filter(|c| c.weekday == weekday) {
                if let Some(h) = hours.get_mut(usize::from(c.hour)) {
                    *h = percent(c.occupancy);
                }
            }
            HeatRow { day: day(day_names, weekday).to_string(), hours }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_days_cut_whole_letters() {
        let days = ["miércoles".to_string(), "sábado".to_string(), "Monday".to_string()];
        assert_eq!(short_days(&days), ["mié", "sáb", "Mon"]);
    }
}
