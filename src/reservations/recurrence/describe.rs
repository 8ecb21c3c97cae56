//! A rule in words, for people: "Every 2nd Tuesday, 10 times", "El último viernes de cada mes,
//! hasta el 30 de junio de 2027". Pure, over the parsed rule, so the booking form's summary and
//! e-mails say exactly what will be booked. English and Spanish; any other language reads English.

use super::{End, Freq, Rule};
use chrono::{Datelike, NaiveDate, Weekday};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Es,
}

/// The rule `rule` in words, in `lang` ("en" or "es").
pub fn describe(rule: &Rule, lang: &str) -> String {
    let l = if lang.starts_with("es") { Lang::Es } else { Lang::En };
    let mut out = cadence(rule, l);
    if !rule.by_month.is_empty() && rule.freq != Freq::Yearly {
        let months = join(rule.by_month.iter().map(|m| month(*m, l).to_string()).collect(), l);
        out.push_str(&match l {
            Lang::En => format!(", in {months}"),
            Lang::Es => format!(", en {months}"),
        });
    }
    match rule.end {
        Some(End::Count(1)) => out.push_str(if l == Lang::En { ", once" } else { ", una vez" }),
        Some(End::Count(n)) => out.push_str(&format!(", {n} {}", if l == Lang::En { "times" } else { "veces" })),
        Some(End::UntilDate(d)) => out.push_str(&until(d, l)),
        Some(End::UntilLocal(t)) => out.push_str(&until(t.date(), l)),
        Some(End::UntilUtc(t)) => out.push_str(&until(t.date_naive(), l)),
        None => {}
    }
    out
}

fn cadence(rule: &Rule, l: Lang) -> String {
    let n = rule.interval;
    let plain_days: Vec<Weekday> = rule.by_day.iter().filter(|(p, _)| p.is_none()).map(|(_, w)| *w).collect();
    match rule.freq {
        Freq::Daily => {
            let base = every(n, l, ("Every day", "Todos los días"), ("days", "días"));
            if plain_days.is_empty() { base } else { format!("{base}, {}", on_days(&plain_days, l)) }
        }
        Freq::Weekly if plain_days.is_empty() => every(n, l, ("Every week", "Todas las semanas"), ("weeks", "semanas")),
        Freq::Weekly => match (l, n) {
            (Lang::En, 1) => format!("Every {}", join(plain_days.iter().map(|w| day(*w, l).to_string()).collect(), l)),
            (Lang::En, _) if plain_days.len() == 1 => format!("Every {} {}", ordinal(n, l), day(plain_days[0], l)),
            (Lang::En, _) => format!("Every {} week on {}", ordinal(n, l), join(days(&plain_days, l), l)),
            (Lang::Es, 1) => format!("Todos los {}", join(plurals(&plain_days), l)),
            (Lang::Es, _) => format!("Cada {n} semanas, los {}", join(plurals(&plain_days), l)),
        },
        Freq::Monthly => {
            let base = every(n, l, ("Every month", "Todos los meses"), ("months", "meses"));
            match in_month(rule, l) {
                Some(which) => format!("{base}, {which}"),
                None => base,
            }
        }
        Freq::Yearly => {
            let base = every(n, l, ("Every year", "Todos los años"), ("years", "años"));
            let months = join(rule.by_month.iter().map(|m| month(*m, l).to_string()).collect(), l);
            match (in_month(rule, l), rule.by_month.is_empty(), l) {
                // "on 4 May" / "el 4 de mayo" reads better than "in May, on day 4".
                (_, false, Lang::En) if is_single_day(rule) => format!("{base} on {} {months}", rule.by_month_day[0]),
                (_, false, Lang::Es) if is_single_day(rule) => {
                    format!("{base}, el {} de {months}", rule.by_month_day[0])
                }
                (Some(which), false, Lang::En) => format!("{base} in {months}, {which}"),
                (Some(which), false, Lang::Es) => format!("{base} en {months}, {which}"),
                (None, false, Lang::En) => format!("{base} in {months}"),
                (None, false, Lang::Es) => format!("{base} en {months}"),
                (Some(which), true, _) => format!("{base}, {which}"),
                (None, true, _) => base,
            }
        }
    }
}

fn is_single_day(rule: &Rule) -> bool {
    rule.by_day.is_empty() && rule.by_month.len() == 1 && rule.by_month_day.len() == 1 && rule.by_month_day[0] > 0
}

