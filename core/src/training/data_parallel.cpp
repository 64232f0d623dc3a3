#include "erwin/training/data_parallel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "c10d_backends.h"

namespace erwin {
namespace {

// The value of environment variable `name`, an integer in [low, high]; `fallback` when unset.
int integer_from_environment(const char* name, int fallback, int low, int high) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  const std::string value(text);
  int result = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (error != std::errc() || end != value.data() + value.size() || result < low || result > high)
    throw std::invalid_argument(std::string("environment variable ") + name + "='" + value +
                                "' is not an integer in [" + std::to_string(low) + ", " +
                                std::to_string(high) + "]");
  return result;
}

// The first line of a c10d error (the rest is a C++ stack trace).
std::string first_line(const std::exception& error) {
  const std::string text = error.what();
  return text.substr(0, text.find('\n'));
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) + " s";
}

}  // namespace

std::optional<DistributedLaunch> DistributedLaunch::from_environment() {
  if (!std::getenv("WORLD_SIZE")) return std::nullopt;
  constexpr int kMaxInt = std::numeric_limits<int>::max();
  DistributedLaunch launch;
  launch.world_size = integer_from_environment("WORLD_SIZE", 1, 1, kMaxInt);
  launch.rank = integer_from_environment("RANK", 0, 0, launch.world_size - 1);
  launch.local_rank = integer_from_environment("LOCAL_RANK", launch.rank, 0, kMaxInt);
  launch.master_port = integer_from_environment("MASTER_PORT", launch.master_port, 1, 65535);
  if (const char* addr = std::getenv("MASTER_ADDR"); addr && *addr) launch.master_addr = addr;
  return launch;
}

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  const int error = errno;
  close(fd);
  if (!ok)
    throw std::runtime_error(std::string("no free port on 127.0.0.1: ") + std::strerror(error));
  return ntohs(address.sin_port);
}

bool distributed_backend_available(const torch::Device& device) {
  return device.is_cuda() ? c10d_backends::nccl_available() : c10d_backends::gloo_available();
}

struct DataParallel::Group {
  int rank = 0;
  int size = 1;
  torch::Device device{torch::kCPU};
  std::chrono::milliseconds timeout{};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;

  std::string who() const { return "rank " + std::to_string(rank) + " of " + std::to_string(size); }

  // Waits for `work`; a failure (a peer gone, or the timeout) names `what` and this rank.
  void finish(const std::string& what, const c10::intrusive_ptr<c10d::Work>& work) const {
    try {
      work->wait();
    } catch (const std::exception& error) {
      throw std::runtime_error(who() + ": " + what +
                               " failed (another rank stopped, or did not take part within " +
                               seconds_text(timeout) + "): " + first_line(error));
    }
  }

  void allreduce(const std::string& what, torch::Tensor& tensor, c10d::ReduceOp op) const {
    std::vector<torch::Tensor> tensors{tensor};
    c10d::AllreduceOptions options;
    options.reduceOp = op;
    finish(what, backend->allreduce(tensors, options));
  }

  void broadcast(const std::string& what, torch::Tensor& tensor) const {
    std::vector<torch::Tensor> tensors{tensor};
    finish(what, backend->broadcast(tensors));
  }
};

namespace {

// Runs `collective` on buckets of `tensors` (consecutive tensors of one dtype, up to `bytes`
// each, flattened into one), then copies each bucket's result back into its tensors.
void in_buckets(const std::vector<torch::Tensor>& tensors, int64_t bytes,
                const std::function<void(torch::Tensor&)>& collective) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> bucket;
  int64_t bucket_bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> parts;
    for (const torch::Tensor& t : bucket) parts.push_back(t.reshape(-1));
    torch::Tensor flat = torch::cat(parts);
    collective(flat);
    int64_t offset = 0;
    for (torch::Tensor& t : bucket) {
      t.copy_(flat.narrow(0, offset, t.numel()).view_as(t));
      offset += t.numel();
    }
    bucket.clear();
    bucket_bytes = 0;
  };
  for (const torch::Tensor& t : tensors) {
    const auto size = static_cast<int64_t>(t.nbytes());
    if (!bucket.empty() && (t.dtype() != bucket.front().dtype() || bucket_bytes + size > bytes))
      flush();
    bucket.push_back(t);
    bucket_bytes += size;
  }
  flush();
}

}  // namespace

