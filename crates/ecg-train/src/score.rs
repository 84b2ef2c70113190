//! Scoring a split: windows of each record through the network (eval mode, no grad),
//! sigmoid, aggregation per record (max or mean over windows).
use crate::config::{Aggregate, InputMode};
use crate::data::{eval_offsets, Prepared, Split};
use crate::error::TrainError;
use ecg_nn::EcgNet;
use ndarray::Array2;
use tch::{Device, Kind, Tensor};

/// Probabilities `[records, K]` for every record of `split`.
pub fn score_split(
    net: &dyn EcgNet,
    data: &Prepared,
    split: &Split,
    batch_size: usize,
    device: Device,
) -> Result<Array2<f64>, TrainError> {
    score_records(
        net,
        data,
        split.pack_rows.iter().map(|&r| data.record(r)),
        split.len(),
        batch_size,
        device,
    )
}

/// Probabilities for standardised records `[leads * record_samples]` given one by one.
pub fn score_records<I: Iterator<Item = Vec<f32>>>(
    net: &dyn EcgNet,
    data_or_prep: &Prepared,
    records: I,
    n: usize,
    batch_size: usize,
    device: Device,
) -> Result<Array2<f64>, TrainError> {
    let prep = &data_or_prep.prep;
    score_with(
        net,
        &prep.input,
        prep.record_samples,
        data_or_prep.n_leads(),
        records,
        n,
        batch_size,
        device,
    )
}

/// The core: windows → batches → sigmoid → aggregation.
#[allow(clippy::too_many_arguments)]
pub fn score_with<I: Iterator<Item = Vec<f32>>>(
    net: &dyn EcgNet,
    input: &InputMode,
    samples: usize,
    leads: usize,
    records: I,
    n: usize,
    batch_size: usize,
    device: Device,
) -> Result<Array2<f64>, TrainError> {
    let k = net.spec().num_classes as usize;
    let offsets = eval_offsets(samples, input);
    let (len, agg) = match *input {
        InputMode::Crop {
            length, aggregate, ..
        } => (length.min(samples), aggregate),
        InputMode::Whole => (samples, Aggregate::Max),
    };
    let w = offsets.len();
    // Records per forward pass, so that windows fill about one batch.
    let per_batch = (batch_size / w).max(1);
    let mut buf: Vec<f32> = Vec::with_capacity(per_batch * w * leads * len);
    // Each batch's aggregated probabilities stay on the device; one read at the end (no
    // sync per batch).
    let mut parts: Vec<Tensor> = Vec::new();
    let flush = |buf: &mut Vec<f32>, count: usize, parts: &mut Vec<Tensor>| {
        if count == 0 {
            return;
        }
        let x = Tensor::from_slice(buf.as_slice())
            .reshape([(count * w) as i64, leads as i64, len as i64])
            .to_device(device);
        let p = tch::no_grad(|| net.forward_t(&x, false).logits.sigmoid())
            .to_kind(Kind::Double)
            .reshape([count as i64, w as i64, k as i64]);
        parts.push(match agg {
            Aggregate::Max => p.amax([1], false),
            Aggregate::Mean => p.mean_dim([1i64].as_slice(), false, Kind::Double),
        });
        buf.clear();
    };
    let mut count = 0usize;
    for rec in records.take(n) {
        for &o in &offsets {
            for l in 0..leads {
                buf.extend_from_slice(&rec[l * samples + o..l * samples + o + len]);
            }
        }
        count += 1;
        if count == per_batch {
            flush(&mut buf, count, &mut parts);
            count = 0;
        }
    }
    flush(&mut buf, count, &mut parts);
    let mut out = Array2::<f64>::zeros((n, k));
    if !parts.is_empty() {
        let all = Tensor::cat(&parts, 0).to_device(Device::Cpu).contiguous();
        let v = Vec::<f64>::try_from(all.flatten(0, -1))
            .map_err(|e| TrainError::Other(format!("reading scores back from the device: {e}")))?;
        if v.len() != n * k {
            return Err(TrainError::Other(format!(
                "scored {} values for {n} records × {k} labels",
                v.len()
            )));
        }
        out = Array2::from_shape_vec((n, k), v)
            .map_err(|e| TrainError::Other(format!("scores: {e}")))?;
    }
    if let Some(i) = out.iter().position(|v| !v.is_finite()) {
        return Err(TrainError::Other(format!(
            "non-finite probability for record {} label {} (the network produced NaN/Inf)",
            i / k.max(1),
            i % k.max(1)
        )));
    }
    Ok(out)
}

/// [`score_split`] shared across the ranks of a job: rank `r` scores the records
/// `r, r + W, …` of the split (padded by repeating its start, as the training shards), the
/// probabilities are gathered, and every rank returns the whole `[records, K]` matrix, the
/// same bytes on every rank. One rank: exactly [`score_split`].
pub fn score_split_shared(
    net: &dyn EcgNet,
    data: &Prepared,
    split: &Split,
    batch_size: usize,
    device: Device,
    c: &dyn crate::collective::Collective,
) -> Result<Array2<f64>, TrainError> {
    if c.world_size() == 1 {
        return score_split(net, data, split, batch_size, device);
    }
    let n = split.len();
    let shard = crate::data::Shard::of(c);
    let positions = shard.positions(n);
    let local = score_records(
        net,
        data,
        positions
            .iter()
            .map(|&p| data.record(split.pack_rows[p % n])),
        positions.len(),
        batch_size,
        device,
    )?;
    let k = local.ncols();
    let flat: Vec<f64> = local.iter().copied().collect(); // row-major
    let t = Tensor::from_slice(&flat).reshape([positions.len() as i64, k as i64]);
    let all = crate::collective::gather_rows(c, &t, &format!("gathering {} scores", split.name))?;
    let all = Vec::<f64>::try_from(all.flatten(0, -1))
        .map_err(|e| TrainError::Other(format!("reading gathered scores: {e}")))?;
    let (w, per) = (c.world_size(), positions.len());
    let mut out = Array2::<f64>::zeros((n, k));
    for p in 0..n {
        // Position p = r + j·W was scored by rank r as its row j.
        let row = (p % w) * per + p / w;
        for j in 0..k {
            out[[p, j]] = all[row * k + j];
        }
    }
    Ok(out)
}
