//! Each table has one owner: the crate whose migrations create it. No other crate's SQL names
//! it; what a part needs from another it asks through that part's functions (inside the caller's
//! transaction where the answer must agree with the write). This test reads every crate's
//! migrations and sources and fails on SQL that names another crate's table. Inside a crate,
//! calls go one way too: no two modules use each other, directly or round a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// SQL that names another crate's table by design, as `(file, table)`. The test fails on any
/// use not listed here, and on a listed one that is gone (so the list only shrinks).
const BY_DESIGN: &[(&str, &str)] = &[
    // Testkit's `tamper` edits the database behind the platform's back, as an intruder would, to
    // show that the journal notices; it first waits until the sealer has linked every record.
    ("testkit/src/lib.rs", "audit_pending"),
];

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
}

fn crate_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(crates_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// table → the crate whose migrations create it.
fn owners() -> BTreeMap<String, String> {
    let create = regex::Regex::new(r"(?i)create\s+table\s+(?:if\s+not\s+exists\s+)?(\w+)").unwrap();
    let mut owners = BTreeMap::new();
    for name in crate_names() {
        let mut sql = Vec::new();
        files(
            &crates_dir().join(&name).join("migrations"),
            "sql",
            &mut sql,
        );
        for f in sql {
            let text = std::fs::read_to_string(&f).unwrap();
            for c in create.captures_iter(&text) {
                let table = c[1].to_ascii_lowercase();
                if let Some(other) = owners.insert(table.clone(), name.clone()) {
                    assert_eq!(other, name, "table {table} created by two crates");
                }
            }
        }
    }
    owners
}

/// The code of a source file, without comments and without its unit-test module (a test may
/// set up what it checks by hand; the product may not).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.trim_start().starts_with("//") {
            true => "",
            false => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `okno-*` crates a crate depends on (not for tests), by their directory names.
fn dependencies(name: &str) -> BTreeSet<String> {
    let dep_re = regex::Regex::new(r"(?m)^okno-(\w+)\s*[.=]").unwrap();
    let toml = std::fs::read_to_string(crates_dir().join(name).join("Cargo.toml")).unwrap();
    let deps = toml.split("[dev-dependencies]").next().unwrap_or_default();
    dep_re
        .captures_iter(deps)
        .map(|c| c[1].to_string())
        .collect()
}

/// `(file, table, owner)` for every SQL use of a table outside its owner, in sources and
/// migrations. A foreign key (`REFERENCES`) is the one exception, toward a crate this one
/// depends on: the database then guarantees the row the part points at exists, and migrations
/// run in dependency order so the table is there first.
fn foreign_uses() -> BTreeSet<(String, String, String)> {
    let owners = owners();
    let names = owners.keys().cloned().collect::<Vec<_>>().join("|");
    let use_re = regex::Regex::new(&format!(
        r"(?i)\b(from|join|into|update|table|exists|references)\s+({names})\b"
    ))
    .unwrap();
    let mut out = BTreeSet::new();
    for name in crate_names() {
        let deps = dependencies(&name);
        let dir = crates_dir().join(&name);
        let mut paths = Vec::new();
        files(&dir.join("src"), "rs", &mut paths);
        files(&dir.join("migrations"), "sql", &mut paths);
        for p in paths {
            let text = code(&std::fs::read_to_string(&p).unwrap());
            for c in use_re.captures_iter(&text) {
                let table = c[2].to_ascii_lowercase();
                let owner = &owners[&table];
                let foreign_key = c[1].eq_ignore_ascii_case("references") && deps.contains(owner);
                if *owner != name && !foreign_key {
                    let file = p
                        .strip_prefix(crates_dir())
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.insert((file, table, owner.clone()));
                }
            }
        }
    }
    out
}

#[test]
fn no_crate_names_a_table_another_crate_owns() {
    let uses = foreign_uses();
    let known: BTreeSet<(String, String)> = BY_DESIGN
        .iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
    let new: Vec<_> = uses
        .iter()
        .filter(|(f, t, _)| !known.contains(&(f.clone(), t.clone())))
        .map(|(f, t, o)| format!("{f} names `{t}` (owned by {o})"))
        .collect();
    assert!(
        new.is_empty(),
        "ask the owner crate's functions instead:\n{}",
        new.join("\n")
    );
    let gone: Vec<_> = known
        .iter()
        .filter(|(f, t)| !uses.iter().any(|(uf, ut, _)| uf == f && ut == t))
        .collect();
    assert!(gone.is_empty(), "gone, remove from BY_DESIGN: {gone:?}");
}

#[test]
fn the_check_sees_a_foreign_table() {
    // The scanner itself: a query naming another part's table is found, a comment is not.
    let text =
        code("// SELECT * FROM accounts\nlet q = \"SELECT level FROM accounts WHERE id = $1\";");
    let re = regex::Regex::new(r"(?i)\b(?:from|join)\s+(accounts)\b").unwrap();
    assert_eq!(re.captures_iter(&text).count(), 1);
    assert_eq!(
        owners().get("accounts").map(String::as_str),
        Some("identity")
    );
    assert_eq!(owners().get("outbox").map(String::as_str), Some("kernel"));
}

#[test]
fn each_part_migrates_after_the_crates_its_cargo_toml_depends_on() {
    let uses_re = regex::Regex::new(r"uses:\s*&\[([^\]]*)\]").unwrap();
    let mut checked = 0;
    for name in crate_names() {
        let dir = crates_dir().join(&name);
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap_or_default();
        if !lib.contains("pub fn part()") {
            continue;
        }
        let declared: BTreeSet<String> = uses_re.captures(&lib).unwrap()[1]
            .split(',')
            .map(|s| s.trim().trim_matches('"').to_string())
            .filter(|s| !s.is_empty())
            .collect();
        assert_eq!(
            declared,
            dependencies(&name),
            "crates/{name}: `uses` in part() against Cargo.toml"
        );
        checked += 1;
    }
    assert_eq!(checked, 8, "every part that keeps tables declares part()");
}

/// The modules a piece of code names in its own crate: `crate::x…` and `use crate::{x, y::…}`.
fn named_modules(code: &str) -> BTreeSet<String> {
    names_after(code, "crate::")
}

/// The names that follow `prefix` (`crate::`, `super::`, `crate::service::`) in a piece of code:
/// `prefix x…` and `prefix {x, y::…}`.
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let path_re =
        regex::Regex::new(&format!(r"(?:^|[^\w:]){}(\w+)", regex::escape(prefix))).unwrap();
    let mut out: BTreeSet<String> = path_re
        .captures_iter(code)
        .map(|c| c[1].to_string())
        .collect();
    let group = format!("{prefix}{{");
    for (at, _) in code.match_indices(&group) {
        if code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let (mut depth, mut item) = (0, String::new());
        for ch in code[at + group.len()..].chars() {
            match ch {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.extend(item.split("::").next().map(|s| s.trim().to_string()));
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(ch);
        }
        out.extend(item.split("::").next().map(|s| s.trim().to_string()));
    }
    out.retain(|m| !m.is_empty());
    out
}

/// module → the other modules of the same crate it names (a module is a top-level file or
/// folder of `src/`; tests and comments do not count).
fn module_graph(krate: &str) -> BTreeMap<String, BTreeSet<String>> {
    let src = crates_dir().join(krate).join("src");
    let mut paths = Vec::new();
    files(&src, "rs", &mut paths);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &paths {
        let rel = p.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let named = named_modules(&code(&std::fs::read_to_string(p).unwrap()));
        graph.entry(module).or_default().extend(named);
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for (module, named) in graph.iter_mut() {
        named.retain(|n| n != module && modules.contains(n));
    }
    graph
}

/// For each folder of a crate's `src/` (`service/`, `store/`, …): file → the other files of the
/// same folder it names (`super::x` or `crate::folder::x`; `mod.rs`, which declares them all, is
/// not one of them).
fn folder_graphs(krate: &str) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = crates_dir().join(krate).join("src");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let folder = dir.file_name().unwrap().to_string_lossy().to_string();
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in std::fs::read_dir(&dir).unwrap() {
            let p = f.unwrap().path();
            let name = p.file_stem().unwrap().to_string_lossy().to_string();
            if p.extension().is_none_or(|e| e != "rs") || name == "mod" {
                continue;
            }
            let code = code(&std::fs::read_to_string(&p).unwrap());
            let mut named = names_after(&code, "super::");
            named.extend(names_after(&code, &format!("crate::{folder}::")));
            graph.entry(name).or_default().extend(named);
        }
        let files: BTreeSet<String> = graph.keys().cloned().collect();
        for (file, named) in graph.iter_mut() {
            named.retain(|n| n != file && files.contains(n));
        }
        out.insert(folder, graph);
    }
    out
}

