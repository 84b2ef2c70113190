//! The distillation teacher's input (`Batch::x_teacher`) on the toy pack (leads I, II),
//! without training: a lead-I student and a two-lead teacher with different (global)
//! standardisers read the same crop of the same record — the teacher's lead I is the
//! student's input once each is un-standardised, and both are a window of the pack's
//! signal at one offset — and a teacher whose leads and standardiser equal the student's
//! reads the student's batch itself.
mod common;

use ecg_train::checkpoint::Standardizer;
use ecg_train::config::TrainConfig;
use ecg_train::data::{Prepared, TrainLoader};
use std::path::Path;
use std::sync::Arc;
use tch::Tensor;

fn cfg(pack: &Path, leads: &str, standardize: &str) -> TrainConfig {
    let text = common::config_text(pack, Path::new("unused"), 1, "")
        .replace(
            "task = \"classes\"",
            &format!("task = \"classes\"\nleads = {leads}\nstandardize = \"{standardize}\""),
        )
        // No augmentation: the views are compared in millivolts.
        .replace("amplitude_scale = 0.1", "amplitude_scale = 0.0")
        .replace("gaussian_noise = 0.02", "gaussian_noise = 0.0");
    TrainConfig::from_toml(&text, Path::new("test.toml")).expect("config")
}

/// `x · std + mean` for lead `j` of a standardised batch `[m, leads, len]`.
fn millivolts(x: &Tensor, j: i64, st: &Standardizer) -> Tensor {
    x.select(1, j) * st.std[j as usize] + st.mean[j as usize]
}

/// The offsets at which `window` (mV) equals lead `lead` of pack row `row`.
fn offsets_of(data: &Prepared, row: usize, lead: usize, window: &[f32]) -> Vec<usize> {
    let samples = data.pack.meta().samples;
    let sig = &data.pack.signal(row)[lead * samples..(lead + 1) * samples];
    (0..=samples - window.len())
        .filter(|&o| {
            sig[o..o + window.len()]
                .iter()
                .zip(window)
                .all(|(a, b)| (a - b).abs() <= 1e-4 * a.abs().max(1.0))
        })
        .collect()
}

#[test]
fn a_lead_i_student_and_a_two_lead_teacher_read_the_same_crop_with_their_own_standardisers() {
    let dir = tempfile::tempdir().expect("tmp");
    let pack = common::make_pack(dir.path(), 80, 5);
    let student_cfg = cfg(&pack, r#"["I"]"#, "global");
    let teacher = Prepared::from_config(&cfg(&pack, r#"["I", "II"]"#, "global")).expect("t");
    let mut data = Prepared::from_config(&student_cfg).expect("student");
    let (ss, ts) = (
        data.prep.standardizer.clone(),
        teacher.prep.standardizer.clone(),
    );
    // Global standardisers over one lead and over two differ: the views are not the same
    // numbers, and the teacher must get its own.
    assert!(!ss.same_as(&ts), "{ss:?} vs {ts:?}");
    assert!((ss.mean[0] - ts.mean[0]).abs() > 1e-3 || (ss.std[0] - ts.std[0]).abs() > 1e-3);
    data.attach_teacher(&teacher.prep, Path::new("teacher"))
        .expect("attach");
    let view = data.teacher_view.clone().expect("a teacher view");
    assert_eq!(view.standardizer, ts);
    assert_eq!(view.standard_leads, vec![0, 1]);
    let data = Arc::new(data);
    let len = data.input_len();
    let mut checked = 0;
    for batch in TrainLoader::new(Arc::clone(&data), &student_cfg, 0, 0, tch::Device::Cpu) {
        let batch = batch.expect("batch");
        let xt = batch.x_teacher.as_ref().expect("teacher batch");
        assert_eq!(batch.x.size()[1], 1);
        assert_eq!(xt.size()[1], 2);
        // In mV the teacher's lead I is the student's input.
        let s_mv = millivolts(&batch.x, 0, &ss);
        let t_mv = millivolts(xt, 0, &ts);
        let diff = (&s_mv - &t_mv).abs().max().double_value(&[]);
        assert!(
            diff < 1e-4,
            "batch {}: lead I differs by {diff} mV",
            batch.index
        );
        // ... the standardised numbers are not (the teacher's standardiser was applied).
        let raw_diff = (batch.x.select(1, 0) - xt.select(1, 0)).abs().max();
        assert!(raw_diff.double_value(&[]) > 1e-3);
        // Both are the window of one offset of the record: lead I and lead II alike.
        let t2_mv = millivolts(xt, 1, &ts);
        for (j, &i) in batch.rows.iter().enumerate() {
            let row = data.train.pack_rows[i];
            let w = |t: &Tensor| Vec::<f32>::try_from(t.get(j as i64)).expect("f32 window");
            let lead1 = offsets_of(&data, row, 0, &w(&s_mv));
            let lead2 = offsets_of(&data, row, 1, &w(&t2_mv));
            assert_eq!(
                lead1.len(),
                1,
                "record {i}: lead-I window found at {lead1:?}"
            );
            assert_eq!(
                lead1, lead2,
                "record {i}: the teacher's lead II is another crop"
            );
            assert_eq!(w(&s_mv).len(), len);
            checked += 1;
        }
    }
    assert!(checked >= 40, "{checked} records checked");
}

#[test]
fn the_teacher_gets_its_own_view_exactly_when_its_leads_or_standardiser_differ() {
    let dir = tempfile::tempdir().expect("tmp");
    let pack = common::make_pack(dir.path(), 60, 9);
    let base = cfg(&pack, r#"["I", "II"]"#, "global");
    // The same leads and standardiser: no second view, the teacher reads `Batch::x`.
    let same = Prepared::from_config(&base).expect("same");
    let mut data = Prepared::from_config(&base).expect("data");
    data.attach_teacher(&same.prep, Path::new("t"))
        .expect("attach");
    assert!(data.teacher_view.is_none());
    let data = Arc::new(data);
    let b = TrainLoader::new(data, &base, 0, 0, tch::Device::Cpu)
        .next()
        .expect("a batch")
        .expect("batch");
    assert!(b.x_teacher.is_none());
    // The same leads, standardised per lead: a view with the teacher's standardiser.
    let per_lead = Prepared::from_config(&cfg(&pack, r#"["I", "II"]"#, "per-lead")).expect("p");
    let mut data = Prepared::from_config(&base).expect("data");
    data.attach_teacher(&per_lead.prep, Path::new("t"))
        .expect("attach");
    let view = data.teacher_view.clone().expect("view");
    assert_eq!(view.standardizer, per_lead.prep.standardizer);
    let (ss, ts) = (data.prep.standardizer.clone(), view.standardizer.clone());
    let data = Arc::new(data);
    let b = TrainLoader::new(data, &base, 0, 0, tch::Device::Cpu)
        .next()
        .expect("a batch")
        .expect("batch");
    let xt = b.x_teacher.expect("teacher batch");
    for j in 0..2 {
        let diff = (millivolts(&b.x, j, &ss) - millivolts(&xt, j, &ts))
            .abs()
            .max()
            .double_value(&[]);
        assert!(diff < 1e-4, "lead {j}: {diff} mV");
    }
}
