//! Convolution → batch norm (→ ReLU), in 1-D (`[batch, channels, time]`) and 2-D
//! (`[batch, channels, leads, time]`).
use tch::{nn, nn::ModuleT, Tensor};

use super::{bn_config, KAIMING_NORMAL};

/// Configuration of [`ConvBn1d`].
#[derive(Debug, Clone, Copy)]
pub struct ConvBn1dConfig {
    pub cin: i64,
    pub cout: i64,
    pub kernel: i64,
    pub stride: i64,
    /// Zero padding on both sides; the benchmark uses `(kernel - 1) / 2`.
    pub padding: i64,
    /// Apply ReLU after the batch norm.
    pub relu: bool,
}

impl ConvBn1dConfig {
    /// `kernel` with the benchmark's "same" padding `(kernel - 1) / 2`, stride 1, ReLU.
    pub fn same(cin: i64, cout: i64, kernel: i64) -> Self {
        ConvBn1dConfig {
            cin,
            cout,
            kernel,
            stride: 1,
            padding: (kernel - 1) / 2,
            relu: true,
        }
    }
    pub fn stride(mut self, stride: i64) -> Self {
        self.stride = stride;
        self
    }
    pub fn no_relu(mut self) -> Self {
        self.relu = false;
        self
    }
}

/// Bias-free 1-D convolution, batch norm, optional ReLU. Parameters: `conv.weight`,
/// `bn.{weight,bias,running_mean,running_var}`.
#[derive(Debug)]
pub struct ConvBn1d {
    conv: nn::Conv1D,
    bn: nn::BatchNorm,
    relu: bool,
}

impl ConvBn1d {
    pub fn new(p: &nn::Path, cfg: &ConvBn1dConfig) -> Self {
        let conv = nn::conv1d(
            p / "conv",
            cfg.cin,
            cfg.cout,
            cfg.kernel,
            nn::ConvConfig {
                stride: cfg.stride,
                padding: cfg.padding,
                bias: false,
                ws_init: KAIMING_NORMAL,
                ..Default::default()
            },
        );
        let bn = nn::batch_norm1d(p / "bn", cfg.cout, bn_config());
        ConvBn1d {
            conv,
            bn,
            relu: cfg.relu,
        }
    }

    /// `[batch, cin, time]` → `[batch, cout, time']`.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut ys = self.bn.forward_t(&xs.apply(&self.conv), train);
        if self.relu {
            ys.relu_()
        } else {
            ys
        }
    }
}

/// Configuration of [`ConvBn2d`]: kernel `[kh, kw]` over `[leads, time]`, "same" padding.
#[derive(Debug, Clone, Copy)]
pub struct ConvBn2dConfig {
    pub cin: i64,
    pub cout: i64,
    pub kernel: [i64; 2],
    pub relu: bool,
}

/// Bias-free 2-D convolution with "same" padding, batch norm, optional ReLU.
#[derive(Debug)]
pub struct ConvBn2d {
    conv: nn::Conv2D,
    bn: nn::BatchNorm,
    relu: bool,
}

impl ConvBn2d {
    pub fn new(p: &nn::Path, cfg: &ConvBn2dConfig) -> Self {
        let conv = nn::conv(
            p / "conv",
            cfg.cin,
            cfg.cout,
            cfg.kernel,
            nn::ConvConfigND::<[i64; 2]> {
                padding: [(cfg.kernel[0] - 1) / 2, (cfg.kernel[1] - 1) / 2],
                bias: false,
                ws_init: KAIMING_NORMAL,
                ..Default::default()
            },
        );
        let bn = nn::batch_norm2d(p / "bn", cfg.cout, bn_config());
        ConvBn2d {
            conv,
            bn,
            relu: cfg.relu,
        }
    }

    /// `[batch, cin, leads, time]` → `[batch, cout, leads, time]`.
    pub fn forward_t(&self, xs: &Tensor, train: bool) -> Tensor {
        let mut ys = self.bn.forward_t(&xs.apply(&self.conv), train);
        if self.relu {
            ys.relu_()
        } else {
            ys
        }
    }
}
