fn main() {
    ecg_torch_build::link_libtorch();
    ecg_torch_build::compile_cpp("csrc/autocast.cpp", "ecg_autocast");
}
