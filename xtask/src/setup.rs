//! `cargo xtask setup`: a venv in `.venv` with torch==2.11.0 (the libtorch that tch 0.24
//! is built for), and `.venv/torch` linking to its package folder, which
//! `.cargo/config.toml` hands to torch-sys as LIBTORCH. Idempotent: when the right torch
//! is there it only checks, which takes well under a second.
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
