// A C interface over libtorch's c10d for ecg-dist: a TCPStore rendezvous and one process
// group (ProcessGroupGloo for CPU tensors, ProcessGroupNCCL for CUDA tensors), with the four
// collectives data-parallel training needs. Nothing here implements a collective: every
// operation is a call into libtorch's own c10d.
//
// Every exported function catches every C++ exception (an uncaught one would abort the
// process) and reports it as a malloc'd message through `err`, freed by ecg_dist_free_str.
// Tensors cross as tch's raw tensor pointers, which point at an at::Tensor.
//
// The backends are compiled only when their headers were found by the build script:
// ECG_DIST_HAVE_GLOO (gloo headers, -DUSE_C10D_GLOO) and ECG_DIST_HAVE_NCCL (NCCL and CUDA
// headers, -DUSE_C10D_NCCL).
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#ifdef ECG_DIST_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef ECG_DIST_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr int kGloo = 0;
constexpr int kNccl = 1;

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
  int backend_kind = kGloo;
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  // Collectives are issued in the same order on every rank; one at a time per group.
  std::mutex mutex;
};

void set_err(char** err, const std::string& msg) {
  if (err != nullptr) {
    *err = strdup(msg.c_str());
  }
}

// Runs `f`, turning every exception into an error message. Returns 0 or -1.
template <class F>
int guarded(char** err, F&& f) {
  try {
    f();
    return 0;
  } catch (const c10::Error& e) {
    set_err(err, e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_err(err, e.what());
  } catch (...) {
    set_err(err, "unknown C++ exception");
  }
  return -1;
}

at::Tensor& tensor_at(void* p) { return *static_cast<at::Tensor*>(p); }

void wait(const c10::intrusive_ptr<c10d::Work>& work) {
  // Gloo (and NCCL in blocking-wait mode) raise here, after the group's timeout at most.
  work->wait();
}

// One collective over a single contiguous buffer, in place.
using BufferOp = void (*)(Group&, at::Tensor&, int);

// Applies `op` to `tensors` as independent tensors: a lone contiguous tensor is used as it
// is; otherwise the tensors are flattened into one buffer per (dtype, device), in order,
// the op runs on each buffer and the results are copied back. (A c10d collective given a
// list treats it as one tensor per device of the same shape, which is not what we want.)
void per_buffer(Group& g, std::vector<at::Tensor>& tensors, BufferOp op, int arg) {
  at::NoGradGuard no_grad;
  if (tensors.size() == 1 && tensors[0].is_contiguous()) {
    op(g, tensors[0], arg);
    return;
  }
  std::vector<bool> done(tensors.size(), false);
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (done[i]) continue;
    std::vector<size_t> members;
    for (size_t j = i; j < tensors.size(); ++j) {
      if (!done[j] && tensors[j].scalar_type() == tensors[i].scalar_type() &&
          tensors[j].device() == tensors[i].device()) {
        members.push_back(j);
        done[j] = true;
      }
    }
    std::vector<at::Tensor> flat_parts;
    flat_parts.reserve(members.size());
    for (size_t j : members) flat_parts.push_back(tensors[j].reshape({-1}));
    at::Tensor flat = at::cat(flat_parts);
    op(g, flat, arg);
    int64_t offset = 0;
    for (size_t j : members) {
      const int64_t n = tensors[j].numel();
      tensors[j].copy_(flat.narrow(0, offset, n).view(tensors[j].sizes()));
      offset += n;
    }
  }
}

void allreduce_buffer(Group& g, at::Tensor& t, int /*unused*/) {
  std::vector<at::Tensor> v{t};
  c10d::AllreduceOptions opts;
  opts.reduceOp = c10d::ReduceOp::SUM;
  wait(g.backend->allreduce(v, opts));
}

void broadcast_buffer(Group& g, at::Tensor& t, int root) {
  std::vector<at::Tensor> v{t};
  c10d::BroadcastOptions opts;
  opts.rootRank = root;
  opts.rootTensor = 0;
  wait(g.backend->broadcast(v, opts));
}

