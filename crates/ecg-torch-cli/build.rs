fn main() {
    ecg_torch_build::link_libtorch();
}
