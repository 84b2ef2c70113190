// libtorch's own profiler (Kineto) and RecordFunction ranges, which tch 0.24 does not expose:
// what torch.profiler.profile and torch.profiler.record_function call underneath.
// Error strings are malloc'd and freed by ecg_optim_free_str (csrc/optim.cpp).
#include <ATen/record_function.h>
#include <torch/csrc/autograd/profiler_kineto.h>
#include "guarded.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>

namespace {

using ecg_shim::guarded;

namespace prof = torch::autograd::profiler;
namespace impl = torch::profiler::impl;

std::set<impl::ActivityType> activities(bool cuda) {
  std::set<impl::ActivityType> a{impl::ActivityType::CPU};
  if (cuda) a.insert(impl::ActivityType::CUDA);
  return a;
}

}  // namespace

extern "C" {

// Starts the Kineto profiler on the calling thread (CPU activities; CUDA's too when `cuda`).
int ecg_prof_start(int cuda, char** err) {
  return guarded(err, [&] {
    const impl::ProfilerConfig config(impl::ProfilerState::KINETO);
    const auto acts = activities(cuda != 0);
    prof::prepareProfiler(config, acts);
    prof::enableProfiler(config, acts);
  });
}

// Stops the profiler and writes its Chrome trace (torch.profiler's export_chrome_trace).
int ecg_prof_stop(const char* path, char** err) {
  return guarded(err, [&] {
    auto result = prof::disableProfiler();
    if (!result) throw std::runtime_error("the profiler returned no result");
    result->save(path);
  });
}

// Opens a user-scope RecordFunction range named `name` (torch.profiler.record_function);
// returns its handle for ecg_range_end, or null when it could not be made.
void* ecg_range_begin(const char* name) {
  try {
    auto rec = std::make_unique<at::RecordFunction>(at::RecordScope::USER_SCOPE);
    if (rec->isActive()) rec->before(name);
    return rec.release();
  } catch (...) {
    return nullptr;
  }
}

void ecg_range_end(void* range) {
  auto* rec = static_cast<at::RecordFunction*>(range);
  try {
    rec->end();
  } catch (...) {
  }
  delete rec;
}

}  // extern "C"