/// Which days of a month: "on day 15", "on the last day", "on the 2nd Tuesday".
fn in_month(rule: &Rule, l: Lang) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    if !rule.by_month_day.is_empty() {
        let (positive, negative): (Vec<i8>, Vec<i8>) = rule.by_month_day.iter().partition(|d| **d > 0);
        if !positive.is_empty() {
            let list = join(positive.iter().map(i8::to_string).collect(), l);
            parts.push(match (l, positive.len()) {
                (Lang::En, 1) => format!("on day {list}"),
                (Lang::En, _) => format!("on days {list}"),
                (Lang::Es, 1) => format!("el día {list}"),
                (Lang::Es, _) => format!("los días {list}"),
            });
        }
        for d in negative {
            parts.push(match (l, d) {
                (Lang::En, -1) => "on the last day".to_string(),
                (Lang::En, _) => format!("on the {} to last day", ordinal(u32::from(d.unsigned_abs()), l)),
                (Lang::Es, _) => format!("el {} día", from_end(d, l)),
            });
        }
    }
    for (pos, w) in rule.by_day.iter().filter_map(|(p, w)| p.map(|p| (p, *w))) {
        let which = if pos > 0 { ordinal(pos.unsigned_abs().into(), l) } else { from_end(pos, l) };
        parts.push(match l {
            Lang::En => format!("on the {which} {}", day(w, l)),
            Lang::Es => format!("el {which} {}", day(w, l)),
        });
    }
    let plain: Vec<Weekday> = rule.by_day.iter().filter(|(p, _)| p.is_none()).map(|(_, w)| *w).collect();
    if !plain.is_empty() {
        parts.push(on_days(&plain, l));
    }
    if parts.is_empty() { None } else { Some(join(parts, l)) }
}

/// "on Monday and Friday" / "los lunes y viernes".
fn on_days(list: &[Weekday], l: Lang) -> String {
    match l {
        Lang::En => format!("on {}", join(days(list, l), l)),
        Lang::Es => format!("los {}", join(plurals(list), l)),
    }
}

/// "Every week" for 1, "Every 3 weeks" / "Cada 3 semanas" otherwise.
fn every(n: u32, l: Lang, one: (&str, &str), unit: (&str, &str)) -> String {
    match (l, n) {
        (Lang::En, 1) => one.0.to_string(),
        (Lang::Es, 1) => one.1.to_string(),
        (Lang::En, _) => format!("Every {n} {}", unit.0),
        (Lang::Es, _) => format!("Cada {n} {}", unit.1),
    }
}

fn until(d: NaiveDate, l: Lang) -> String {
    match l {
        Lang::En => format!(", until {} {} {}", d.day(), month(d.month(), l), d.year()),
        Lang::Es => format!(", hasta el {} de {} de {}", d.day(), month(d.month(), l), d.year()),
    }
}

/// "1st", "2nd", "3rd", "11th" / "primer", "segundo", … (before a masculine noun: día, martes).
fn ordinal(n: u32, l: Lang) -> String {
    match l {
        Lang::En => {
            let suffix = match (n % 10, n % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
        Lang::Es => match n {
            1 => "primer".into(),
            2 => "segundo".into(),
            3 => "tercer".into(),
            4 => "cuarto".into(),
            5 => "quinto".into(),
            n => format!("{n}.º"),
        },
    }
}

/// A position counted from the end of the month: "last", "2nd to last" / "último", "penúltimo".
fn from_end(pos: i8, l: Lang) -> String {
    match (l, pos) {
        (Lang::En, -1) => "last".into(),
        (Lang::En, p) => format!("{} to last", ordinal(p.unsigned_abs().into(), l)),
        (Lang::Es, -1) => "último".into(),
        (Lang::Es, -2) => "penúltimo".into(),
        (Lang::Es, -3) => "antepenúltimo".into(),
        (Lang::Es, p) => format!("{}.º por el final", p.unsigned_abs()),
    }
}

/// "a, b and c" / "a, b y c".
fn join(items: Vec<String>, l: Lang) -> String {
    let and = if l == Lang::En { " and " } else { " y " };
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{}{and}{last}", rest.join(", ")),
    }
}

fn days(list: &[Weekday], l: Lang) -> Vec<String> {
    list.iter().map(|w| day(*w, l).to_string()).collect()
}

/// Spanish weekday names after "los": lunes to viernes are invariable, sábados and domingos are not.
fn plurals(list: &[Weekday]) -> Vec<String> {
    list.iter()
        .map(|w| match w {
            Weekday::Sat => "sábados".to_string(),
            Weekday::Sun => "domingos".to_string(),
            w => day(*w, Lang::Es).to_string(),
        })
        .collect()
}

fn day(w: Weekday, l: Lang) -> &'static str {
    const EN: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    const ES: [&str; 7] = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"];
    let i = w.num_days_from_monday() as usize;
    if l == Lang::En { EN[i] } else { ES[i] }
}

