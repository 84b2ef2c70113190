//! Lead names: one normal form, so records from any source (PTB-XL's `AVR`, CPSC's `aVR`,
//! `DII` in some exports, `lead V1`) are matched by name, and picking a set of leads by name
//! from a record in any lead order.
use crate::error::{IoError, Result};
use std::path::Path;

/// The 12 standard leads in PTB-XL's (and CPSC2018's) order, in normal form.
pub const LEADS_12: [&str; 12] = [
    "I", "II", "III", "AVR", "AVL", "AVF", "V1", "V2", "V3", "V4", "V5", "V6",
];

/// The normal form of a lead name: trimmed, upper case, a leading `LEAD` dropped, and the
/// `D1`/`DI`, `D2`/`DII`, `D3`/`DIII` spellings of the limb leads mapped to `I`, `II`, `III`.
/// `aVR`, `AVR` and `avr` are all `AVR`. Names are otherwise kept (a `-aVR` stays `-AVR`:
/// an inverted lead is not the same signal).
pub fn normalize(name: &str) -> String {
    let up = name.trim().to_ascii_uppercase();
    let up = up
        .strip_prefix("LEAD")
        .map(|s| s.trim_start_matches([' ', '_', '-']).to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or(up);
    match up.as_str() {
        "DI" | "D1" => "I".into(),
        "DII" | "D2" => "II".into(),
        "DIII" | "D3" => "III".into(),
        _ => up,
    }
}

/// Index in `have` of each lead of `want`, matching normal forms; the first lead of `want`
/// that `have` lacks is an error naming it (and what the record has). `file` is named in
/// the error.
pub fn pick(file: &Path, have: &[String], want: &[String]) -> Result<Vec<usize>> {
    let norm: Vec<String> = have.iter().map(|h| normalize(h)).collect();
    want.iter()
        .map(|w| {
            let n = normalize(w);
            norm.iter().position(|h| *h == n).ok_or_else(|| {
                IoError::invalid(
                    file,
                    "leads",
                    format!("no lead `{w}` (the record has {have:?})"),
                )
            })
        })
        .collect()
}

/// The rows `index` of a row-major `[leads, samples]` buffer, in that order.
pub fn select(data: &[f32], samples: usize, index: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(index.len() * samples);
    for &i in index {
        out.extend_from_slice(&data[i * samples..(i + 1) * samples]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_lead_agree() {
        for (a, b) in [
            ("aVR", "AVR"),
            ("avl", "AVL"),
            (" V1 ", "V1"),
            ("DII", "II"),
            ("D3", "III"),
            ("Lead I", "I"),
            ("lead_V6", "V6"),
            ("-aVR", "-AVR"),
            ("MLII", "MLII"),
        ] {
            assert_eq!(normalize(a), b, "{a}");
        }
    }

    #[test]
    fn picks_by_name_in_any_order_and_names_a_missing_lead() {
        let have: Vec<String> = ["V1", "aVR", "II", "I"].map(String::from).to_vec();
        let want: Vec<String> = ["I", "AVR", "v1"].map(String::from).to_vec();
        assert_eq!(pick(Path::new("r"), &have, &want).expect("all"), [3, 1, 0]);
        let e = pick(Path::new("rec7"), &have, &["V2".to_string()])
            .expect_err("missing")
            .to_string();
        assert!(e.contains("rec7") && e.contains("no lead `V2`"), "{e}");
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(select(&data, 2, &[2, 0]), [5.0, 6.0, 1.0, 2.0]);
    }
}
