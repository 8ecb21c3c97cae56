//! A batch's rows as few statements. A booking writes a reservation, an event and an audit
//! record, so a batch of 64 bookings was 192 statements, each parsed, planned and executed on
//! its own; most of a batch's time in the database went there. Rows of one table written by
//! the same INSERT become one multi-row INSERT instead. Only rows of one table keep their order
//! (the tables have no keys between them); an upsert never meets its own key twice in one
//! statement (PostgreSQL refuses that), and runs are cut into 1, 2, 4… 64 rows, so that each
//! statement has a few shapes to prepare once.

use super::project::Row;
use std::collections::HashSet;
use tokio_postgres::types::ToSql;

/// The largest run one statement writes.
const MOST_ROWS: usize = 64;

/// Rows written by one statement: `sql` repeated `rows.len()` times.
pub struct Run<'a> {
    pub sql: &'static str,
    pub rows: Vec<&'a Row>,
}

impl Run<'_> {
    pub fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.rows.iter().flat_map(|r| r.params.iter().map(|p| &**p as &(dyn ToSql + Sync))).collect()
    }
}

/// The statements that write `rows`: each table's rows in their order.
pub fn plan(rows: &[Row]) -> Vec<Run<'_>> {
    let mut tables: Vec<&str> = rows.iter().map(|r| table(r.sql)).collect();
    tables.dedup();
    let mut seen = HashSet::new();
    tables.retain(|t| seen.insert(*t));
    let mut runs = Vec::new();
    for t in tables {
        let mut run: Vec<&Row> = Vec::new();
        let mut keys = HashSet::new();
        for row in rows.iter().filter(|r| table(r.sql) == t) {
            let key = conflict_key(row);
            let joins = run.first().is_some_and(|first| first.sql == row.sql)
                && row.sql.starts_with("INSERT")
                && run.len() < MOST_ROWS
                && key.as_ref().is_none_or(|k| !keys.contains(k));
            if !joins {
                split(std::mem::take(&mut run), &mut runs);
                keys.clear();
            }
            keys.extend(key);
            run.push(row);
        }
        split(run, &mut runs);
    }
    runs
}

/// Cuts a run into statements of 64, 32… 1 rows.
fn split<'a>(mut run: Vec<&'a Row>, runs: &mut Vec<Run<'a>>) {
    while let Some(first) = run.first() {
        let sql = first.sql;
        let size = 1 << run.len().ilog2();
        let rest = run.split_off(size);
        runs.push(Run { sql, rows: run });
        run = rest;
    }
}

/// The table a statement writes (they all start `INSERT INTO t` or `DELETE FROM t`).
fn table(sql: &str) -> &str {
    sql.split_whitespace().nth(2).unwrap_or(sql)
}

/// The row's key in its upsert's conflict target (its first parameters), if it has one.
fn conflict_key(row: &Row) -> Option<String> {
    let (_, target) = row.sql.split_once("ON CONFLICT (")?;
    let columns = target.split_once(')')?.0.split(',').count();
    Some(format!("{:?}", row.params.get(..columns)?))
}

/// `sql`, whose VALUES list holds one row, written for `rows` rows.
pub fn multi_row(sql: &str, rows: usize) -> String {
    let Some(at) = sql.find("VALUES (") else { return sql.to_string() };
    let start = at + "VALUES ".len();
    let Some(len) = sql[start..].find(')') else { return sql.to_string() };
    let tuple = &sql[start..=start + len];
    let width = tuple.matches('$').count();
    let tuples: Vec<String> = (0..rows).map(|i| renumber(tuple, i * width)).collect();
    format!("{}{}{}", &sql[..start], tuples.join(", "), &sql[start + len + 1..])
}

/// `tuple` with each `$n` made `$(n + offset)`.
fn renumber(tuple: &str, offset: usize) -> String {
    let mut out = String::with_capacity(tuple.len() + 8);
    let mut rest = tuple;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let n: usize = rest[..digits].parse().unwrap_or(0);
        out.push_str(&(n + offset).to_string());
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const UPSERT: &str = "INSERT INTO t (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc";

    fn row(sql: &'static str, id: i64) -> Row {
        Row { sql, params: vec![Box::new(id), Box::new(format!("doc {id}"))] }
    }

    fn shapes(runs: &[Run]) -> Vec<(String, usize)> {
        runs.iter().map(|r| (table(r.sql).to_string(), r.rows.len())).collect()
    }

    #[test]
    fn statements_for_many_rows_renumber_their_parameters() {
        assert_eq!(
            multi_row(UPSERT, 3),
            "INSERT INTO t (id, doc) VALUES ($1, $2), ($3, $4), ($5, $6) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc"
        );
        assert_eq!(multi_row("INSERT INTO k (key) VALUES ($1) ON CONFLICT DO NOTHING", 2).matches("$2").count(), 1);
    }

    #[test]
    fn rows_of_a_table_merge_while_other_tables_interleave() {
        let rows: Vec<Row> =
            (0..5).flat_map(|i| [row(UPSERT, i), row("INSERT INTO events (seq, doc) VALUES ($1, $2)", i)]).collect();
        assert_eq!(
            shapes(&plan(&rows)),
            [("t", 4), ("t", 1), ("events", 4), ("events", 1)].map(|(t, n)| (t.into(), n))
        );
    }

    #[test]
    fn an_upsert_never_meets_its_key_twice_and_deletes_keep_their_place() {
        let delete = "DELETE FROM t WHERE id = $1";
        let rows = vec![row(UPSERT, 1), row(UPSERT, 2), row(UPSERT, 1), row(delete, 2), row(UPSERT, 2)];
        let runs = plan(&rows);
        assert_eq!(shapes(&runs), [("t", 2), ("t", 1), ("t", 1), ("t", 1)].map(|(t, n)| (t.into(), n)));
        assert_eq!(runs[2].sql, delete);
    }

    #[test]
    fn long_runs_are_cut_into_powers_of_two() {
        let rows: Vec<Row> = (0..100).map(|i| row(UPSERT, i)).collect();
        let sizes: Vec<usize> = plan(&rows).iter().map(|r| r.rows.len()).collect();
        assert_eq!(sizes, [64, 32, 4]);
    }
}
