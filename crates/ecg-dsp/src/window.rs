//! Crops, sliding windows and aggregation of per-window outputs (METHODS §1).
//!
//! The PTB-XL benchmark trains on random crops of 250 samples (2.5 s at 100 Hz) and evaluates
//! on windows of 250 with stride 125 whose starts are `0, 125, ..., ≤ L - 250` (windows that
//! would run past the end are dropped, never padded), aggregating the per-window sigmoid
//! outputs by max. All buffers are row-major `[leads, samples]`.

use rand::Rng;

use crate::DspError;

fn leads_of(data: &[f32], samples: usize) -> Result<usize, DspError> {
    if samples == 0 || data.is_empty() || data.len() % samples != 0 {
        return Err(DspError::Shape {
            len: data.len(),
            samples,
        });
    }
    Ok(data.len() / samples)
}

fn check_window(samples: usize, length: usize) -> Result<(), DspError> {
    if length == 0 || length > samples {
        return Err(DspError::InvalidParameter {
            name: "length",
            reason: format!("window of {length} samples does not fit a signal of {samples}"),
        });
    }
    Ok(())
}

/// Copy samples `start..start + length` of every lead: `[leads, length]`.
pub fn crop(
    data: &[f32],
    samples: usize,
    start: usize,
    length: usize,
) -> Result<Vec<f32>, DspError> {
    leads_of(data, samples)?;
    if start.checked_add(length).is_none_or(|end| end > samples) || length == 0 {
        return Err(DspError::InvalidParameter {
            name: "start",
            reason: format!("crop of {length} samples at {start} outside 0..{samples}"),
        });
    }
    Ok(data
        .chunks_exact(samples)
        .flat_map(|row| row[start..start + length].iter().copied())
        .collect())
}

/// Bring every lead to exactly `target` samples: keep the first `target` samples, or append
/// zeros after the last sample.
pub fn crop_or_pad(data: &[f32], samples: usize, target: usize) -> Result<Vec<f32>, DspError> {
    leads_of(data, samples)?;
    if target == 0 {
        return Err(DspError::InvalidParameter {
            name: "target",
            reason: "must be > 0".into(),
        });
    }
    let keep = samples.min(target);
    Ok(data
        .chunks_exact(samples)
        .flat_map(|row| {
            row[..keep]
                .iter()
                .copied()
                .chain(std::iter::repeat_n(0.0, target - keep))
        })
        .collect())
}

/// A random crop of `length` samples (all leads), start uniform over `0..=samples - length`
/// (the benchmark's `randint(0, L - length)`). Returns the crop `[leads, length]` and its start.
pub fn random_crop<R: Rng + ?Sized>(
    data: &[f32],
    samples: usize,
    length: usize,
    rng: &mut R,
) -> Result<(Vec<f32>, usize), DspError> {
    leads_of(data, samples)?;
    check_window(samples, length)?;
    let start = rng.random_range(0..=samples - length);
    Ok((crop(data, samples, start, length)?, start))
}

/// Start indices of the evaluation windows: `0, stride, 2·stride, ...` up to and including
/// the last start `≤ samples - window`. Errors if the signal is shorter than one window.
pub fn window_starts(samples: usize, window: usize, stride: usize) -> Result<Vec<usize>, DspError> {
    check_window(samples, window)?;
    if stride == 0 {
        return Err(DspError::InvalidParameter {
            name: "stride",
            reason: "must be > 0".into(),
        });
    }
    Ok((0..=samples - window).step_by(stride).collect())
}

/// All evaluation windows of a record: `[n_windows, leads, window]` row-major, with their
/// starts (see [`window_starts`]).
pub fn sliding_windows(
    data: &[f32],
    samples: usize,
    window: usize,
    stride: usize,
) -> Result<(Vec<f32>, Vec<usize>), DspError> {
    let leads = leads_of(data, samples)?;
    let starts = window_starts(samples, window, stride)?;
    let mut out = Vec::with_capacity(starts.len() * leads * window);
    for &s in &starts {
        for row in data.chunks_exact(samples) {
            out.extend_from_slice(&row[s..s + window]);
        }
    }
    Ok((out, starts))
}

/// How per-window outputs of one record become one output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// Element-wise maximum over windows (the benchmark's choice).
    Max,
    /// Element-wise mean over windows.
    Mean,
}