fn month(m: u32, l: Lang) -> &'static str {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    let i = (m.clamp(1, 12) - 1) as usize;
    if l == Lang::En { EN[i] } else { ES[i] }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn both(rule: &str) -> (String, String) {
        let r = parse(rule).unwrap();
        (describe(&r, "en"), describe(&r, "es"))
    }

    #[test]
    fn weekly_rules_read_naturally() {
        assert_eq!(
            both("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=10"),
            ("Every 2nd Tuesday, 10 times".into(), "Cada 2 semanas, los martes, 10 veces".into())
        );
        assert_eq!(
            both("FREQ=WEEKLY;BYDAY=MO,WE,SA;COUNT=1"),
            (
                "Every Monday, Wednesday and Saturday, once".into(),
                "Todos los lunes, miércoles y sábados, una vez".into()
            )
        );
        assert_eq!(
            both("FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,FR;UNTIL=20270630"),
            (
                "Every 3rd week on Monday and Friday, until 30 June 2027".into(),
                "Cada 3 semanas, los lunes y viernes, hasta el 30 de junio de 2027".into()
            )
        );
        assert_eq!(both("FREQ=WEEKLY;COUNT=4"), ("Every week, 4 times".into(), "Todas las semanas, 4 veces".into()));
        assert_eq!(
            describe(&parse("FREQ=WEEKLY;INTERVAL=11;BYDAY=SU;COUNT=2").unwrap(), "en"),
            "Every 11th Sunday, 2 times"
        );
    }

    #[test]
    fn monthly_positions_and_days() {
        assert_eq!(
            both("FREQ=MONTHLY;BYDAY=2TU;COUNT=10"),
            ("Every month, on the 2nd Tuesday, 10 times".into(), "Todos los meses, el segundo martes, 10 veces".into())
        );
        assert_eq!(
            both("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20271231T230000Z"),
            (
                "Every month, on the last Friday, until 31 December 2027".into(),
                "Todos los meses, el último viernes, hasta el 31 de diciembre de 2027".into()
            )
        );
        assert_eq!(
            both("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15;COUNT=4"),
            ("Every 3 months, on day 15, 4 times".into(), "Cada 3 meses, el día 15, 4 veces".into())
        );
        assert_eq!(
            both("FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2"),
            ("Every month, on the last day, 2 times".into(), "Todos los meses, el último día, 2 veces".into())
        );
        assert_eq!(
            describe(&parse("FREQ=MONTHLY;BYDAY=-2MO;COUNT=2").unwrap(), "es"),
            "Todos los meses, el penúltimo lunes, 2 veces"
        );
    }

    #[test]
    fn daily_and_yearly() {
        assert_eq!(both("FREQ=DAILY;COUNT=5"), ("Every day, 5 times".into(), "Todos los días, 5 veces".into()));
        assert_eq!(
            both("FREQ=DAILY;INTERVAL=2;UNTIL=20270105"),
            ("Every 2 days, until 5 January 2027".into(), "Cada 2 días, hasta el 5 de enero de 2027".into())
        );
        assert_eq!(
            both("FREQ=YEARLY;BYMONTH=5;BYMONTHDAY=4;COUNT=3"),
            ("Every year on 4 May, 3 times".into(), "Todos los años, el 4 de mayo, 3 veces".into())
        );
        assert_eq!(
            both("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;COUNT=2"),
            (
                "Every year in March, on the last Sunday, 2 times".into(),
                "Todos los años en marzo, el último domingo, 2 veces".into()
            )
        );
        assert_eq!(describe(&parse("FREQ=DAILY;COUNT=3").unwrap(), "fr"), "Every day, 3 times", "English otherwise");
    }
}
