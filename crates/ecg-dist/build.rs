//! Compiles the c10d shim (`csrc/c10d.cpp`) against libtorch's headers, with each backend
//! whose headers are present:
//! - Gloo: the gloo headers (the wheel ships none). Looked up in `ECG_GLOO_INCLUDE`, then
//!   `.venv/gloo/usr/include` (Debian's libgloo-dev unpacked there by `cargo xtask setup`),
//!   then `/usr/include` (libgloo-dev installed system-wide).
//! - NCCL: NCCL's and CUDA's headers from the venv's `nvidia` wheels (`nvidia/nccl/include`,
//!   `nvidia/cu13/include` with the header-only nvidia-cuda-crt and nvidia-cuda-cccl that
//!   `cargo xtask setup` installs). `ECG_NVIDIA_DIR` names another `nvidia` folder.
//!
//! `ECG_DIST_DISABLE=gloo,nccl` leaves backends out on purpose. A missing backend is not a
//! build error: the crate reports it (`compiled_backends`) and refuses it with a clear error.
use std::path::{Path, PathBuf};

fn main() {
    ecg_torch_build::link_libtorch();
    for var in ["ECG_GLOO_INCLUDE", "ECG_NVIDIA_DIR", "ECG_DIST_DISABLE"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    // `cargo xtask setup` rewrites this file when it provides headers: rebuild then.
    if let Some(v) = venv().filter(|v| v.join("pyvenv.cfg").is_file()) {
        println!(
            "cargo:rerun-if-changed={}",
            v.join("ecg-dist-headers.stamp").display()
        );
    }
    let disabled = std::env::var("ECG_DIST_DISABLE").unwrap_or_default();
    let off = |b: &str| {
        disabled
            .split(',')
            .any(|d| d.trim().eq_ignore_ascii_case(b))
    };
    let mut build = ecg_torch_build::cpp_build("csrc/c10d.cpp");
    let mut notes = Vec::new();
    match gloo_include() {
        _ if off("gloo") => notes.push("gloo: left out by ECG_DIST_DISABLE".to_owned()),
        Some(dir) => {
            build.include(&dir).define("USE_C10D_GLOO", None);
            build.define("ECG_DIST_HAVE_GLOO", None);
            println!("cargo:rerun-if-changed={}", dir.join("gloo").display());
        }
        None => {
            let note = "gloo: no gloo headers (ECG_GLOO_INCLUDE, .venv/gloo/usr/include, \
                        /usr/include): run `cargo xtask setup`";
            println!("cargo:warning=ecg-dist built without the Gloo backend; {note}");
            notes.push(note.to_owned());
        }
    }
    match nccl_includes() {
        _ if off("nccl") => notes.push("nccl: left out by ECG_DIST_DISABLE".to_owned()),
        Ok(dirs) => {
            for d in &dirs {
                build.include(d);
            }
            build.define("USE_C10D_NCCL", None);
            build.define("ECG_DIST_HAVE_NCCL", None);
        }
        Err(e) => notes.push(format!("nccl: {e}")),
    }
    build.compile("ecg_c10d");
    println!("cargo:rustc-env=ECG_DIST_BUILD_NOTES={}", notes.join("; "));
}

fn venv() -> Option<PathBuf> {
    // LIBTORCH is `.venv/torch` (a link); its parent is the venv.
    ecg_torch_build::libtorch_root()
        .ok()
        .and_then(|t| t.parent().map(Path::to_path_buf))
}

fn gloo_include() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Ok(d) = std::env::var("ECG_GLOO_INCLUDE") {
        candidates.push(PathBuf::from(d));
    }
    if let Some(v) = venv() {
        candidates.push(v.join("gloo/usr/include"));
    }
    candidates.push(PathBuf::from("/usr/include"));
    candidates
        .into_iter()
        .find(|d| d.join("gloo/rendezvous/store.h").is_file())
}

/// The include folders ProcessGroupNCCL.hpp needs, or what is missing.
fn nccl_includes() -> Result<Vec<PathBuf>, String> {
    let nvidia = match std::env::var("ECG_NVIDIA_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => {
            // The torch package folder's parent is site-packages.
            let torch = ecg_torch_build::libtorch_root()?;
            let torch = torch.canonicalize().unwrap_or(torch);
            torch
                .parent()
                .map(|p| p.join("nvidia"))
                .ok_or("no site-packages above LIBTORCH")?
        }
    };
    let nccl = nvidia.join("nccl/include");
    if !nccl.join("nccl.h").is_file() {
        return Err(format!("no nccl.h in {}", nccl.display()));
    }
    let cuda = std::fs::read_dir(&nvidia)
        .map_err(|e| format!("{}: {e}", nvidia.display()))?
        .flatten()
        .map(|e| e.path().join("include"))
        .find(|d| d.join("cuda_runtime_api.h").is_file())
        .ok_or_else(|| format!("no CUDA runtime headers under {}", nvidia.display()))?;
    for (file, wheel) in [
        ("crt/host_defines.h", "nvidia-cuda-crt"),
        ("nv/target", "nvidia-cuda-cccl"),
    ] {
        if !cuda.join(file).is_file() {
            return Err(format!(
                "no {} in {} (pip wheel {wheel}; run `cargo xtask setup`)",
                file,
                cuda.display()
            ));
        }
    }
    Ok(vec![nccl, cuda.clone(), cuda.join("cccl")])
}
