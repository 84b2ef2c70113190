//! Proves the libtorch link instead of assuming it: a small network's autograd gradient
//! equals a central finite-difference estimate, on CPU, in double precision.
use tch::{nn, nn::Module, Device, Kind, Tensor};

fn tiny_net(vs: &nn::VarStore) -> impl Module {
    let p = vs.root();
    nn::seq()
        .add(nn::conv1d(&p / "conv", 2, 3, 3, Default::default()))
        .add_fn(|x| x.tanh())
        .add_fn(|x| x.flatten(1, -1))
        .add(nn::linear(&p / "fc", 3 * 6, 2, Default::default()))
}

fn loss(net: &impl Module, x: &Tensor, y: &Tensor) -> Tensor {
    net.forward(x)
        .binary_cross_entropy_with_logits::<Tensor>(y, None, None, tch::Reduction::Mean)
}

#[test]
fn autograd_matches_finite_differences() {
    tch::manual_seed(7);
    let mut vs = nn::VarStore::new(Device::Cpu);
    let net = tiny_net(&vs);
    vs.double();
    let x = Tensor::randn([4, 2, 8], (Kind::Double, Device::Cpu)); // [batch, leads, samples]
    let y = Tensor::from_slice(&[1.0f64, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0]).view([4, 2]);

    let l = loss(&net, &x, &y);
    l.backward();
    let eps = 1e-6;
    let mut checked = 0;
    for (name, var) in vs.variables() {
        let grad = var.grad();
        assert!(grad.defined(), "no gradient for {name}");
        let n = var.numel() as i64;
        let flat_grad = grad.flatten(0, -1);
        for i in 0..n {
            let orig = tch::no_grad(|| var.flatten(0, -1).double_value(&[i]));
            let bump = |v: f64| {
                tch::no_grad(|| {
                    let flat = var.flatten(0, -1);
                    let _ = flat.get(i).fill_(v);
                })
            };
            bump(orig + eps);
            let lp = tch::no_grad(|| loss(&net, &x, &y).double_value(&[]));
            bump(orig - eps);
            let lm = tch::no_grad(|| loss(&net, &x, &y).double_value(&[]));
            bump(orig);
            let numeric = (lp - lm) / (2.0 * eps);
            let analytic = flat_grad.double_value(&[i]);
            assert!(
                (numeric - analytic).abs() <= 1e-6 * (1.0 + analytic.abs()),
                "{name}[{i}]: autograd {analytic} vs finite difference {numeric}"
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        2 * 3 * 3 + 3 + 18 * 2 + 2,
        "every parameter was checked"
    );
}

#[test]
fn cuda_status_is_consistent() {
    // On a CPU machine this says 0 devices; with a GPU the link must expose it.
    let available = tch::Cuda::is_available();
    let count = tch::Cuda::device_count();
    assert_eq!(
        available,
        count > 0,
        "is_available={available} but device_count={count}"
    );
}
