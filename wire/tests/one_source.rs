//! The browser protocol is written once, in this crate: no source outside it spells a route
//! path, the push stream's subprotocol, the bearer prefix or a public error code. Tests (which
//! state the protocol as a browser sees it), docs, generated files and the bench's independent
//! JS baseline are not sources of it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use pilot_connect_wire::{route, PublicErrorCode, BEARER_PREFIX, SUBPROTOCOL};

/// Folders that are not sources of the protocol.
const SKIP_DIRS: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    "wire",    // the one source
    "test",    // worker/test, apps' test/: black-box suites
    "tests",   // core tests, recipe apps, e2e, the sandbox (a model of Pilot Status)
    "bench",   // harnesses and the independent JS baseline worker
    "benches", // labels
    "fuzz",
    "build", // worker-build output
    "dist",
];

/// Files whose own public vocabulary shares words with the error codes (the server package's
/// error kinds and reasons, the widget's coarser `ErrorKind`): not the wire's codes.
const OWN_VOCABULARY: &[&str] = &[
    "server/src/reason.rs",
    "server/src/error.rs",
    "pkg-templates/server/index.js",
    "pkg-templates/server/index.d.ts",
    "widget/src/machine.rs",
    "pkg-templates/widget/types.d.ts",
];

const EXTENSIONS: &[&str] = &["rs", "js", "mjs", "cjs", "ts", "sh", "toml", "jsonc"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            if !SKIP_DIRS.contains(&name.as_str()) {
                sources(&path, out);
            }
        } else if path
            .extension()
            .is_some_and(|e| EXTENSIONS.contains(&e.to_string_lossy().as_ref()))
            // Unit-test modules beside the code (`*_tests.rs`) are tests too.
            && !name.ends_with("_tests.rs")
        {
            out.push(path);
        }
    }
}

/// Every line under `root` that spells the protocol, as `path:line: needle: text`.
fn spelled(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(root, &mut files);
    let mut needles: Vec<(String, bool)> = [route::QR, route::STATUS, route::EVENTS]
        .iter()
        .map(|p| ((*p).to_owned(), false))
        .collect();
    needles.push((SUBPROTOCOL.to_owned(), false));
    needles.push((BEARER_PREFIX.to_owned(), false));
    // Error codes as string literals: `"not_found"` (JS and Rust), `'not_found'`.
    for code in PublicErrorCode::ALL {
        needles.push((format!("\"{}\"", code.as_str()), true));
        needles.push((format!("'{}'", code.as_str()), true));
    }
    let mut hits = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for (no, line) in text.lines().enumerate() {
            // Prose may name the protocol; code may not.
            let code = line.trim_start();
            if ["//", "/*", "* ", "#"].iter().any(|c| code.starts_with(c)) || code == "*" {
                continue;
            }
            for (needle, is_code) in &needles {
                if *is_code && OWN_VOCABULARY.contains(&rel.as_str()) {
                    continue;
                }
                // Inside a string: after a quote, or after a template's `${…}`.
                let literal = ['"', '\'', '`', '}']
                    .iter()
                    .any(|q| line.contains(&format!("{q}{}", needle.trim_matches(['"', '\'']))));
                if line.contains(needle.as_str()) && literal {
                    hits.push(format!("{rel}:{}: {needle}: {}", no + 1, line.trim()));
                }
            }
        }
    }
    hits
}

#[test]
fn no_source_outside_wire_spells_the_browser_protocol() {
    let root = root();
    let mut files = Vec::new();
    sources(&root, &mut files);
    assert!(
        files.len() > 30,
        "the walk found the tree ({} files)",
        files.len()
    );
    let hits = spelled(&root);
    assert!(
        hits.is_empty(),
        "spelled outside pilot-connect-wire (use its route, SUBPROTOCOL, BEARER_PREFIX, PublicErrorCode):\n{}",
        hits.join("\n")
    );
}

#[test]
fn a_spelled_route_code_or_prefix_is_found() {
    // The same check over a small tree that spells the protocol: it finds each, and skips tests.
    let dir = std::env::temp_dir().join(format!("pilot-one-source-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("test")).unwrap();
    let js = format!(
        "// {0} in prose\nfetch(e + \"{0}\");\nnew WebSocket(u, [\"{SUBPROTOCOL}\", \"{BEARER_PREFIX}\" + t]);\nif (c === 'not_found') {{}}\n",
        route::QR,
    );
    std::fs::write(dir.join("src/x.js"), &js).unwrap();
    std::fs::write(dir.join("test/x.test.mjs"), &js).unwrap();
    let hits = spelled(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(hits.len(), 4, "{hits:#?}");
    assert!(hits.iter().all(|h| h.starts_with("src/x.js:")), "{hits:#?}");
}
