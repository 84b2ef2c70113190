fn main() {
    ecg_torch_build::link_libtorch();
    println!("cargo:rerun-if-changed=csrc/guarded.h");
    ecg_torch_build::compile_cpp("csrc/autocast.cpp", "ecg_autocast");
    ecg_torch_build::compile_cpp("csrc/optim.cpp", "ecg_optim");
    ecg_torch_build::compile_cpp("csrc/profiler.cpp", "ecg_profiler");
    ecg_torch_build::compile_cpp("csrc/stream.cpp", "ecg_stream");
}
