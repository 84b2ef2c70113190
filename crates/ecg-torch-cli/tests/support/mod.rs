//! The two binaries, side by side as users get them: this package's `ecg-torch` and the
//! light `ecg` (crates/ecg-cli), which hands the network commands to the `ecg-torch` in
//! its own folder. Cargo builds only a package's own binaries for its tests, so [`ecg`]
//! builds `ecg` into the same folder first (once per test binary; a no-op when it is up
//! to date). ecg-cli resolves its dependencies like this package's test build (feature
//! pins, checked by `cargo xtask check-deps`), so this compiles ecg-cli's code only.
#![allow(dead_code)] // each test file uses a part
pub mod jobs;

use std::path::PathBuf;
use std::sync::OnceLock;

pub fn ecg_torch() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ecg-torch"))
}

/// The light `ecg`, freshly built beside [`ecg_torch`].
pub fn ecg() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(build_ecg).clone()
}

fn build_ecg() -> PathBuf {
    let torch = ecg_torch();
    let dir = torch.parent().expect("ecg-torch has a folder");
    let target = dir.parent().expect("the profile folder has a parent");
    // target/<profile folder>: `debug` is the dev profile, the others carry their name.
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(other) => other,
        None => panic!("{}: no profile folder name", dir.display()),
    };
    // What cargo sets for this test process describes ecg-torch-cli, not the build: a
    // build script that tracks one of them (ring tracks OUT_DIR) would rebuild, and then
    // rebuild again in the next plain `cargo build`. xtask's child cargo leaves them out.
    let mut cargo = xtask::cargo_command();
    let status = cargo
        .args(["build", "--quiet", "-p", "ecg-cli", "--bin", "ecg"])
        .args(["--profile", profile, "--target-dir"])
        .arg(target)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build -p ecg-cli");
    assert!(status.success(), "cargo build -p ecg-cli failed");
    let ecg = dir.join(format!("ecg{}", std::env::consts::EXE_SUFFIX));
    assert!(ecg.is_file(), "{} missing after the build", ecg.display());
    ecg
}
