// Training batches copied to a CUDA device on a side stream, so that the copy of batch k+1
// overlaps the compute of batch k: each loader thread copies from page-locked memory
// (libtorch's caching host allocator) with a non-blocking copy on a stream of its own taken
// from libtorch's pool, and records an event after the copy; the training thread, before it
// uses the batch, makes its current stream wait for that event (on the device, no host
// wait) and tells the caching allocator that the tensors are now used on that stream
// (record_stream), so their memory is not reused by the copy stream while the step reads it.
//
// Device-generic c10 APIs only (c10::Stream, c10::Event, c10::StreamGuard through
// VirtualGuardImpl): no CUDA header or CUDA library is needed to build this, and on a build
// or machine without CUDA the functions are never called (the CPU path does not upload).
//
// Tensors cross as tch's raw tensor pointers (each an at::Tensor*); every function catches
// every C++ exception and reports it through `err` (guarded.h).
#include <ATen/ATen.h>
#include "guarded.h"
#include <c10/core/Event.h>
#include <c10/core/Stream.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/VirtualGuardImpl.h>

#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

namespace {

using ecg_shim::guarded;

at::Tensor& tensor_at(void* p) { return *static_cast<at::Tensor*>(p); }

}  // namespace

extern "C" {

// Copies the `n` CPU tensors `hosts` to CUDA device `device_index` on this thread's copy
// stream: `outs[i]` receives a new at::Tensor* on the device, `*event` a new c10::Event
// recorded after the copies (free it with ecg_stream_event_free, after ecg_stream_ready).
int ecg_stream_upload(void** hosts, size_t n, int device_index, void** outs, void** event,
                      char** err) {
  return guarded(err, [&] {
    const c10::Device dev(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(device_index));
    const c10::impl::VirtualGuardImpl impl(c10::DeviceType::CUDA);
    thread_local std::optional<c10::Stream> copy;
    if (!copy || copy->device() != dev) copy = impl.getStreamFromGlobalPool(dev, false);
    const c10::StreamGuard on_copy(*copy);
    for (size_t i = 0; i < n; ++i) {
      const at::Tensor pinned = tensor_at(hosts[i]).pin_memory();
      outs[i] = new at::Tensor(pinned.to(dev, /*non_blocking=*/true));
    }
    auto ev = std::make_unique<c10::Event>(c10::DeviceType::CUDA);
    ev->record(*copy);
    *event = ev.release();
  });
}

// On the consuming thread: its current stream on the event's device waits for the copy
// (device-side), and the `n` tensors are marked as used on that stream.
int ecg_stream_ready(void* event, void** tensors, size_t n, char** err) {
  return guarded(err, [&] {
    auto& ev = *static_cast<c10::Event*>(event);
    const c10::impl::VirtualGuardImpl impl(c10::DeviceType::CUDA);
    const c10::Stream current = impl.getStream(ev.device());
    ev.block(current);
    for (size_t i = 0; i < n; ++i) tensor_at(tensors[i]).record_stream(current);
  });
}

void ecg_stream_event_free(void* event) { delete static_cast<c10::Event*>(event); }

}  // extern "C"
