#pragma once
// Data-parallel training on PyTorch's distributed engine (c10d, the engine under
// DistributedDataParallel): a TCPStore for the rendezvous, ProcessGroupGloo on the CPU and
// ProcessGroupNCCL on CUDA. Processes are launched the way torchrun launches them (RANK,
// WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT); the c10d types stay inside the .cpp.
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "erwin/training/run_config.h"

namespace erwin {

// How long a rendezvous, or any collective, may wait for the other processes before this one
// stops with an error naming the wait (a dead or stuck rank, a rank that never started).
constexpr std::chrono::seconds kDefaultDistributedTimeout{120};

// Where this process stands in a torchrun-style launch.
struct DistributedLaunch {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;

  // From RANK, WORLD_SIZE, LOCAL_RANK (default RANK), MASTER_ADDR (default 127.0.0.1) and
  // MASTER_PORT (default 29500); std::nullopt when WORLD_SIZE is unset. std::invalid_argument
  // naming the variable when a value is not a number or out of range.
  static std::optional<DistributedLaunch> from_environment();
};

// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice), for a local group's
// MASTER_PORT. std::runtime_error when none can be had.
int free_loopback_port();

// True when this build can form a group on `device` (Gloo for "cpu"; NCCL for CUDA devices, only
// in builds with NCCL headers).
bool distributed_backend_available(const torch::Device& device);

// One rank of a data-parallel group. Every rank must call the same collectives in the same order
// (as in c10d); each one fails with std::runtime_error, naming the operation and this rank, when
// the others do not take part within the timeout or a peer's connection breaks.
class DataParallel {
 public:
  // Joins the group: rank 0 serves a TCPStore at master_addr:master_port, every rank connects
  // to it, then the back end for `device` (Gloo on the CPU, NCCL on CUDA) connects the ranks.
  // std::runtime_error naming the address and the timeout when not all world_size ranks arrive
  // within `timeout`.
  DataParallel(const DistributedLaunch& launch, const torch::Device& device,
               std::chrono::milliseconds timeout = kDefaultDistributedTimeout);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const;
  int world_size() const;
  bool is_main() const { return rank() == 0; }
  std::chrono::milliseconds timeout() const;

  // Rank 0's `text` on every rank (through the store), e.g. the prepared run configuration.
  std::string share_text(const std::string& key, const std::string& text);

  // Copies rank 0's parameters and buffers into every rank's `module` (in buckets).
  void broadcast_state(torch::nn::Module& module);
  // Copies rank 0's buffers (BatchNorm running statistics) to every rank, as DDP does before
  // each forward pass (broadcast_buffers=True).
  void broadcast_buffers(torch::nn::Module& module);

  // Every defined gradient of `module` becomes the sum over ranks of weight_r x gradient_r,
  // reduced in buckets of about kGradientBucketBytes (weight_r = this rank's share of the
  // global batch, so the result is the gradient of the whole batch's mean loss). Parameters
  // without a gradient keep none (the same parameters on every rank, as in one process).
  void reduce_gradients(torch::nn::Module& module, double weight);
  static constexpr int64_t kGradientBucketBytes = 25 << 20;  // DDP's bucket_cap_mb

  std::vector<double> sum(const std::vector<double>& values);  // element-wise over ranks
  int64_t broadcast_value(int64_t value);                      // rank 0's value
  bool any(bool flag);                                         // true when any rank's is
  void barrier();

  // The largest |w - w_rank0| over `module`'s parameters and all ranks (0 when all replicas
  // hold identical weights).
  double max_parameter_difference(torch::nn::Module& module);

 private:
  struct Group;
  std::unique_ptr<Group> group_;
};

// Joins `launch`'s group for the run `config` (a CUDA device becomes cuda:LOCAL_RANK), lets
// rank 0 `prepare` the configuration (run_preparation.h) and gives every rank rank 0's, so that
// all ranks train exactly one configuration.
std::shared_ptr<DataParallel> join_run(const DistributedLaunch& launch, RunConfig& config,
                                       const std::function<void(RunConfig&)>& prepare,
                                       std::chrono::milliseconds timeout);

}  // namespace erwin
