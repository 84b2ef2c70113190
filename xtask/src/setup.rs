//! `cargo xtask setup`: a venv in `.venv` with torch==2.11.0 (the libtorch that tch 0.24
//! is built for), and `.venv/torch` linking to its package folder, which
//! `.cargo/config.toml` hands to torch-sys as LIBTORCH; then the headers ecg-dist's c10d shim
//! needs and the wheel lacks (see [`dist_headers`]). Idempotent: when everything is there it
//! only checks, which takes well under a second.
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub const TORCH_VERSION: &str = "2.11.0";

/// Make sure the venv and torch are in place; return the torch package folder.
pub fn ensure(root: &Path) -> Result<PathBuf> {
    let venv = root.join(".venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        let sys_python = find_python()?;
        eprintln!("xtask: creating {} with {}", venv.display(), sys_python);
        let out = Command::new(&sys_python)
            .args(["-m", "venv"])
            .arg(&venv)
            .output()
            .with_context(|| format!("running {sys_python} -m venv"))?;
        if !out.status.success() {
            bail!(
                "`{sys_python} -m venv {}` failed: {}\nInstall the venv module \
                 (Debian/Ubuntu: apt-get install python3-venv) and run again.",
                venv.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let torch_dir = match installed_torch(&venv) {
        Some((dir, v)) if v.split('+').next() == Some(TORCH_VERSION) => dir,
        found => {
            if let Some((_, v)) = found {
                eprintln!("xtask: torch {v} found, {TORCH_VERSION} needed: reinstalling");
            }
            install_torch(&python)?;
            match installed_torch(&venv) {
                Some((dir, v)) if v.split('+').next() == Some(TORCH_VERSION) => dir,
                Some((_, v)) => bail!("pip installed torch {v}, expected {TORCH_VERSION}"),
                None => bail!(
                    "pip reported success but torch is not in {}",
                    venv.display()
                ),
            }
        }
    };
    link_torch(&venv, &torch_dir)?;
    dist_headers(&venv, &python, &torch_dir);
    Ok(torch_dir)
}

fn find_python() -> Result<String> {
    for cand in ["python3", "python"] {
        if let Ok(out) = Command::new(cand).arg("--version").output() {
            if out.status.success() {
                return Ok(cand.to_string());
            }
        }
    }
    bail!(
        "python3 not found on PATH: install Python 3.10 or newer with pip and venv \
         (Debian/Ubuntu: apt-get install python3 python3-venv python3-pip); it is needed \
         to install libtorch (torch=={TORCH_VERSION} from PyPI)"
    )
}

/// The torch package folder and its version, read from `torch/version.py` (no import).
fn installed_torch(venv: &Path) -> Option<(PathBuf, String)> {
    let lib = venv.join("lib");
    for entry in std::fs::read_dir(&lib).ok()?.flatten() {
        let dir = entry.path().join("site-packages").join("torch");
        let Ok(text) = std::fs::read_to_string(dir.join("version.py")) else {
            continue;
        };
        let version = text.lines().find_map(|l| {
            l.strip_prefix("__version__ = ")
                .map(|v| v.trim().trim_matches(['\'', '"']).to_string())
        })?;
        if dir.join("lib").exists() {
            return Some((dir, version));
        }
    }
    None
}

fn install_torch(python: &Path) -> Result<()> {
    let pip_ok = Command::new(python)
        .args(["-m", "pip", "--version"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !pip_ok {
        bail!(
            "pip is not available in the venv ({}): install pip for your python3 \
             (Debian/Ubuntu: apt-get install python3-pip python3-venv), remove .venv and run again",
            python.display()
        );
    }
    eprintln!("xtask: installing torch=={TORCH_VERSION} from PyPI (about 4.6 GB; a few minutes)");
    let status = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
        ])
        .arg(format!("torch=={TORCH_VERSION}"))
        .status()
        .context("running pip install torch")?;
    if !status.success() {
        bail!("`pip install torch=={TORCH_VERSION}` failed ({status}); is PyPI reachable?");
    }
    Ok(())
}

/// What `.venv/bin/torchrun` imports at start besides torch: numpy (without it every launch
/// warns "Failed to initialize NumPy"). Installed when `import numpy` fails; a failed install
/// is a warning only (torchrun works without it).
pub fn launcher_needs(root: &Path) -> Result<()> {
    let python = &root.join(".venv").join("bin").join("python");
    let has = |module: &str| {
        Command::new(python)
            .args(["-c", &format!("import {module}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if has("numpy") {
        return Ok(());
    }
    eprintln!("xtask: installing numpy (torchrun warns without it)");
    let ok = Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--progress-bar",
            "off",
            "numpy",
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !ok || !has("numpy") {
        eprintln!(
            "xtask: warning: `pip install numpy` into {} failed (is PyPI reachable?); torchrun \
             will warn \"Failed to initialize NumPy\" at every launch",
            python.display()
        );
    }
    Ok(())
}

/// `.venv/torch` -> `lib/pythonX.Y/site-packages/torch` (relative link).
fn link_torch(venv: &Path, torch_dir: &Path) -> Result<()> {
    let link = venv.join("torch");
    let target = torch_dir
        .strip_prefix(venv)
        .unwrap_or(torch_dir)
        .to_path_buf();
    if let Ok(existing) = std::fs::read_link(&link) {
        if existing == target {
            return Ok(());
        }
        std::fs::remove_file(&link).with_context(|| format!("removing {}", link.display()))?;
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(&target, &link)
        .with_context(|| format!("linking {} -> {}", link.display(), target.display()))?;
    #[cfg(not(unix))]
    bail!("only Unix-like systems are supported for the libtorch link");
    Ok(())
}

/// Debian's package with the gloo headers ProcessGroupGloo.hpp includes.
pub const GLOO_DEB: &str = "libgloo-dev";
/// Header-only CUDA wheels ProcessGroupNCCL.hpp needs beyond torch's own dependencies.
pub const NCCL_HEADER_WHEELS: [&str; 2] = ["nvidia-cuda-crt==13.0.88", "nvidia-cuda-cccl==13.0.85"];
/// What the set-up provided for ecg-dist; its build script reruns when this file changes.
pub const DIST_STAMP: &str = "ecg-dist-headers.stamp";

/// The headers ecg-dist's c10d shim compiles its backends with (crates/ecg-dist/build.rs
/// finds them there):
/// - gloo: `.venv/gloo/usr/include`, unpacked from Debian's libgloo-dev (`apt-get download`
///   + `dpkg -x`: no root needed; with root and empty apt lists, `apt-get update` first), unless
///   /usr/include/gloo is already there;
/// - NCCL: the header-only wheels [`NCCL_HEADER_WHEELS`], pip-installed into the venv.
///
/// A backend that cannot be provided is a loud warning, not a failure: ecg-dist then builds
/// without it (its tests fail if that is Gloo).
pub fn dist_headers(venv: &Path, python: &Path, torch_dir: &Path) {
    let gloo = match ensure_gloo(venv) {
        // Relative to the venv, so worktrees sharing one venv write the same stamp.
        Ok(dir) => format!("gloo {}", dir.strip_prefix(venv).unwrap_or(&dir).display()),
        Err(e) => {
            eprintln!(
                "xtask: WARNING: no gloo headers, so ecg-dist builds WITHOUT the Gloo backend \
                 (CPU data-parallel training): {e:#}"
            );
            "gloo absent".to_owned()
        }
    };
    let nccl = match ensure_nccl_headers(python, torch_dir) {
        Ok(()) => "nccl headers present".to_owned(),
        Err(e) => {
            eprintln!(
                "xtask: WARNING: ecg-dist builds without the NCCL backend (multi-GPU): {e:#}"
            );
            "nccl absent".to_owned()
        }
    };
    let stamp = venv.join(DIST_STAMP);
    let text = format!("{gloo}\n{nccl}\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(text.as_str()) {
        if let Err(e) = std::fs::write(&stamp, text) {
            eprintln!("xtask: WARNING: writing {}: {e}", stamp.display());
        }
    }
}

fn has_gloo(include: &Path) -> bool {
    include.join("gloo/rendezvous/store.h").is_file()
}

/// The folder holding `gloo/`, installing it into the venv when needed.
fn ensure_gloo(venv: &Path) -> Result<PathBuf> {
    let local = venv.join("gloo/usr/include");
    if has_gloo(&local) {
        return Ok(local);
    }
    if has_gloo(Path::new("/usr/include")) {
        return Ok(PathBuf::from("/usr/include"));
    }
    if Command::new("apt-get").arg("--version").output().is_err() {
        bail!(
            "apt-get not found: install gloo's headers (Debian/Ubuntu package {GLOO_DEB}) and \
             point ECG_GLOO_INCLUDE at the folder holding gloo/"
        );
    }
    let work = venv.join("gloo.partial");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    eprintln!("xtask: fetching {GLOO_DEB} (gloo headers for ecg-dist's Gloo backend)");
    if let Err(first) = apt_download(&work) {
        if !is_root() {
            bail!(
                "{first:#}\nRun `sudo apt-get update` (the apt package lists may be empty) and \
                 `cargo xtask setup` again, or point ECG_GLOO_INCLUDE at gloo's headers"
            );
        }
        eprintln!("xtask: apt-get download failed; running apt-get update and retrying");
        run_quiet(
            Command::new("apt-get").args(["update", "-qq"]),
            "apt-get update",
        )?;
        apt_download(&work)?;
    }
    let deb = std::fs::read_dir(&work)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .context("apt-get download left no .deb")?;
    let tree = work.join("tree");
    run_quiet(
        Command::new("dpkg").arg("-x").arg(&deb).arg(&tree),
        "dpkg -x",
    )?;
    if !has_gloo(&tree.join("usr/include")) {
        bail!("{} holds no gloo/rendezvous/store.h", deb.display());
    }
    let dest = venv.join("gloo");
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&tree, &dest)
        .with_context(|| format!("moving {} to {}", tree.display(), dest.display()))?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(local)
}

fn apt_download(dir: &Path) -> Result<()> {
    run_quiet(
        Command::new("apt-get")
            .args(["download", GLOO_DEB])
            .current_dir(dir),
        "apt-get download",
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run_quiet(cmd: &mut Command, what: &str) -> Result<()> {
    let out = cmd.output().with_context(|| format!("running {what}"))?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// crt and cccl headers beside the CUDA runtime headers of torch's own nvidia wheels.
fn ensure_nccl_headers(python: &Path, torch_dir: &Path) -> Result<()> {
    let nvidia = torch_dir
        .parent()
        .context("torch has no parent folder")?
        .join("nvidia");
    let present = || {
        std::fs::read_dir(&nvidia).ok().is_some_and(|dir| {
            dir.flatten().any(|e| {
                let inc = e.path().join("include");
                inc.join("crt/host_defines.h").is_file() && inc.join("nv/target").is_file()
            })
        })
    };
    if !nvidia.join("nccl/include/nccl.h").is_file() {
        bail!(
            "torch's NCCL wheel is absent ({}): a CPU-only torch",
            nvidia.display()
        );
    }
    if present() {
        return Ok(());
    }
    eprintln!(
        "xtask: installing {} (headers for ecg-dist's NCCL backend)",
        NCCL_HEADER_WHEELS.join(", ")
    );
    run_quiet(
        Command::new(python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-deps",
                "--progress-bar",
                "off",
            ])
            .args(NCCL_HEADER_WHEELS),
        "pip install of the CUDA header wheels",
    )?;
    if !present() {
        bail!("pip installed {NCCL_HEADER_WHEELS:?} but crt/ and nv/target are still missing under {}", nvidia.display());
    }
    Ok(())
}
