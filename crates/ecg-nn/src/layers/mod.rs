//! Building blocks shared by several networks: convolution + batch norm, squeeze-and-
//! excitation, and the classification heads.
pub mod conv;
pub mod head;
pub mod se;

use tch::nn;

/// Kaiming-normal (fan-in, ReLU gain) weights, as the PTB-XL benchmark's `weight_init`.
pub(crate) const KAIMING_NORMAL: nn::Init = nn::init::DEFAULT_KAIMING_NORMAL;

/// Batch norm initialised as PyTorch does (weight 1, bias 0), eps 1e-5, momentum 0.1.
pub(crate) fn bn_config() -> nn::BatchNormConfig {
    nn::BatchNormConfig {
        ws_init: nn::Init::Const(1.0),
        bs_init: nn::Init::Const(0.0),
        ..Default::default()
    }
}

/// Linear layer with Kaiming-normal weights and zero bias.
pub(crate) fn linear(p: nn::Path, cin: i64, cout: i64, bias: bool) -> nn::Linear {
    nn::linear(
        p,
        cin,
        cout,
        nn::LinearConfig {
            ws_init: KAIMING_NORMAL,
            bs_init: Some(nn::Init::Const(0.0)),
            bias,
        },
    )
}
