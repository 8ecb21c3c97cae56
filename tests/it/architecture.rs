//! The layers of docs/architecture.md, read off the source: which top-level module of `src/`
//! names which other (`crate::x`), and which modules name the storage crates.
//!
//! - Only `store` names redb or a PostgreSQL client.
//! - The store and the leaves (plain types, pure rules, configuration) import leaves only.
//! - No cycle among top-level modules: a module never reaches itself through its imports, so no
//!   two of them import each other.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Modules that import no module outside this list: what the store may build on.
const LEAVES: &[&str] =
    &["access", "clock", "config", "i18n", "model", "secrets", "spreadsheet", "types", "validation"];
/// Crates only the store may name: the embedded store and the PostgreSQL clients.
const STORAGE_CRATES: &[&str] = &["redb", "tokio_postgres", "postgres", "deadpool_postgres", "sqlx", "postgres_types"];

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn the_source_keeps_its_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    collect(&src, &src, &mut files);
    assert!(files.len() > 100, "read only {} files under {}", files.len(), src.display());
    let problems = check(&files);
    assert!(problems.is_empty(), "the layers are broken:\n{}", problems.join("\n"));
}

/// Every crate in `[dependencies]` is named by the source: a declared but unused one only costs
/// build time and audit work (four were found so, and removed).
#[test]
fn every_dependency_is_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml")).unwrap().parse().unwrap();
    let mut files = Vec::new();
    collect(&root.join("src"), &root.join("src"), &mut files);
    let roots = ["main.rs", "lib.rs"].map(|f| std::fs::read_to_string(root.join("src").join(f)).unwrap());
    let code = files.iter().map(|(_, text)| text).chain(&roots).map(|t| without_comments(t)).collect::<Vec<_>>();
    let code = code.join("\n");
    let unused: Vec<&String> = manifest["dependencies"]
        .as_table()
        .unwrap()
        .keys()
        .filter(|name| !names_crate(&code, &name.replace('-', "_")))
        .collect();
    assert!(unused.is_empty(), "declared in Cargo.toml but not used in src/: {unused:?}");
}

/// The checker finds each kind of break: a test that could not fail would prove nothing.
#[test]
fn the_checker_notices_each_kind_of_break() {
    let file = |module: &str, text: &str| (module.to_string(), text.to_string());
    let broken = [
        file("store", "use crate::model::room::Room;\nuse crate::reservations::Reservations;\n"),
        file("reservations", "use crate::store::Store;\nuse crate::{rooms, types};\nuse redb::Database;\n"),
        file("rooms", "fn f() { crate::reservations::stage_cancel(); }\n"),
        file("model", "use crate::types::RoomId;\n// crate::store in a comment does not count\n"),
        file("web", "let url = \"postgres://db/salas\"; use tokio_postgres::Client;\n"),
    ];
    let problems = check(&broken);
    let expect = [
        "store imports reservations",
        "reservations names the storage crate redb",
        "web names the storage crate tokio_postgres",
        "cycle: reservations -> rooms -> reservations",
        "cycle: reservations -> store -> reservations",
    ];
    for e in expect {
        assert!(problems.iter().any(|p| p.contains(e)), "missed `{e}` in {problems:?}");
    }
    assert_eq!(problems.len(), expect.len(), "{problems:?}");
    assert!(check(&[file("store", "use crate::model::room::Room;")]).is_empty());
}

/// (top-level module, text) of every `.rs` file under `dir`.
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).unwrap();
            let first = relative.components().next().unwrap().as_os_str().to_string_lossy();
            let module = first.trim_end_matches(".rs").to_string();
            if module != "lib" && module != "main" {
                out.push((module, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
}

fn check(files: &[(String, String)]) -> Vec<String> {
    let mut graph = Graph::new();
    let mut problems = BTreeSet::new();
    for (module, text) in files {
        let code = without_comments(text);
        let deps = graph.entry(module.clone()).or_default();
        deps.extend(crate_paths(&code).into_iter().filter(|d| d != module));
        if module != "store" {
            for name in STORAGE_CRATES {
                if names_crate(&code, name) {
                    problems.insert(format!("{module} names the storage crate {name}"));
                }
            }
        }
    }
    for (module, deps) in &graph {
        if module == "store" || LEAVES.contains(&module.as_str()) {
            for dep in deps.iter().filter(|d| !LEAVES.contains(&d.as_str())) {
                problems.insert(format!("{module} imports {dep}, which is not a leaf ({LEAVES:?})"));
            }
        }
    }
    problems.extend(cycles(&graph));
    problems.into_iter().collect()
}

/// The text without `//` comments (doc comments name modules in prose).
fn without_comments(text: &str) -> String {
    text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n")
}

/// The top-level modules a text names as `crate::x` or in `crate::{x, y::z}`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..group.find('}').unwrap_or(group.len())];
            out.extend(inner.split(',').map(|p| ident(p.trim())).filter(|p| !p.is_empty()));
        } else {
            out.insert(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

/// Whether the code names `name` as a crate path (`name::`, not `xname::` nor `name://`).
fn names_crate(code: &str, name: &str) -> bool {
    code.match_indices(&format!("{name}::")).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// Every cycle, each named once from its smallest module: `cycle: a -> b -> a`.
fn cycles(graph: &Graph) -> Vec<String> {
    let mut found = BTreeSet::new();
    for start in graph.keys() {
        let mut path = vec![start.clone()];
        walk(graph, start, &mut path, &mut found);
    }
    found.into_iter().map(|c: Vec<String>| format!("cycle: {}", c.join(" -> "))).collect()
}

fn walk(graph: &Graph, start: &str, path: &mut Vec<String>, found: &mut BTreeSet<Vec<String>>) {
    let last = path.last().unwrap().clone();
    for next in graph.get(&last).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(start.to_string());
            found.insert(cycle);
        } else if next.as_str() > start && !path.contains(next) {
            path.push(next.clone());
            walk(graph, start, path, found);
            path.pop();
        }
    }
}
