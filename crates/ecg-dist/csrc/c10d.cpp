// A C interface over libtorch's c10d for ecg-dist: a TCPStore rendezvous and one process
// group (ProcessGroupGloo for CPU tensors, ProcessGroupNCCL for CUDA tensors), with the four
// collectives data-parallel training needs. Nothing here implements a collective: every
// operation is a call into libtorch's own c10d.
//
// Every exported function catches every C++ exception (an uncaught one would abort the
// process) and reports it as a malloc'd message through `err`, freed by ecg_dist_free_str.
// Tensors cross as tch's raw tensor pointers, which point at an at::Tensor.
//
// Lost ranks: every rank runs a heartbeat thread with its own store client (a second TCPStore
// client of the same store, under the group's prefix) that increments `hb/<rank>` twice a
// second, and sets `bye/<rank>` when the group is destroyed. After a collective fails, the
// Rust side reads every rank's counters twice through a fresh client (ecg_dist_probe) and
// names the ranks whose heartbeat did not advance. A store-hosting rank waits (bounded) for
// the others' goodbyes before it takes the store down.
//
// The backends are compiled only when their headers were found by the build script:
// ECG_DIST_HAVE_GLOO (gloo headers, -DUSE_C10D_GLOO) and ECG_DIST_HAVE_NCCL (NCCL and CUDA
// headers, -DUSE_C10D_NCCL).
#include <ATen/ATen.h>
#include <c10/util/Exception.h>
#include <torch/csrc/autograd/functions/accumulate_grad.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>

#ifdef ECG_DIST_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef ECG_DIST_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace {

constexpr int kGloo = 0;
constexpr int kNccl = 1;

// Where the group's store is, to open further clients of it.
struct StoreAddr {
  std::string host;
  int port = 0;
  std::string prefix;
};

// The heartbeat thread's state, shared with the thread so that a thread left running (blocked
// on a store that stopped answering) never touches freed memory.
struct Beat {
  std::mutex m;
  std::condition_variable cv;
  bool stop = false;
  bool exited = false;
};

constexpr std::chrono::milliseconds kBeatEvery{500};
// How long the heartbeat's store client may take to connect (it retries at the next beat), and
// how long stopping the heartbeat waits for its thread before leaving it behind.
constexpr std::chrono::milliseconds kBeatConnect{1000};
constexpr std::chrono::milliseconds kBeatStop{3000};
constexpr int kBeatRetries = 3;
// How long a store-hosting rank waits, when destroyed, for the other ranks' heartbeats to stop
// (so that theirs never meet a vanished store), when no rank was lost.
constexpr std::chrono::milliseconds kByeWait{2000};

struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  StoreAddr addr;
  bool hosts_store = false;
  std::shared_ptr<Beat> beat;
  std::thread beat_thread;
  // How long a store-hosting rank, when destroyed, waits for the others to say goodbye before
  // it takes the store down (-1: kByeWait), and the ranks it does not wait for (lost ones).
  // Set when this rank reported a lost peer, so the other survivors can still read the store.
  std::mutex lost_mutex;
  int64_t linger_ms = -1;
  std::vector<int> lost;
  c10::intrusive_ptr<c10d::Backend> backend;
  int backend_kind = kGloo;
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  // Collectives are issued in the same order on every rank; one at a time per group.
  std::mutex mutex;

  ~Group() {
    // Only when stop_beat itself failed: leave the thread rather than std::terminate.
    if (beat_thread.joinable()) beat_thread.detach();
  }
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

c10d::TCPStoreOptions store_options(int port, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(port);
  opts.timeout = timeout;
  return opts;
}