DataParallel::DataParallel(const DistributedLaunch& launch, const torch::Device& device,
                           std::chrono::milliseconds timeout)
    : group_(std::make_unique<Group>()) {
  if (launch.world_size < 1 || launch.rank < 0 || launch.rank >= launch.world_size)
    throw std::invalid_argument("DataParallel: rank " + std::to_string(launch.rank) +
                                " is outside a group of " + std::to_string(launch.world_size));
  Group& g = *group_;
  g.rank = launch.rank;
  g.size = launch.world_size;
  g.device = device;
  g.timeout = timeout;
  const std::string address = launch.master_addr + ":" + std::to_string(launch.master_port);
  try {
    c10d::TCPStoreOptions options;
    options.port = static_cast<std::uint16_t>(launch.master_port);
    options.isServer = launch.rank == 0;
    options.numWorkers = static_cast<std::size_t>(launch.world_size);
    options.waitWorkers = true;
    options.timeout = timeout;
    g.store = c10::make_intrusive<c10d::TCPStore>(launch.master_addr, options);
    g.backend = device.is_cuda() ? c10d_backends::make_nccl(g.store, g.rank, g.size, timeout)
                                 : c10d_backends::make_gloo(g.store, g.rank, g.size, timeout,
                                                            launch.master_addr);
  } catch (const std::exception& error) {
    throw std::runtime_error(g.who() + ": the rendezvous at " + address +
                             " did not complete (all " + std::to_string(g.size) +
                             " ranks must arrive within " + seconds_text(timeout) +
                             "): " + first_line(error));
  }
}

DataParallel::~DataParallel() = default;

int DataParallel::rank() const { return group_->rank; }
int DataParallel::world_size() const { return group_->size; }
std::chrono::milliseconds DataParallel::timeout() const { return group_->timeout; }

std::string DataParallel::share_text(const std::string& key, const std::string& text) {
  const std::string store_key = "erwin/" + key;
  try {
    if (is_main()) {
      group_->store->set(store_key, text);
      return text;
    }
    const std::vector<uint8_t> bytes = group_->store->get(store_key);
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception& error) {
    throw std::runtime_error(group_->who() + ": sharing " + key +
                             " from rank 0 failed: " + first_line(error));
  }
}

void DataParallel::broadcast_state(torch::nn::Module& module) {
  std::vector<torch::Tensor> tensors = module.parameters();
  for (const torch::Tensor& b : module.buffers()) tensors.push_back(b);
  in_buckets(tensors, kGradientBucketBytes, [&](torch::Tensor& flat) {
    group_->broadcast("broadcasting rank 0's weights", flat);
  });
}

void DataParallel::broadcast_buffers(torch::nn::Module& module) {
  in_buckets(module.buffers(), kGradientBucketBytes, [&](torch::Tensor& flat) {
    group_->broadcast("broadcasting rank 0's buffers", flat);
  });
}

void DataParallel::reduce_gradients(torch::nn::Module& module, double weight) {
  std::vector<torch::Tensor> gradients;
  for (torch::Tensor& p : module.parameters())
    if (p.grad().defined()) gradients.push_back(p.mutable_grad());
  in_buckets(gradients, kGradientBucketBytes, [&](torch::Tensor& flat) {
    flat.mul_(weight);
    group_->allreduce("all-reduce of the gradients", flat, c10d::ReduceOp::SUM);
  });
}

std::vector<double> DataParallel::sum(const std::vector<double>& values) {
  torch::Tensor t = torch::tensor(values, torch::kFloat64).to(group_->device);
  group_->allreduce("all-reduce of metrics", t, c10d::ReduceOp::SUM);
  t = t.cpu();
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

int64_t DataParallel::broadcast_value(int64_t value) {
  torch::Tensor t = torch::tensor({value}, torch::kInt64).to(group_->device);
  group_->broadcast("broadcast of a value from rank 0", t);
  return t.cpu().item<int64_t>();
}

bool DataParallel::any(bool flag) {
  torch::Tensor t = torch::tensor({flag ? 1.0 : 0.0}, torch::kFloat64).to(group_->device);
  group_->allreduce("agreeing on stopping", t, c10d::ReduceOp::MAX);
  return t.cpu().item<double>() > 0;
}

void DataParallel::barrier() {
  c10d::BarrierOptions options;
  if (group_->device.is_cuda()) options.device_ids = {group_->device.index()};
  group_->finish("barrier", group_->backend->barrier(options));
}

double DataParallel::max_parameter_difference(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor& p : module.parameters()) parts.push_back(p.reshape(-1));
  const torch::Tensor mine = torch::cat(parts);
  torch::Tensor reference = mine.clone();
  group_->broadcast("broadcasting rank 0's weights for comparison", reference);
  torch::Tensor difference = (mine - reference).abs().max().to(torch::kFloat64).reshape({1});
  group_->allreduce("comparing the replicas' weights", difference, c10d::ReduceOp::MAX);
  return difference.cpu().item<double>();
}

std::shared_ptr<DataParallel> join_run(const DistributedLaunch& launch, RunConfig& config,
                                       const std::function<void(RunConfig&)>& prepare,
                                       std::chrono::milliseconds timeout) {
  const bool cuda = torch::Device(config.device).is_cuda();
  const std::string device = cuda ? "cuda:" + std::to_string(launch.local_rank) : config.device;
  auto group = std::make_shared<DataParallel>(launch, torch::Device(device), timeout);
  if (group->is_main()) prepare(config);
  config = RunConfig::from_json(group->share_text("run-config", config.to_json()));
  config.device = device;
  return group;
}

}  // namespace erwin
