// Shared by ecg-train's C++ shims: runs `f`, turning every C++ exception (an uncaught one would
// abort the process) into a malloc'd message through `err`, freed on the Rust side by
// ecg_optim_free_str. Returns 0, or -1 with the message.
#pragma once

#include <cstdlib>
#include <cstring>
#include <exception>

namespace ecg_shim {

template <typename F>
int guarded(char** err, F&& f) {
  try {
    f();
    return 0;
  } catch (const std::exception& e) {
    *err = strdup(e.what());
  } catch (...) {
    *err = strdup("unknown C++ exception");
  }
  return -1;
}

}  // namespace ecg_shim
