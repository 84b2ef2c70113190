//! Where the time of a cold `ecg predict --model` goes: each phase of loading and planning an
//! exported model with tract, then the first and a second forward of one 10 s record (7
//! windows), and the same with optimisation but no decluttering. Each line: wall time and
//! this thread's CPU time (from /proc/thread-self/schedstat, which a loaded machine does not
//! inflate).
//! `cargo build --release --workspace --example plan_cost && target/release/examples/plan_cost MODEL.onnx [BATCH]`
use std::time::Instant;
use tract_onnx::prelude::*;

/// CPU time this thread has run, in ms.
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns / 1e6)
}

fn main() -> TractResult<()> {
    let path = std::env::args().nth(1).expect("MODEL.onnx");
    let batch: usize = std::env::args()
        .nth(2)
        .map_or(7, |b| b.parse().expect("batch"));
    let t = Instant::now();
    let c = cpu_ms();
    let mut c0 = c;
    let mut lap = |what: &str, t: &mut Instant| {
        let now = cpu_ms();
        eprintln!(
            "{what:28} wall {:8.2} ms  cpu {:8.2} ms",
            t.elapsed().as_secs_f64() * 1e3,
            now - c0
        );
        c0 = now;
        *t = Instant::now();
    };
    let mut t0 = t;
    let m = ecg_onnx::OnnxModel::load(std::path::Path::new(&path)).expect("load");
    lap("OnnxModel::load (checks)", &mut t0);
    let leads = m.deploy().leads.len();
    let len = m.deploy().input_len.unwrap_or(250);
    let proto = tract_onnx::onnx().proto_model_for_path(&path)?;
    lap("decode protobuf", &mut t0);
    let inf = tract_onnx::onnx()
        .model_for_proto_model(&proto)?
        .with_input_fact(0, f32::fact([batch, leads, len]).into())?;
    lap("model_for_proto_model", &mut t0);
    let typed = inf.into_typed()?;
    lap("into_typed", &mut t0);
    let dec = typed.clone().into_decluttered()?;
    lap("into_decluttered", &mut t0);
    let opt = dec.clone().into_optimized()?;
    lap("into_optimized (from decl.)", &mut t0);
    let plan = opt.into_runnable()?;
    lap("into_runnable", &mut t0);
    let x = Tensor::zero::<f32>(&[batch, leads, len])?;
    plan.run(tvec!(x.clone().into()))?;
    lap("first run (optimised)", &mut t0);
    for _ in 0..10 {
        plan.run(tvec!(x.clone().into()))?;
    }
    lap("10 more runs (optimised)", &mut t0);
    let plan_d = dec.into_runnable()?;
    lap("into_runnable (decluttered)", &mut t0);
    plan_d.run(tvec!(x.clone().into()))?;
    lap("first run (decluttered)", &mut t0);
    for _ in 0..10 {
        plan_d.run(tvec!(x.clone().into()))?;
    }
    lap("10 more runs (decluttered)", &mut t0);
    let mut cg = typed.clone();
    lap("(clone typed)", &mut t0);
    cg.optimize()?;
    let plan_c = cg.into_runnable()?;
    lap("codegen without declutter", &mut t0);
    plan_c.run(tvec!(x.clone().into()))?;
    lap("first run (codegen only)", &mut t0);
    for _ in 0..10 {
        plan_c.run(tvec!(x.clone().into()))?;
    }
    lap("10 more runs (codegen only)", &mut t0);
    let mut st = plan.spawn()?;
    st.run(tvec!(x.clone().into()))?;
    lap("state: first run", &mut t0);
    for _ in 0..10 {
        st.run(tvec!(x.clone().into()))?;
    }
    lap("state: 10 more runs", &mut t0);
    eprintln!(
        "total wall {:.2} ms  cpu {:.2} ms",
        t.elapsed().as_secs_f64() * 1e3,
        cpu_ms() - c
    );
    Ok(())
}