std::vector<at::Tensor> gather_equal(Group& g, const at::Tensor& in) {
  std::vector<at::Tensor> outs;
  outs.reserve(g.world);
  for (int r = 0; r < g.world; ++r) outs.push_back(at::empty_like(in));
  std::vector<std::vector<at::Tensor>> out_lists{outs};
  std::vector<at::Tensor> in_list{in};
  wait(g.backend->allgather(out_lists, in_list, c10d::AllgatherOptions()));
  return out_lists[0];
}

std::string shape_str(const at::Tensor& row) {
  std::ostringstream s;
  const auto a = row.cpu();
  const auto* p = a.data_ptr<int64_t>();
  s << c10::toString(static_cast<c10::ScalarType>(p[0])) << " [";
  bool first = true;
  for (int64_t k = 1; k < a.numel() && p[k] >= 0; ++k) {
    s << (first ? "" : ", ") << p[k];
    first = false;
  }
  s << "]";
  return s.str();
}

// Every rank's (dtype, shape) must agree before the real gather: a mismatch is an error
// naming both ranks, never a wrong buffer.
constexpr int64_t kMaxDims = 8;
void check_same_shape(Group& g, const at::Tensor& in) {
  if (in.dim() > kMaxDims) {
    throw std::runtime_error("all_gather supports at most 8 dimensions");
  }
  at::Tensor desc = at::full({kMaxDims + 1}, -1, at::TensorOptions().dtype(at::kLong));
  desc[0] = static_cast<int64_t>(in.scalar_type());
  for (int64_t k = 0; k < in.dim(); ++k) desc[k + 1] = in.size(k);
  desc = desc.to(in.device());
  const auto all = gather_equal(g, desc);
  for (int r = 0; r < g.world; ++r) {
    if (!at::equal(all[r], desc)) {
      std::ostringstream s;
      s << "all_gather needs equal shapes on every rank: rank " << g.rank << " has "
        << shape_str(desc) << ", rank " << r << " has " << shape_str(all[r]);
      throw std::runtime_error(s.str());
    }
  }
}

c10::intrusive_ptr<c10d::Store> make_store(const char* host, int port, int rank, int world,
                                           bool agent_store, const char* prefix,
                                           std::chrono::milliseconds timeout) {
  // As torch.distributed's env:// rendezvous (_create_c10d_store): under torchrun's agent
  // store every rank is a client of the store the agent hosts; otherwise rank 0 hosts it.
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port);
  opts.isServer = !agent_store && rank == 0;
  opts.numWorkers = static_cast<std::size_t>(world);
  opts.waitWorkers = true;
  opts.timeout = timeout;
  opts.multiTenant = !agent_store;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(std::string(host), opts);
  // Keys of our group live under a prefix, as init_process_group's "default_pg", so they
  // cannot collide with the agent's own keys (nor, through the attempt number in `prefix`,
  // with those of an attempt torchrun restarted).
  return c10::make_intrusive<c10d::PrefixStore>(std::string(prefix), tcp);
}

c10::intrusive_ptr<c10d::Backend> make_backend(int kind, const c10::intrusive_ptr<c10d::Store>& store,
                                               int rank, int world,
                                               std::chrono::milliseconds timeout) {
  if (kind == kGloo) {
#ifdef ECG_DIST_HAVE_GLOO
    // create_default honours GLOO_SOCKET_IFNAME and falls back to the hostname/loopback.
    auto opts = c10d::ProcessGroupGloo::Options::create_default(timeout);
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo/", store);
    return c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, world, opts);
#else
    throw std::runtime_error("this build has no Gloo backend (gloo headers were absent)");
#endif
  }
  if (kind == kNccl) {
#ifdef ECG_DIST_HAVE_NCCL
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = timeout;
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("nccl/", store);
    return c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, rank, world, opts);
