//! The workspace's own configuration: `cargo bench -- --quick` (criterion's short mode) must
//! reach only criterion benches. A lib or bin target left as a bench target runs libtest's bench
//! harness, which rejects criterion's options and fails the whole `cargo bench`.

use std::path::Path;

fn manifest(path: &str) -> toml::Table {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn only_criterion_benches_are_bench_targets() {
    for path in [
        "Cargo.toml",
        "core/Cargo.toml",
        "lab/Cargo.toml",
        "kernels/Cargo.toml",
    ] {
        let m = manifest(path);
        let lib = m.get("lib").and_then(|l| l.as_table());
        let bins = m
            .get("bin")
            .and_then(|b| b.as_array())
            .cloned()
            .unwrap_or_default();
        let is_lib_crate = path != "Cargo.toml";
        if is_lib_crate {
            let bench = lib.and_then(|l| l.get("bench")).and_then(|b| b.as_bool());
            assert_eq!(bench, Some(false), "{path}: [lib] needs bench = false");
        } else {
            assert!(
                !bins.is_empty(),
                "{path}: the rbp binary needs a [[bin]] with bench = false"
            );
        }
        for bin in &bins {
            let bench = bin.get("bench").and_then(|b| b.as_bool());
            assert_eq!(
                bench,
                Some(false),
                "{path}: [[bin]] {bin} needs bench = false"
            );
        }
        for bench in m
            .get("bench")
            .and_then(|b| b.as_array())
            .into_iter()
            .flatten()
        {
            let harness = bench.get("harness").and_then(|h| h.as_bool());
            assert_eq!(
                harness,
                Some(false),
                "{path}: [[bench]] {bench} is not a criterion bench"
            );
        }
    }
}
