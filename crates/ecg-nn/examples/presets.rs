//! Prints every preset's parameter count and FLOPs (K = 5, 12 leads) at 250, 1000 and 5000
//! samples, as a markdown table: `cargo run -p ecg-nn --example presets`.
use ecg_nn::{ModelSpec, PRESETS};

fn main() -> Result<(), ecg_nn::NnError> {
    println!("| preset | params | MFLOPs @250 | MFLOPs @1000 | MFLOPs @5000 |");
    println!("|---|---|---|---|---|");
    let (tp, _) = ModelSpec::preset("teacher", 5, (0..12).collect(), 250)?.params_and_flops()?;
    for name in PRESETS {
        let mut row = format!("| {name} |");
        for (i, len) in [250, 1000, 5000].into_iter().enumerate() {
            let (p, f) = ModelSpec::preset(name, 5, (0..12).collect(), len)?.params_and_flops()?;
            if i == 0 {
                row += &format!(" {p} ({:.3}× teacher) |", p as f64 / tp as f64);
            }
            row += &format!(" {:.1} |", f as f64 / 1e6);
        }
        println!("{row}");
    }
    Ok(())
}