/// Aggregate `[n_windows, classes]` outputs of one record into `[classes]`.
pub fn aggregate(outputs: &[f32], classes: usize, how: Aggregate) -> Result<Vec<f32>, DspError> {
    if classes == 0 || outputs.is_empty() || outputs.len() % classes != 0 {
        return Err(DspError::Shape {
            len: outputs.len(),
            samples: classes,
        });
    }
    if let Some(i) = outputs.iter().position(|v| v.is_nan()) {
        return Err(DspError::NonFinite {
            index: i,
            value: f64::from(outputs[i]),
        });
    }
    let n = outputs.len() / classes;
    let rows = outputs.chunks_exact(classes);
    Ok(match how {
        Aggregate::Max => rows.fold(vec![f32::NEG_INFINITY; classes], |mut acc, r| {
            for (a, &v) in acc.iter_mut().zip(r) {
                *a = a.max(v);
            }
            acc
        }),
        Aggregate::Mean => {
            let mut acc = vec![0.0f64; classes];
            for r in rows {
                for (a, &v) in acc.iter_mut().zip(r) {
                    *a += f64::from(v);
                }
            }
            acc.into_iter().map(|s| (s / n as f64) as f32).collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn benchmark_window_starts() {
        assert_eq!(
            window_starts(1000, 250, 125).expect("fits"),
            vec![0, 125, 250, 375, 500, 625, 750]
        );
        // 1010 samples: the last start stays ≤ 760, so no extra window.
        assert_eq!(
            window_starts(1010, 250, 125).expect("fits").last(),
            Some(&750)
        );
        assert_eq!(window_starts(250, 250, 125).expect("fits"), vec![0]);
        assert!(window_starts(249, 250, 125).is_err());
        assert!(window_starts(1000, 250, 0).is_err());
    }

    #[test]
    fn sliding_windows_layout() {
        // 2 leads x 6 samples, window 4 stride 2 → starts 0, 2.
        let data: Vec<f32> = (0..12).map(|v| v as f32).collect();
        let (w, starts) = sliding_windows(&data, 6, 4, 2).expect("fits");
        assert_eq!(starts, vec![0, 2]);
        assert_eq!(
            w,
            vec![0., 1., 2., 3., 6., 7., 8., 9., 2., 3., 4., 5., 8., 9., 10., 11.]
        );
    }

    #[test]
    fn random_crop_is_seeded_and_covers_both_ends() {
        let data: Vec<f32> = (0..20).map(|v| v as f32).collect(); // 2 leads x 10
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut seen = [false; 8];
        for _ in 0..200 {
            let (c, s) = random_crop(&data, 10, 3, &mut rng).expect("fits");
            assert_eq!(
                c,
                vec![
                    s as f32,
                    s as f32 + 1.,
                    s as f32 + 2.,
                    s as f32 + 10.,
                    s as f32 + 11.,
                    s as f32 + 12.
                ]
            );
            seen[s] = true;
        }
        assert!(seen.iter().all(|&b| b), "starts 0..=7 all drawn: {seen:?}");
        let a = random_crop(&data, 10, 3, &mut ChaCha8Rng::seed_from_u64(1)).expect("fits");
        let b = random_crop(&data, 10, 3, &mut ChaCha8Rng::seed_from_u64(1)).expect("fits");
        assert_eq!(a, b);
        assert!(random_crop(&data, 10, 11, &mut rng).is_err());
    }

    #[test]
    fn crop_or_pad_both_ways() {
        let data = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]; // 2 leads x 3
        assert_eq!(crop_or_pad(&data, 3, 2).expect("ok"), vec![1., 2., 4., 5.]);
        assert_eq!(
            crop_or_pad(&data, 3, 4).expect("ok"),
            vec![1., 2., 3., 0., 4., 5., 6., 0.]
        );
        assert!(crop(&data, 3, 2, 2).is_err());
    }

    #[test]
    fn aggregate_max_and_mean() {
        let out = [0.1f32, 0.9, 0.5, 0.3, 0.7, 0.2]; // 3 windows x 2 classes
        assert_eq!(
            aggregate(&out, 2, Aggregate::Max).expect("ok"),
            vec![0.7, 0.9]
        );
        let m = aggregate(&out, 2, Aggregate::Mean).expect("ok");
        assert!((m[0] - 1.3 / 3.0).abs() < 1e-7 && (m[1] - 1.4 / 3.0).abs() < 1e-7);
        assert!(aggregate(&out, 4, Aggregate::Max).is_err());
        assert!(aggregate(&[f32::NAN, 1.0], 2, Aggregate::Max).is_err());
    }
}