#else
    throw std::runtime_error("this build has no NCCL backend (NCCL/CUDA headers were absent)");
#endif
  }
  throw std::runtime_error("unknown backend code " + std::to_string(kind));
}

}  // namespace

extern "C" {

void ecg_dist_free_str(char* s) { std::free(s); }

// 1 when the backend (0 Gloo, 1 NCCL) is compiled into this build.
int ecg_dist_has_backend(int backend) {
#ifdef ECG_DIST_HAVE_GLOO
  if (backend == kGloo) return 1;
#endif
#ifdef ECG_DIST_HAVE_NCCL
  if (backend == kNccl) return 1;
#endif
  (void)backend;
  return 0;
}

// Rendezvous at host:port and create the process group. NULL and `err` on failure.
void* ecg_dist_new(int backend, const char* host, int port, int rank, int world, int local_rank,
                   int agent_store, const char* prefix, int64_t timeout_ms, char** err) {
  Group* out = nullptr;
  guarded(err, [&] {
    const std::chrono::milliseconds timeout(timeout_ms);
    auto g = std::make_unique<Group>();
    g->backend_kind = backend;
    g->rank = rank;
    g->world = world;
    g->local_rank = local_rank;
    g->store = make_store(host, port, rank, world, agent_store != 0, prefix, timeout);
    g->store->setTimeout(timeout);
    g->backend = make_backend(backend, g->store, rank, world, timeout);
    out = g.release();
  });
  return out;
}

int ecg_dist_all_reduce_sum(void* group, void** tensors, size_t n, char** err) {
  return guarded(err, [&] {
    auto& g = *static_cast<Group*>(group);
    std::lock_guard<std::mutex> lock(g.mutex);
    std::vector<at::Tensor> ts;
    for (size_t i = 0; i < n; ++i) ts.push_back(tensor_at(tensors[i]));
    if (!ts.empty()) per_buffer(g, ts, allreduce_buffer, 0);
  });
}

int ecg_dist_broadcast(void* group, void** tensors, size_t n, int root, char** err) {
  return guarded(err, [&] {
    auto& g = *static_cast<Group*>(group);
    std::lock_guard<std::mutex> lock(g.mutex);
    std::vector<at::Tensor> ts;
    for (size_t i = 0; i < n; ++i) ts.push_back(tensor_at(tensors[i]));
    if (!ts.empty()) per_buffer(g, ts, broadcast_buffer, root);
  });
}

// Concatenation along dim 0, in rank order, of every rank's tensor (equal dtypes and shapes;
// a 0-dim tensor counts as shape [1]). Returns a new at::Tensor* (owned by the caller).
void* ecg_dist_all_gather(void* group, void* tensor, char** err) {
  at::Tensor* out = nullptr;
  guarded(err, [&] {
    auto& g = *static_cast<Group*>(group);
    std::lock_guard<std::mutex> lock(g.mutex);
    at::NoGradGuard no_grad;
    at::Tensor in = tensor_at(tensor).contiguous();
    if (in.dim() == 0) in = in.reshape({1});
    check_same_shape(g, in);
    const auto parts = gather_equal(g, in);
    out = new at::Tensor(at::cat(parts, 0));
  });
  return out;
}

int ecg_dist_barrier(void* group, char** err) {
  return guarded(err, [&] {
    auto& g = *static_cast<Group*>(group);
    std::lock_guard<std::mutex> lock(g.mutex);
    c10d::BarrierOptions opts;
    if (g.backend_kind == kNccl) {
      opts.device_ids = {static_cast<int64_t>(g.local_rank)};
    }
    wait(g.backend->barrier(opts));
  });
}

// Shuts the backend down and frees the group (and, on the hosting rank, the store).
int ecg_dist_destroy(void* group, char** err) {
  auto* g = static_cast<Group*>(group);
  const int rc = guarded(err, [&] {
    if (g->backend) g->backend->shutdown();
  });
  guarded(nullptr, [&] { delete g; });
  return rc;
}

}  // extern "C"
