//! Where our protocol and the published ones differ.
use super::references::{STRODTHOFF_2021, ZHANG_SUN_2024, ZHOU_2024};

pub fn section() -> String {
    format!(
        "## Protocol\n\n\
Where the protocols differ:
- **Ours**: PTB-XL folds 1–8 train, 9 validation, 10 test (the benchmark's split); thresholds,
  calibration λ, label statistics and standardisation fitted without fold 10; macro-AUC with
  the benchmark's definition; F1/precision/recall are macro over labels at per-label
  thresholds that maximise F1 on fold 9 (METHODS §6); accuracy is label-wise accuracy.
- **{bench}**: macro-AUC on fold 10, 100 Hz, 2.5 s random crops for training and
  sliding-window max aggregation for evaluation — the same as ours in the benchmark
  configs; its numbers come from far longer training on the full 21,837 records.
- **{zhang}** reports accuracy/precision/recall/F1 from its own split and thresholds (its
  table and text disagree on accuracy: 0.902 vs 0.864), on 500 Hz whole records; the values
  are not directly comparable with fold-10 numbers.
- **{zhou}** reports F1 for PTB-XL without stating the label task in the abstract we have;
  it is listed beside every task for reference only.\n\n",
        bench = STRODTHOFF_2021.cite(),
        zhang = ZHANG_SUN_2024.cite(),
        zhou = ZHOU_2024.cite(),
    )
}
