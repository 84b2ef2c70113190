//! Every committed experiment config parses (unknown keys and wrong types would fail).
use ecg_train::TrainConfig;
use std::path::Path;

#[test]
fn committed_configs_parse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../configs");
    let mut n = 0;
    for sub in ["ptbxl", "cpsc2018"] {
        let dir = root.join(sub);
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for e in entries {
            let p = e.expect("entry").path();
            if p.extension().and_then(|x| x.to_str()) != Some("toml") {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("read");
            let cfg = TrainConfig::from_toml(&text, &p).unwrap_or_else(|e| panic!("{e}"));
            assert!(cfg.train.epochs > 0);
            n += 1;
        }
    }
    assert!(n >= 8, "expected the ptbxl and cpsc2018 configs, found {n}");
}
