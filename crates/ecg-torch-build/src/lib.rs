//! Build-script helper shared by every package that links `tch`.
//!
//! Call [`link_libtorch`] from the package's `build.rs`. It
//! - finds libtorch's `lib` folder (from `LIBTORCH`, which `.cargo/config.toml` points at
//!   the venv's torch; or `LIBTORCH_LIB`),
//! - writes an rpath to it into every binary, test and bench of the package, so they run
//!   without `LD_LIBRARY_PATH`,
//! - links `libtorch` with `--no-as-needed`, so `libtorch_cuda.so` is loaded and CUDA is
//!   detected when a GPU is present (with `--as-needed` the linker drops the library,
//!   because no symbol of it is referenced directly, and CUDA is silently unavailable).
use std::path::PathBuf;

/// Where libtorch's shared libraries are, as the build sees it.
pub fn libtorch_lib_dir() -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    println!("cargo:rerun-if-env-changed=LIBTORCH_LIB");
    let dir = if let Ok(lib) = std::env::var("LIBTORCH_LIB") {
        PathBuf::from(lib).join("lib")
    } else if let Ok(root) = std::env::var("LIBTORCH") {
        PathBuf::from(root).join("lib")
    } else {
        return Err(
            "LIBTORCH is not set: run `cargo xtask setup` (it installs torch==2.11.0 \
                    into .venv) and build from the workspace, whose .cargo/config.toml sets it"
                .into(),
        );
    };
    if !dir.join("libtorch.so").exists() && !dir.join("libtorch.dylib").exists() {
        return Err(format!(
            "libtorch not found in {}: run `cargo xtask setup` first",
            dir.display()
        ));
    }
    // Resolve the `.venv/torch` link so the rpath names the real folder.
    Ok(dir.canonicalize().unwrap_or(dir))
}

/// Emit the link arguments. Panics (the only way a build script reports) with a clear
/// message when libtorch is missing.
pub fn link_libtorch() {
    let dir = match libtorch_lib_dir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir.display());
    println!("cargo:rustc-link-arg=-Wl,--no-as-needed");
    println!("cargo:rustc-link-arg=-ltorch");
    println!("cargo:rustc-link-arg=-Wl,--as-needed");
    println!("cargo:rustc-env=ECG_LIBTORCH_LIB={}", dir.display());
}

/// Compiles a C++ file against libtorch's headers (from `LIBTORCH`, the same libtorch that is
/// linked) into a static library `name` linked into the package. The flags follow
/// torch-sys's own build of its C shim: C++17 and the wheel's C++11 ABI.
pub fn compile_cpp(src: &str, name: &str) {
    cpp_build(src).compile(name);
}

/// The `cc::Build` that [`compile_cpp`] uses, for a shim that needs more include folders or
/// defines (ecg-dist's c10d shim adds gloo/NCCL headers): add them, then `.compile(name)`.
pub fn cpp_build(src: &str) -> cc::Build {
    println!("cargo:rerun-if-changed={src}");
    println!("cargo:rerun-if-env-changed=LIBTORCH_CXX11_ABI");
    let root = match libtorch_root() {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    };
    let abi = std::env::var("LIBTORCH_CXX11_ABI").unwrap_or_else(|_| "1".to_owned());
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file(src)
        .include(root.join("include"))
        .include(root.join("include/torch/csrc/api/include"))
        .flag("-std=c++17")
        .flag(format!("-D_GLIBCXX_USE_CXX11_ABI={abi}"))
        .flag("-DGLOG_USE_GLOG_EXPORT")
        .flag_if_supported("-Wno-unused-parameter")
        .warnings(false);
    build
}

/// The libtorch folder named by `LIBTORCH` (`.venv/torch`, a link to the wheel's package
/// folder), as given: not resolved, so `parent()` is the venv.
pub fn libtorch_root() -> Result<PathBuf, String> {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    std::env::var("LIBTORCH").map(PathBuf::from).map_err(|_| {
        "LIBTORCH is not set: run `cargo xtask setup` and build from the workspace".to_owned()
    })
}
