#!/usr/bin/env python3
"""Time scipy.signal.sosfiltfilt for the ecg-dsp criterion bench (benches/filter.rs):
Butterworth band-pass 0.5-40 Hz, order 3, zero-phase, on 12x1000 (100 Hz) and 12x5000
(500 Hz) float64 arrays filtered along the last axis (scipy's vectorised path).

Usage: python scripts/bench_dsp.py   (prints the median and best time per call)
"""
import timeit

import numpy as np
import scipy
import scipy.signal as sig


def signal(leads, samples, fs):
    t = np.arange(samples) / fs
    return np.stack([np.sin(2 * np.pi * 1.2 * t + l) + 0.3 * np.sin(2 * np.pi * 0.2 * t)
                     + 0.05 * np.sin(2 * np.pi * min(50.0, fs / 2.5) * t) for l in range(leads)])


def main():
    print(f"scipy {scipy.__version__}, numpy {np.__version__}")
    for fs, samples in [(100.0, 1000), (500.0, 5000)]:
        sos = sig.butter(3, [0.5, 40.0], "bandpass", output="sos", fs=fs)
        x = signal(12, samples, fs).astype(np.float32).astype(np.float64)
        n = 200 if samples == 1000 else 50
        times = np.array(timeit.repeat(lambda: sig.sosfiltfilt(sos, x, axis=-1), number=n,
                                       repeat=7)) / n
        print(f"sosfiltfilt_bandpass_o3_12x{samples}: median {np.median(times) * 1e6:.1f} us, "
              f"best {times.min() * 1e6:.1f} us")


if __name__ == "__main__":
    main()
