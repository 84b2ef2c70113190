//! Standardisation fitted on training data, applied anywhere: pure `fit → params`,
//! `apply(params)`.
//!
//! - [`fit_global`]: the PTB-XL benchmark's scaler — one scalar mean and standard deviation
//!   over every sample of every lead of every training record (scikit-learn `StandardScaler`
//!   on the flattened training array: population std, ddof = 0).
//! - [`fit_per_lead`]: one mean/std per lead (z-score per lead).
//!
//! Sums are in f64 and two-pass (mean, then squared deviations), so fitting the full
//! PTB-XL training set (~2.1e8 values) loses no precision. A zero std is replaced by 1, as
//! scikit-learn does, so constant inputs map to 0 instead of NaN.

use crate::DspError;

/// Fitted standardisation parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum Standardizer {
    /// `(x - mean) / std` for every lead.
    Global { mean: f64, std: f64 },
    /// `(x[l] - mean[l]) / std[l]` for lead `l`.
    PerLead { mean: Vec<f64>, std: Vec<f64> },
}

fn check_record(r: usize, x: &[f32], leads: usize) -> Result<(), DspError> {
    if leads == 0 || x.is_empty() || x.len() % leads != 0 {
        return Err(DspError::InvalidParameter {
            name: "records",
            reason: format!(
                "record {r} has {} values, not a non-empty whole number of {leads} leads",
                x.len()
            ),
        });
    }
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(DspError::InvalidParameter {
            name: "records",
            reason: format!("record {r}: non-finite value {} at flat index {i}", x[i]),
        });
    }
    Ok(())
}

fn nonzero(std: f64) -> f64 {
    if std == 0.0 {
        1.0
    } else {
        std
    }
}

/// Fit one scalar mean/std over all values of all records (each a `[leads, samples]` buffer;
/// lengths may differ). The iterator is walked twice.
pub fn fit_global<'a, I>(records: I) -> Result<Standardizer, DspError>
where
    I: IntoIterator<Item = &'a [f32]>,
    I::IntoIter: Clone,
{
    let it = records.into_iter();
    let (mut sum, mut n) = (0.0f64, 0usize);
    for (r, x) in it.clone().enumerate() {
        check_record(r, x, 1)?;
        sum += x.iter().map(|&v| f64::from(v)).sum::<f64>();
        n += x.len();
    }
    if n == 0 {
        return Err(DspError::Empty("fit_global needs at least one record"));
    }
    let mean = sum / n as f64;
    let mut ss = 0.0f64;
    for x in it {
        ss += x
            .iter()
            .map(|&v| {
                let d = f64::from(v) - mean;
                d * d
            })
            .sum::<f64>();
    }
    Ok(Standardizer::Global {
        mean,
        std: nonzero((ss / n as f64).sqrt()),
    })
}

/// Fit a mean/std per lead over all records (each a `[leads, samples]` buffer with `leads`
/// rows; sample counts may differ between records). The iterator is walked twice.
pub fn fit_per_lead<'a, I>(records: I, leads: usize) -> Result<Standardizer, DspError>
where
    I: IntoIterator<Item = &'a [f32]>,
    I::IntoIter: Clone,
{
    let it = records.into_iter();
    let mut sum = vec![0.0f64; leads];
    let mut n = vec![0usize; leads];
    for (r, x) in it.clone().enumerate() {
        check_record(r, x, leads)?;
        let samples = x.len() / leads;
        for (l, row) in x.chunks_exact(samples).enumerate() {
            sum[l] += row.iter().map(|&v| f64::from(v)).sum::<f64>();
            n[l] += samples;
        }
    }
    if leads == 0 || n[0] == 0 {
        return Err(DspError::Empty("fit_per_lead needs at least one record"));
    }
    let mean: Vec<f64> = sum.iter().zip(&n).map(|(s, &c)| s / c as f64).collect();
    let mut ss = vec![0.0f64; leads];
    for x in it {
        let samples = x.len() / leads;
        for (l, row) in x.chunks_exact(samples).enumerate() {
            ss[l] += row
                .iter()
                .map(|&v| {
                    let d = f64::from(v) - mean[l];
                    d * d
                })
                .sum::<f64>();
        }
    }
    let std = ss
        .iter()
        .zip(&n)
        .map(|(s, &c)| nonzero((s / c as f64).sqrt()))
        .collect();
    Ok(Standardizer::PerLead { mean, std })
}

