//! The report's title, the warnings about synthetic or small data, and what was run.
use super::table::Table;
use serde_json::Value;

pub fn section(info: &Value) -> String {
    let mut md = format!(
        "# Reproduction report: {}\n\n",
        info["title"].as_str().unwrap_or("PTB-XL")
    );
    let n_records = info["n_records"].as_u64();
    if info["synthetic"].as_bool().unwrap_or(false) {
        md.push_str("> **SYNTHETIC DATA.** These numbers come from a synthetic dataset in the real one's layout, made by `ecg synth` (known, simplified physiology). They test the pipeline; they say nothing about real ECGs and must not be compared with the published numbers.\n\n");
    } else if let Some(n) = n_records.filter(|n| *n < 5000) {
        let full = match info["dataset"].as_str().unwrap_or("ptbxl") {
            "ptbxl" => " (the full dataset has 21,799–21,837)",
            "cpsc2018" => " (the full training set has 6,877)",
            _ => "",
        };
        md.push_str(&format!("> **SMALL SAMPLE.** This run used {n} records{full}. Its numbers are small-sample estimates with wide intervals: per-label metrics rest on a handful of test records, and some labels have no positive in the test fold.\n\n"));
    }
    let mut t = Table::new(["", ""]);
    for (k, label) in [
        ("data_source", "data"),
        ("n_records", "records (packed)"),
        ("profile", "profile"),
        ("device", "device"),
        ("nproc", "data-parallel ranks (training stages)"),
        ("seed", "seed"),
        ("seeds", "seeds (one run each)"),
        ("git_revision", "git revision"),
        ("libtorch", "libtorch"),
        ("started", "started"),
    ] {
        if let Some(v) = info.get(k) {
            let s = v.as_str().map_or_else(|| v.to_string(), String::from);
            t.row([label.to_string(), s]);
        }
    }
    md.push_str(&t.to_string());
    md
}
