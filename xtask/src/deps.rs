//! The architecture's dependency invariants, checked from `cargo metadata`:
//! ecg-io, ecg-dsp, ecg-labels, ecg-metrics and ecg-synth build and test without libtorch;
//! the light `ecg` binary (ecg-cli) has no libtorch in its tree (the network commands run
//! in ecg-torch-cli's `ecg-torch`); xtask depends on neither tch nor polars.
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

/// (crate, forbidden dependencies)
pub const RULES: &[(&str, &[&str])] = &[
    ("ecg-io", &["tch", "torch-sys"]),
    ("ecg-dsp", &["tch", "torch-sys"]),
    ("ecg-labels", &["tch", "torch-sys"]),
    ("ecg-metrics", &["tch", "torch-sys"]),
    ("ecg-synth", &["tch", "torch-sys"]),
    ("ecg-onnx", &["tch", "torch-sys", "polars"]),
    ("ecg-cli", &["tch", "torch-sys", "ecg-nn", "ecg-train"]),
    ("xtask", &["tch", "torch-sys", "polars"]),
];

/// Stdout of `cargo ARGS` run in `root`; an error with cargo's stderr when it fails.
fn cargo_stdout(root: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = crate::cargo_command()
        .args(args)
        .current_dir(root)
        .output()
        .with_context(|| format!("running cargo {}", args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "cargo {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

pub fn check(root: &Path) -> Result<()> {
    let out = cargo_stdout(root, &["metadata", "--format-version", "1"])?;
    let meta: Value = serde_json::from_slice(&out).context("parsing cargo metadata")?;
    let violations = violations(&meta)?;
    if !violations.is_empty() {
        bail!(
            "dependency invariants broken:\n  {}",
            violations.join("\n  ")
        );
    }
    eprintln!(
        "xtask: dependency invariants hold ({} crates checked)",
        RULES.len()
    );
    check_feature_agreement(root)
}

/// `cargo tree` lines `name vX.Y.Z feat1,feat2` → (name version) → feature sets (a package
/// can be built twice: once for the target, once for build scripts).
fn tree_features(root: &Path, args: &[&str]) -> Result<Features> {
    let mut all = vec!["tree"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-f", "{p} {f}", "--prefix", "none"]);
    let out = cargo_stdout(root, &all)?;
    Ok(parse_tree_features(&String::from_utf8_lossy(&out)))
}

/// (name version) → every feature set it is built with.
pub type Features = HashMap<String, BTreeSet<String>>;

/// Parses `cargo tree -f "{p} {f}" --prefix none` output.
pub fn parse_tree_features(text: &str) -> Features {
    let mut m = Features::new();
    for line in text.lines() {
        let line = line.trim_end_matches(" (*)").trim();
        let mut parts = line.split_whitespace();
        let (Some(name), Some(version)) = (parts.next(), parts.next()) else {
            continue;
        };
        // Path dependencies print `(/path)` after the version; features come last.
        let feats = parts
            .filter(|p| !p.starts_with('('))
            .collect::<Vec<_>>()
            .join(" ");
        m.entry(format!("{name} {version}"))
            .or_default()
            .insert(feats);
    }
    m
}

/// Packages that build `a` builds with a feature set that build `b` does not have.
pub fn feature_mismatches(a: &Features, b: &Features) -> Vec<String> {
    let mut v: Vec<String> = a
        .iter()
        .filter_map(|(pkg, fa)| {
            let fb = b.get(pkg)?;
            let show = |s: &BTreeSet<String>| {
                s.iter()
                    .map(|f| format!("[{f}]"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            (!fa.is_subset(fb)).then(|| format!("{pkg}: {} vs {}", show(fa), show(fb)))
        })
        .collect();
    v.sort();
    v
}

/// Builds that must resolve every shared dependency with the features of the test build
/// (`cargo test --workspace`): the binaries built alone or together (what `cargo xtask
/// reproduce` runs, and what ecg-torch-cli's tests build beside `ecg-torch`) and
/// ecg-torch-cli's own test build. Otherwise each recompiles polars and what sits under it,
/// about ten minutes on two cores, and the builds keep evicting each other.
const BUILDS: &[&[&str]] = &[
    &["-p", "ecg-cli", "-e", "normal,build"],
    &["-p", "ecg-torch-cli", "-e", "normal,build"],
    &["-p", "ecg-cli", "-p", "ecg-torch-cli", "-e", "normal,build"],
    &["-p", "ecg-cli", "-e", "normal,build,dev"],
    &["-p", "ecg-torch-cli", "-e", "normal,build,dev"],
];

fn check_feature_agreement(root: &Path) -> Result<()> {
    let tests = tree_features(root, &["--workspace", "-e", "normal,build,dev"])?;
    for build in BUILDS {
        let alone = tree_features(root, build)?;
        let bad = feature_mismatches(&alone, &tests);
        if !bad.is_empty() {
            bail!(
                "`cargo tree {}` and `cargo test --workspace` resolve these packages with \
                 different features, so each build would recompile them; pin the test \
                 build's features in crates/ecg-cli/Cargo.toml and \
                 crates/ecg-torch-cli/Cargo.toml:\n  {}",
                build.join(" "),
                bad.join("\n  ")
            );
        }
    }
    eprintln!(
        "xtask: the binaries' builds and the test build share every dependency's features \
         ({} packages)",
        tests.len()
    );
    Ok(())
}

/// Every (crate → forbidden package) reachable through normal, build or (for the crate
/// itself) dev dependencies.
pub fn violations(meta: &Value) -> Result<Vec<String>> {
    let packages = meta["packages"]
        .as_array()
        .context("metadata: no packages")?;
    let name_of: HashMap<&str, &str> = packages
        .iter()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    let nodes = meta["resolve"]["nodes"]
        .as_array()
        .context("metadata: no resolve graph")?;
    // id -> [(dep id, is_dev_only)]
    let mut edges: HashMap<&str, Vec<(&str, bool)>> = HashMap::new();
    for n in nodes {
        let id = n["id"].as_str().unwrap_or_default();
        let mut v = Vec::new();
        for d in n["deps"].as_array().into_iter().flatten() {
            let kinds: Vec<&str> = d["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|k| k["kind"].as_str().unwrap_or("normal"))
                .collect();
            let dev_only = !kinds.is_empty() && kinds.iter().all(|k| *k == "dev");
            v.push((d["pkg"].as_str().unwrap_or_default(), dev_only));
        }
        edges.insert(id, v);
    }
    let mut found = Vec::new();
    for (krate, forbidden) in RULES {
        let Some(start) = name_of.iter().find(|(_, n)| *n == krate).map(|(id, _)| *id) else {
            bail!("crate {krate} is not in the workspace");
        };
        let mut seen = HashSet::new();
        let mut stack = vec![(start, true)];
        while let Some((id, is_root)) = stack.pop() {
            if !seen.insert(id) {
                continue;
            }
            for (dep, dev_only) in edges.get(id).into_iter().flatten() {
                if *dev_only && !is_root {
                    continue;
                }
                let name = name_of.get(dep).copied().unwrap_or_default();
                if forbidden.contains(&name) {
                    found.push(format!(
                        "{krate} depends on {name} (via {})",
                        name_of.get(id).copied().unwrap_or(id)
                    ));
                }
                stack.push((dep, false));
            }
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(edges: &[(&str, &str, &str)], names: &[&str]) -> Value {
        let packages: Vec<Value> = names.iter().map(|n| json!({"id": n, "name": n})).collect();
        let nodes: Vec<Value> = names
            .iter()
            .map(|n| {
                let deps: Vec<Value> = edges
                    .iter()
                    .filter(|(a, _, _)| a == n)
                    .map(|(_, b, k)| json!({"pkg": b, "dep_kinds": [{"kind": if *k == "normal" { Value::Null } else { json!(k) }}]}))
                    .collect();
                json!({"id": n, "deps": deps})
            })
            .collect();
        json!({"packages": packages, "resolve": {"nodes": nodes}})
    }

    const ALL: &[&str] = &[
        "ecg-io",
        "ecg-dsp",
        "ecg-labels",
        "ecg-metrics",
        "ecg-synth",
        "ecg-cli",
        "ecg-onnx",
        "ecg-train",
        "ecg-nn",
        "xtask",
        "tch",
        "torch-sys",
        "polars",
        "mid",
    ];

    #[test]
    fn transitive_tch_is_found() {
        let m = meta(
            &[
                ("ecg-io", "mid", "normal"),
                ("mid", "tch", "normal"),
                ("tch", "torch-sys", "normal"),
            ],
            ALL,
        );
        let v = violations(&m).unwrap();
        assert!(
            v.iter().any(|s| s.starts_with("ecg-io depends on tch")),
            "{v:?}"
        );
        assert!(
            v.iter()
                .any(|s| s.starts_with("ecg-io depends on torch-sys")),
            "{v:?}"
        );
    }

    #[test]
    fn dev_dependency_of_the_crate_counts_but_not_of_its_deps() {
        let m = meta(
            &[
                ("ecg-dsp", "tch", "dev"),
                ("ecg-labels", "mid", "normal"),
                ("mid", "tch", "dev"),
            ],
            ALL,
        );
        let v = violations(&m).unwrap();
        assert!(
            v.iter().any(|s| s.starts_with("ecg-dsp depends on tch")),
            "{v:?}"
        );
        assert!(!v.iter().any(|s| s.starts_with("ecg-labels")), "{v:?}");
    }

    #[test]
    fn xtask_must_not_use_polars() {
        let m = meta(&[("xtask", "polars", "normal")], ALL);
        assert_eq!(
            violations(&m).unwrap(),
            vec!["xtask depends on polars (via xtask)".to_string()]
        );
    }

    #[test]
    fn the_light_cli_must_not_reach_tch() {
        let m = meta(
            &[
                ("ecg-cli", "ecg-train", "normal"),
                ("ecg-train", "tch", "normal"),
            ],
            ALL,
        );
        let v = violations(&m).unwrap();
        assert!(
            v.contains(&"ecg-cli depends on ecg-train (via ecg-cli)".to_string())
                && v.contains(&"ecg-cli depends on tch (via ecg-train)".to_string()),
            "{v:?}"
        );
    }

    #[test]
    fn clean_graph_has_no_violations() {
        let m = meta(&[("ecg-io", "polars", "normal")], ALL);
        assert!(violations(&m).unwrap().is_empty());
    }

    #[test]
    fn feature_differences_are_found_and_path_deps_parsed() {
        let a = parse_tree_features(
            "either v1.19.0 default,std\nbitflags v2.13.2 \necg-io v0.1.0 (/w/crates/ecg-io) default,polars\nonly-a v1.0.0 x (*)\nflate2 v1 a\n",
        );
        let b = parse_tree_features(
            "either v1.19.0 default,std,use_std\nbitflags v2.13.2 \necg-io v0.1.0 (/w/crates/ecg-io) default,polars\nonly-b v2.0.0 y\nflate2 v1 a,b\nflate2 v1 a\n",
        );
        let set = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(a["ecg-io v0.1.0"], set(&["default,polars"]));
        assert_eq!(a["only-a v1.0.0"], set(&["x"]));
        assert_eq!(b["flate2 v1"], set(&["a", "a,b"]));
        // flate2: a's one build is one of b's two.
        assert_eq!(
            feature_mismatches(&a, &b),
            vec!["either v1.19.0: [default,std] vs [default,std,use_std]".to_string()]
        );
    }
}