c10::intrusive_ptr<c10d::Store> make_store(const StoreAddr& addr, int rank, int world,
                                           bool agent_store, std::chrono::milliseconds timeout) {
  // As torch.distributed's env:// rendezvous (_create_c10d_store): under torchrun's agent
  // store every rank is a client of the store the agent hosts; otherwise rank 0 hosts it.
  auto opts = store_options(addr.port, timeout);
  opts.isServer = !agent_store && rank == 0;
  opts.numWorkers = static_cast<std::size_t>(world);
  opts.waitWorkers = true;
  opts.multiTenant = !agent_store;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(addr.host, opts);
  // Keys of our group live under a prefix, as init_process_group's "default_pg", so they
  // cannot collide with the agent's own keys (nor, through the attempt number in `prefix`,
  // with those of an attempt torchrun restarted).
  return c10::make_intrusive<c10d::PrefixStore>(addr.prefix, tcp);
}

// One more client of the group's store (not counted among its workers), under its prefix.
c10::intrusive_ptr<c10d::Store> client_store(const StoreAddr& addr,
                                             std::chrono::milliseconds timeout) {
  auto opts = store_options(addr.port, timeout);
  opts.isServer = false;
  opts.waitWorkers = false;
  auto tcp = c10::make_intrusive<c10d::TCPStore>(addr.host, opts);
  return c10::make_intrusive<c10d::PrefixStore>(addr.prefix, tcp);
}

std::string beat_key(int rank) { return "hb/" + std::to_string(rank); }
std::string failed_key(int rank) { return "failed/" + std::to_string(rank); }
std::string bye_key(int rank) { return "bye/" + std::to_string(rank); }

// Increments `hb/<rank>` every kBeatEvery until told to stop, then sets `bye/<rank>`. A
// failure (store gone or slow) drops the client and reconnects at the next beat, up to
// kBeatRetries failures in a row (c10d logs each); nothing escapes the thread.
void beat_loop(std::shared_ptr<Beat> beat, StoreAddr addr, int rank) {
  c10::intrusive_ptr<c10d::Store> store;
  int failures = 0;
  std::unique_lock<std::mutex> lock(beat->m);
  while (!beat->stop) {
    lock.unlock();
    try {
      if (failures < kBeatRetries) {
        if (!store) store = client_store(addr, kBeatConnect);
        store->add(beat_key(rank), 1);
        failures = 0;
      }
    } catch (...) {
      store.reset();
      ++failures;
    }
    lock.lock();
    beat->cv.wait_for(lock, kBeatEvery, [&] { return beat->stop; });
  }
  lock.unlock();
  try {
    if (store) store->add(bye_key(rank), 1);
  } catch (...) {
  }
  lock.lock();
  beat->exited = true;
  beat->cv.notify_all();
}

void start_beat(Group& g) {
  g.beat = std::make_shared<Beat>();
  g.beat_thread = std::thread(beat_loop, g.beat, g.addr, g.rank);
}

// Stops the heartbeat; a thread stuck on an unresponsive store is left behind (detached)
// after kBeatStop rather than blocking the caller.
void stop_beat(Group& g) {
  if (!g.beat_thread.joinable()) return;
  bool exited = false;
  {
    std::unique_lock<std::mutex> lock(g.beat->m);
    g.beat->stop = true;
    g.beat->cv.notify_all();
    exited = g.beat->cv.wait_for(lock, kBeatStop, [&] { return g.beat->exited; });
  }
  if (exited) {
    g.beat_thread.join();
  } else {
    g.beat_thread.detach();
  }
}

