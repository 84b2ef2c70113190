// Autocast control that tch 0.24 does not expose: the autocast dtype per device type (tch's
// `autocast` only toggles CUDA autocast, whose default dtype is float16) and CPU autocast.
// Every function catches C++ exceptions and reports them as -1.
#include <ATen/autocast_mode.h>

namespace {
c10::DeviceType device_of(int device) {
  return device == 1 ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
}
}  // namespace

extern "C" {

// dtype codes: 0 = float16, 1 = bfloat16, 2 = anything else.
int ecg_autocast_get(int device, int* enabled, int* dtype) {
  try {
    *enabled = at::autocast::is_autocast_enabled(device_of(device)) ? 1 : 0;
    const auto t = at::autocast::get_autocast_dtype(device_of(device));
    *dtype = t == at::kHalf ? 0 : (t == at::kBFloat16 ? 1 : 2);
    return 0;
  } catch (...) {
    return -1;
  }
}

int ecg_autocast_set(int device, int enabled, int dtype) {
  try {
    if (dtype == 0 || dtype == 1) {
      at::autocast::set_autocast_dtype(device_of(device),
                                       dtype == 0 ? at::kHalf : at::kBFloat16);
    }
    at::autocast::set_autocast_enabled(device_of(device), enabled != 0);
    return 0;
  } catch (...) {
    return -1;
  }
}

int ecg_autocast_increment_nesting() {
  try {
    return at::autocast::increment_nesting();
  } catch (...) {
    return -1;
  }
}

// Leaving the outermost autocast region clears the cast-weight cache, as torch.autocast does.
int ecg_autocast_decrement_nesting() {
  try {
    const int n = at::autocast::decrement_nesting();
    if (n == 0) {
      at::autocast::clear_cache();
    }
    return n;
  } catch (...) {
    return -1;
  }
}

}  // extern "C"