/// The circles of a graph: its strongly connected sets of more than one module.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<Vec<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_string()];
        while let Some(m) = todo.pop() {
            for n in graph.get(&m).into_iter().flatten() {
                if seen.insert(n.clone()) {
                    todo.push(n.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    graph
        .keys()
        .filter_map(|m| {
            let circle: Vec<String> = graph
                .keys()
                .filter(|n| reaches[m].contains(*n) && reaches[n].contains(m))
                .cloned()
                .collect();
            (circle.len() > 1).then_some(circle)
        })
        .collect()
}

#[test]
fn no_crate_has_a_circle_of_modules() {
    let mut found = BTreeSet::new();
    for name in crate_names() {
        for circle in circles(&module_graph(&name)) {
            found.insert((name.clone(), circle));
        }
        for (folder, graph) in folder_graphs(&name) {
            for circle in circles(&graph) {
                found.insert((format!("{name}/src/{folder}"), circle));
            }
        }
    }
    assert!(
        found.is_empty(),
        "modules that use each other (make the calls go one way: move what both need into a \
         module below them): {found:?}"
    );
}

#[test]
fn the_check_sees_a_circle_of_modules() {
    let named = named_modules(&code(
        "use crate::{a::X, b::{Y, Z}};\n// crate::c\nfn f() { crate::d::g(); }",
    ));
    assert_eq!(named, BTreeSet::from(["a", "b", "d"].map(String::from)));
    let inside =
        "use super::{base::X, store};\nfn f() { crate::service::filing::g(); super::super::h(); }";
    assert_eq!(
        names_after(&code(inside), "super::"),
        BTreeSet::from(["base", "store", "super"].map(String::from))
    );
    assert_eq!(
        names_after(&code(inside), "crate::service::"),
        BTreeSet::from(["filing".to_string()])
    );
    // The folders are read: appeals' use cases lean on their `base`.
    let service = &folder_graphs("appeals")["service"];
    assert!(service["access"].contains("base"), "{service:?}");
    assert!(!service.contains_key("mod"));
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", &["b"][..]),
        ("b", &["c"]),
        ("c", &["a"]),
        ("d", &["a"]),
    ]
    .into_iter()
    .map(|(m, ns)| (m.to_string(), ns.iter().map(|n| n.to_string()).collect()))
    .collect();
    assert_eq!(
        circles(&graph),
        BTreeSet::from([vec!["a".to_string(), "b".into(), "c".into()]])
    );
}
