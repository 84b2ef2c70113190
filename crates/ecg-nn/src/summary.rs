//! Analytic description of a network: one row per block with its output shape, trainable
//! parameter count and FLOPs per record. The same walk validates the input length, so a
//! length a pooling cannot take is an error before any tensor exists.
//!
//! FLOPs count 2 × multiply-adds of convolutions, linear layers, attention products and the
//! squeeze-excitation MLPs; normalisation, activations and pooling are not counted.
use serde::Serialize;

use crate::error::NnError;

/// One row of `ecg model summary`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSummary {
    /// Stable name of the block, equal to its `nn::Path` prefix where it owns parameters.
    pub name: String,
    /// What the block is (`conv-bn`, `se-block-a`, `concat-pool-head`, ...).
    pub kind: String,
    /// Output shape for one record (batch dimension omitted).
    pub out_shape: Vec<i64>,
    /// Trainable parameters (buffers such as BN running stats and E are not counted).
    pub params: i64,
    /// FLOPs per record (2 × multiply-adds).
    pub flops: i64,
}

/// Accumulates rows while walking a network's structure; checks lengths on the way.
#[derive(Debug)]
pub(crate) struct Tracer {
    pub preset: String,
    pub input_len: i64,
    pub rows: Vec<LayerSummary>,
}

impl Tracer {
    pub fn new(preset: &str, input_len: i64) -> Self {
        Tracer {
            preset: preset.to_string(),
            input_len,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, name: &str, kind: &str, out_shape: Vec<i64>, params: i64, flops: i64) {
        self.rows.push(LayerSummary {
            name: name.to_string(),
            kind: kind.to_string(),
            out_shape,
            params,
            flops,
        });
    }

    /// Output length of a convolution or pooling window over `len`, as PyTorch computes it;
    /// an error naming `layer` when the window does not fit.
    pub fn window(&self, layer: &str, len: i64, w: Window) -> Result<i64, NnError> {
        let span = w.dilation * (w.kernel - 1) + 1;
        let room = len + 2 * w.padding - span;
        let out = if room < 0 {
            0
        } else if w.ceil {
            let mut o = (room + w.stride - 1) / w.stride + 1;
            // PyTorch: the last window must start inside the input or the left padding.
            if (o - 1) * w.stride >= len + w.padding {
                o -= 1;
            }
            o
        } else {
            room / w.stride + 1
        };
        if out < 1 {
            return Err(NnError::LengthNotSupported {
                preset: self.preset.clone(),
                input_len: self.input_len,
                layer: layer.to_string(),
                got: out,
                need: 1,
                min_len: 0,
            });
        }
        Ok(out)
    }
}

/// A 1-D sliding window (convolution or pooling) along time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub kernel: i64,
    pub stride: i64,
    pub padding: i64,
    pub dilation: i64,
    pub ceil: bool,
}

impl Window {
    /// Stride-1 or strided window with explicit padding.
    pub fn new(kernel: i64, stride: i64, padding: i64) -> Self {
        Window {
            kernel,
            stride,
            padding,
            dilation: 1,
            ceil: false,
        }
    }
    pub fn ceil(mut self) -> Self {
        self.ceil = true;
        self
    }
}

/// Trainable parameters of a convolution (`kernel_elems` = product of the kernel sizes).
pub(crate) fn conv_params(cin: i64, cout: i64, kernel_elems: i64, groups: i64, bias: bool) -> i64 {
    cin / groups * kernel_elems * cout + if bias { cout } else { 0 }
}

/// FLOPs of a convolution producing `out_positions` output positions per channel.
pub(crate) fn conv_flops(
    cin: i64,
    cout: i64,
    kernel_elems: i64,
    groups: i64,
    out_positions: i64,
) -> i64 {
    2 * cin / groups * kernel_elems * cout * out_positions
}

/// Trainable parameters of a linear layer.
pub(crate) fn linear_params(cin: i64, cout: i64, bias: bool) -> i64 {
    cin * cout + if bias { cout } else { 0 }
}

/// FLOPs of a linear layer applied to `rows` vectors.
pub(crate) fn linear_flops(cin: i64, cout: i64, rows: i64) -> i64 {
    2 * cin * cout * rows
}

/// Trainable parameters of a batch or layer norm with affine weights.
pub(crate) fn norm_params(c: i64) -> i64 {
    2 * c
}

/// Trainable parameters of squeeze-and-excitation over `c` channels with reduction `r`.
pub(crate) fn se_params(c: i64, r: i64) -> i64 {
    let cr = se_hidden(c, r);
    linear_params(c, cr, true) + linear_params(cr, c, true)
}

/// FLOPs of squeeze-and-excitation (the two small linear layers).
pub(crate) fn se_flops(c: i64, r: i64) -> i64 {
    let cr = se_hidden(c, r);
    linear_flops(c, cr, 1) + linear_flops(cr, c, 1)
}

/// Width of the squeeze-and-excitation bottleneck: `c / r`, at least 1.
pub(crate) fn se_hidden(c: i64, r: i64) -> i64 {
    (c / r).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_lengths_match_pytorch_formulas() {
        let t = Tracer::new("x", 250);
        // conv k5 s2 p2 over 250 -> 125; over 1 -> 1
        assert_eq!(t.window("c", 250, Window::new(5, 2, 2)).unwrap(), 125);
        assert_eq!(t.window("c", 1, Window::new(5, 2, 2)).unwrap(), 1);
        // pool 5 stride 5 over 250 -> 50, over 4 -> error
        assert_eq!(t.window("p", 250, Window::new(5, 5, 0)).unwrap(), 50);
        assert!(t.window("p", 4, Window::new(5, 5, 0)).is_err());
        // avg pool 2 ceil over 63 -> 32 (PyTorch: ceil((63-2)/2)+1 = 32)
        assert_eq!(t.window("a", 63, Window::new(2, 2, 0).ceil()).unwrap(), 32);
        // fcn_wang conv k8 p3 takes 250 -> 249
        assert_eq!(t.window("c", 250, Window::new(8, 1, 3)).unwrap(), 249);
    }
}