// On the store-hosting rank: waits (bounded) until every other rank not known lost has stopped
// its heartbeat, closing the backend first so that the others' collectives fail now.
void await_byes(Group& g) {
  std::vector<std::string> keys;
  std::chrono::milliseconds bound = kByeWait;
  {
    std::lock_guard<std::mutex> lock(g.lost_mutex);
    if (g.linger_ms >= 0) bound = std::chrono::milliseconds(g.linger_ms);
    for (int r = 0; r < g.world; ++r) {
      if (r != g.rank && std::find(g.lost.begin(), g.lost.end(), r) == g.lost.end()) {
        keys.push_back(bye_key(r));
      }
    }
  }
  if (keys.empty() || bound.count() <= 0) return;
  g.backend.reset();
  // Polled with check (store->wait logs a warning when it times out).
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!g.store->check(keys) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// One reading of every rank's heartbeat and failure counters, made on its own thread through
// a fresh client so that an unresponsive store costs at most `budget`.
struct Reading {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::string error;
  std::vector<int64_t> beats;
  std::vector<int64_t> failed;
};

void read_counters(const std::shared_ptr<Reading>& out, const StoreAddr& addr, int rank,
                   int world, bool mark_failed, std::chrono::milliseconds budget) {
  std::vector<int64_t> beats(world, 0);
  std::vector<int64_t> failed(world, 0);
  std::string error;
  try {
    auto store = client_store(addr, budget);
    if (mark_failed) store->add(failed_key(rank), 1);
    for (int r = 0; r < world; ++r) {
      beats[r] = store->add(beat_key(r), 0);
      failed[r] = store->add(failed_key(r), 0);
    }
  } catch (const c10::Error& e) {
    error = e.what_without_backtrace();
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown C++ exception";
  }
  std::lock_guard<std::mutex> lock(out->m);
  out->beats = std::move(beats);
  out->failed = std::move(failed);
  out->error = std::move(error);
  out->done = true;
  out->cv.notify_all();
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

// ---- The data-parallel step's gradient all-reduce, overlapped with backward ----------------
//
// libtorch's own DDP engine, c10d::Reducer (what torch.nn.parallel.DistributedDataParallel
// drives from Python), driven from here: it registers a hook on every parameter's gradient
// accumulator, copies each gradient into its bucket as backward produces it, and starts the
// bucket's all-reduce as soon as the bucket is full, while backward goes on; the autograd
// engine's final callback waits for the buckets and copies the averaged gradients back.
//
// The all-reduce itself is our comm hook (StepHook), DDP's default hook (divide by the world
// size, then sum) plus one thing: the last bucket carries the step's own vector (loss parts,
// non-finite flag, control flags), appended to the bucket's buffer, so that the step needs no
// collective of its own. Buckets are never rebuilt (the Reducer's rebuild would reorder them
// by readiness and broadcast the new order, a collective of its own): the layout stays the
// one given at construction, the parameters in the optimizer's order.
struct StepHook final : c10d::CommHookInterface {
  explicit StepHook(Group* g) : group(g) {}

  c10::intrusive_ptr<c10::ivalue::Future> runHook(c10d::GradBucket& bucket) override {
    at::NoGradGuard no_grad;
    const at::Tensor& buf = bucket.getBufferRef();
    const int64_t n = buf.numel();
    at::Tensor vals = bucket.isLast() ? values : at::Tensor();
    at::Tensor flat = buf.div(group->world);
    if (vals.defined()) flat = at::cat({flat, vals.reshape({-1}).to(buf.options())});
    std::vector<at::Tensor> ts{flat};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp::SUM;
    c10::intrusive_ptr<c10d::Work> work;
    {
      std::lock_guard<std::mutex> lock(group->mutex);
      work = group->backend->allreduce(ts, opts);
    }
    started.fetch_add(1);
    return work->getFuture()->then(
        [flat, n, vals](c10::ivalue::Future& f) -> c10::IValue {
          (void)f.value();  // rethrows the collective's error
          if (vals.defined()) {
            at::NoGradGuard g;
            vals.copy_(flat.narrow(0, n, vals.numel()).view_as(vals));
          }
          return c10::IValue(flat.narrow(0, 0, n));
        },
        c10::TensorType::get());
  }

  at::Tensor parseHookResult(const c10::IValue& result) override { return result.toTensor(); }

  Group* group;
  // The step's vector: summed over the ranks, in place, by the last bucket's all-reduce.
  at::Tensor values;
  std::atomic<int64_t> started{0};
};

struct StepReducer {
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::unique_ptr<c10d::Reducer> reducer;
  StepHook* hook = nullptr;  // owned by `reducer`
  int64_t buckets = 0;
};

c10::intrusive_ptr<c10d::ProcessGroup> process_group_of(Group& g) {
  auto pg = c10::make_intrusive<c10d::ProcessGroup>(g.store, g.rank, g.world);
  const auto type = g.backend_kind == kNccl ? c10d::ProcessGroup::BackendType::NCCL
                                            : c10d::ProcessGroup::BackendType::GLOO;
  const auto device = g.backend_kind == kNccl ? c10::DeviceType::CUDA : c10::DeviceType::CPU;
  pg->setBackend(device, type, g.backend);
  pg->setDefaultBackend(type);
  return pg;
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
    g->addr = StoreAddr{std::string(host), port, std::string(prefix)};
    g->hosts_store = agent_store == 0 && rank == 0;
    g->store = make_store(g->addr, rank, world, agent_store != 0, timeout);
    g->store->setTimeout(timeout);
    g->backend = make_backend(backend, g->store, rank, world, timeout);
    start_beat(*g);
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

// Reads every rank's heartbeat (`beats`) and failure (`failed`) counter, `n` = world size
// each, through a fresh store client, within `budget_ms`. With `mark_failed`, first records
// that this rank saw a collective fail (so the others do not count it as lost). 0 or -1 and
// `err`.
int ecg_dist_probe(void* group, int mark_failed, int64_t budget_ms, int64_t* beats,
                   int64_t* failed, size_t n, char** err) {
  return guarded(err, [&] {
    auto& g = *static_cast<Group*>(group);
    if (n != static_cast<size_t>(g.world)) throw std::runtime_error("probe: n != world size");
    const std::chrono::milliseconds budget(budget_ms);
    auto reading = std::make_shared<Reading>();
    std::thread(read_counters, reading, g.addr, g.rank, g.world, mark_failed != 0, budget)
        .detach();
    std::unique_lock<std::mutex> lock(reading->m);
    if (!reading->cv.wait_for(lock, budget, [&] { return reading->done; })) {
      throw std::runtime_error("no answer within " + std::to_string(budget_ms) + " ms");
    }
    if (!reading->error.empty()) throw std::runtime_error(reading->error);
    std::copy(reading->beats.begin(), reading->beats.end(), beats);
    std::copy(reading->failed.begin(), reading->failed.end(), failed);
  });
}

// After this rank reported a lost peer: when destroyed, a store-hosting rank keeps the store
// up until the other survivors (not the `n_lost` ranks in `lost`) are done, `linger_ms` at
// most, so that they can still read the heartbeats.
void ecg_dist_note_lost(void* group, int64_t linger_ms, const int* lost, size_t n_lost) {
  guarded(nullptr, [&] {
    auto& g = *static_cast<Group*>(group);
    std::lock_guard<std::mutex> lock(g.lost_mutex);
    g.linger_ms = linger_ms;
    g.lost.assign(lost, lost + n_lost);
  });
}

// Stops the heartbeat, shuts the backend down and frees the group (and, on the hosting rank,
// the store, once the other ranks have stopped their heartbeats or a bounded wait ran out).
int ecg_dist_destroy(void* group, char** err) {
  auto* g = static_cast<Group*>(group);
  guarded(nullptr, [&] { stop_beat(*g); });
  const int rc = guarded(err, [&] {
    if (g->backend) g->backend->shutdown();
  });
  if (g->hosts_store) guarded(nullptr, [&] { await_byes(*g); });
  guarded(nullptr, [&] { delete g; });
  return rc;
}

// A Reducer over the `n` parameters (their order is the buckets' order), with buckets of
// about `bucket_bytes` (one bucket when every gradient fits). NULL and `err` on failure.
void* ecg_dist_reducer_new(void* group, void** params, size_t n, int64_t bucket_bytes,
                           char** err) {
  StepReducer* out = nullptr;
  guarded(err, [&] {
    auto& g = *static_cast<Group*>(group);
    std::vector<at::Tensor> ps;
    for (size_t i = 0; i < n; ++i) ps.push_back(tensor_at(params[i]));
    if (ps.empty()) throw std::runtime_error("a reducer needs at least one parameter");
    auto r = std::make_unique<StepReducer>();
    r->pg = process_group_of(g);
    auto [buckets, limits] = c10d::compute_bucket_assignment_by_size(
        ps, {static_cast<size_t>(bucket_bytes)}, std::vector<bool>(ps.size(), false));
    // As DDP does: gradients come in roughly the reverse of the parameters' order, and the
    // Reducer reduces its buckets in index order.
    std::reverse(buckets.begin(), buckets.end());
    std::vector<int64_t> caps(limits.rbegin(), limits.rend());
    r->buckets = static_cast<int64_t>(buckets.size());
    std::unordered_map<size_t, std::string> names;
    r->reducer = std::make_unique<c10d::Reducer>(
        ps, buckets, r->pg, std::vector<bool>(ps.size(), false), bucket_bytes,
        /*find_unused_parameters=*/false, /*gradient_as_bucket_view=*/false, names,
        /*first_bucket_bytes_cap=*/bucket_bytes, /*skip_all_reduce_unused_params=*/false,
        /*use_python_reducer=*/false, caps);
    auto hook = std::make_unique<StepHook>(&g);
    r->hook = hook.get();
    r->reducer->register_comm_hook(std::move(hook));
    out = r.release();
  });
  return out;
}

// Number of buckets (= all-reduces per step).
int64_t ecg_dist_reducer_buckets(void* reducer) {
  return static_cast<StepReducer*>(reducer)->buckets;
}

// Before the step's backward: the next backward's gradients are reduced as they come, and
// `values` (may be NULL) is summed over the ranks with the last bucket.
int ecg_dist_reducer_prepare(void* reducer, void* values, char** err) {
  return guarded(err, [&] {
    auto* r = static_cast<StepReducer*>(reducer);
    r->hook->values = values != nullptr ? tensor_at(values) : at::Tensor();
    r->reducer->prepare_for_backward({});
  });
}

int64_t ecg_dist_reducer_started(void* reducer) {
  return static_cast<StepReducer*>(reducer)->hook->started.load();
}

void ecg_dist_reducer_free(void* reducer) {
  guarded(nullptr, [&] { delete static_cast<StepReducer*>(reducer); });
}

// For each of the `n` parameters, the order in which backward of `loss` will make its
// gradient ready: the sequence number of the last autograd node feeding it (the smallest
// one: the engine runs nodes in decreasing sequence number, and a parameter's gradient is
// accumulated once its last consumer has run), or -1 when `loss` does not depend on it.
// Sorted ascending, the parameters are in the order the forward pass used them.
int ecg_dist_grad_ready_keys(void* loss, void** params, size_t n, int64_t* keys, char** err) {
  return guarded(err, [&] {
    std::unordered_map<const c10::TensorImpl*, size_t> index;
    for (size_t i = 0; i < n; ++i) {
      index[tensor_at(params[i]).unsafeGetTensorImpl()] = i;
      keys[i] = -1;
    }
    auto root = tensor_at(loss).grad_fn();
    if (!root) return;
    std::vector<torch::autograd::Node*> stack{root.get()};
    std::unordered_set<torch::autograd::Node*> seen{root.get()};
    while (!stack.empty()) {
      auto* node = stack.back();
      stack.pop_back();
      const auto k = static_cast<int64_t>(node->sequence_nr());
      for (const auto& e : node->next_edges()) {
        auto* f = e.function.get();
        if (f == nullptr) continue;
        if (auto* acc = dynamic_cast<torch::autograd::AccumulateGrad*>(f)) {
          auto it = index.find(acc->variable.unsafeGetTensorImpl());
          if (it != index.end() && (keys[it->second] < 0 || k < keys[it->second])) {
            keys[it->second] = k;
          }
        } else if (seen.insert(f).second) {
          stack.push_back(f);
        }
      }
    }
  });
}

}  // extern "C"