impl Standardizer {
    /// Standardise a `[leads, samples]` buffer in place.
    pub fn apply(&self, data: &mut [f32], samples: usize) -> Result<(), DspError> {
        if samples == 0 || data.len() % samples != 0 {
            return Err(DspError::Shape {
                len: data.len(),
                samples,
            });
        }
        match self {
            Standardizer::Global { mean, std } => {
                for v in data.iter_mut() {
                    *v = ((f64::from(*v) - mean) / std) as f32;
                }
            }
            Standardizer::PerLead { mean, std } => {
                let leads = data.len() / samples;
                if leads != mean.len() {
                    return Err(DspError::InvalidParameter {
                        name: "data",
                        reason: format!(
                            "{leads} leads, but the standardizer was fitted on {}",
                            mean.len()
                        ),
                    });
                }
                for (l, row) in data.chunks_exact_mut(samples).enumerate() {
                    for v in row {
                        *v = ((f64::from(*v) - mean[l]) / std[l]) as f32;
                    }
                }
            }
        }
        Ok(())
    }

    /// Standardised copy of a `[leads, samples]` buffer.
    pub fn applied(&self, data: &[f32], samples: usize) -> Result<Vec<f32>, DspError> {
        let mut out = data.to_vec();
        self.apply(&mut out, samples)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_matches_population_mean_std() {
        // Values 1..=6 over two records: mean 3.5, population variance 35/12.
        let a = [1.0f32, 2.0, 3.0, 4.0];
        let b = [5.0f32, 6.0];
        let s = fit_global([&a[..], &b[..]]).expect("fit");
        let Standardizer::Global { mean, std } = s.clone() else {
            panic!("global")
        };
        assert!((mean - 3.5).abs() < 1e-15);
        assert!((std - (35.0f64 / 12.0).sqrt()).abs() < 1e-15);
        let y = s.applied(&a, 2).expect("apply");
        assert!((f64::from(y[0]) - (1.0 - 3.5) / std).abs() < 1e-6);
    }

    #[test]
    fn per_lead_standardises_each_lead() {
        // Two leads: lead 0 = [0, 2, 4, 6] (mean 3), lead 1 constant 5 (std 0 → 1).
        let r1 = [0.0f32, 2.0, 5.0, 5.0];
        let r2 = [4.0f32, 6.0, 5.0, 5.0];
        let s = fit_per_lead([&r1[..], &r2[..]], 2).expect("fit");
        let Standardizer::PerLead { mean, std } = &s else {
            panic!("per lead")
        };
        assert_eq!(mean, &vec![3.0, 5.0]);
        assert!((std[0] - 5.0f64.sqrt()).abs() < 1e-15);
        assert_eq!(std[1], 1.0);
        let y = s.applied(&r2, 2).expect("apply");
        assert_eq!(&y[2..], &[0.0, 0.0]);
        assert!(matches!(
            s.apply(&mut [0.0; 6], 2),
            Err(DspError::InvalidParameter { .. })
        ));
    }

    #[test]
    fn fit_errors() {
        let none: [&[f32]; 0] = [];
        assert!(matches!(fit_global(none), Err(DspError::Empty(_))));
        let bad = [1.0f32, f32::NAN];
        assert!(matches!(
            fit_global([&bad[..]]),
            Err(DspError::InvalidParameter { .. })
        ));
        let odd = [1.0f32, 2.0, 3.0];
        assert!(fit_per_lead([&odd[..]], 2).is_err());
    }
}
