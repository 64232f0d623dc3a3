#include "train_launch.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace erwin::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> pending_signal{0};

void remember_signal(int signal) { pending_signal = signal; }

// MASTER_PORT when set (checked), else a free port.
int port_from_environment() {
  const char* text = std::getenv("MASTER_PORT");
  if (!text || !*text) return free_loopback_port();
  char* end = nullptr;
  const long port = std::strtol(text, &end, 10);
  if (*end != '\0' || port < 1 || port > 65535)
    throw std::invalid_argument(std::string("environment variable MASTER_PORT='") + text +
                                "' is not a port number");
  return static_cast<int>(port);
}

Arguments without_nproc(const Arguments& args) {
  Arguments rest;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;  // and its value
      continue;
    }
    if (args[i].rfind("--nproc=", 0) == 0) continue;
    rest.push_back(args[i]);
  }
  return rest;
}

bool starts_with_any(const std::string& entry, const std::vector<std::string>& prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](const std::string& p) { return entry.rfind(p, 0) == 0; });
}

// This process's environment with rank `rank`'s torchrun variables.
std::vector<std::string> rank_environment(int rank, int nproc, int port, int threads) {
  const std::vector<std::string> replaced{
      "RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "MASTER_ADDR=", "MASTER_PORT=", "LOCAL_WORLD_SIZE="};
  std::vector<std::string> env;
  for (char** entry = environ; *entry; ++entry)
    if (!starts_with_any(*entry, replaced)) env.emplace_back(*entry);
  env.push_back("RANK=" + std::to_string(rank));
  env.push_back("LOCAL_RANK=" + std::to_string(rank));
  env.push_back("WORLD_SIZE=" + std::to_string(nproc));
  env.push_back("LOCAL_WORLD_SIZE=" + std::to_string(nproc));
  env.push_back("MASTER_ADDR=127.0.0.1");
  env.push_back("MASTER_PORT=" + std::to_string(port));
  if (!std::getenv("OMP_NUM_THREADS")) env.push_back("OMP_NUM_THREADS=" + std::to_string(threads));
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs this executable (`erwin`) with `argv` and `env` in a child process.
pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env) {
  std::vector<char*> args = c_strings(argv);
  std::vector<char*> vars = c_strings(env);
  const pid_t pid = fork();
  if (pid == 0) {
    execve("/proc/self/exe", args.data(), vars.data());
    _exit(127);
  }
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  return pid;
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  return "was ended by signal " + std::to_string(WTERMSIG(status)) + " (" +
         strsignal(WTERMSIG(status)) + ")";
}

void signal_all(const std::map<pid_t, int>& running, int signal) {
  for (const auto& [pid, rank] : running) kill(pid, signal);
}

}  // namespace

std::shared_ptr<DataParallel> join_launched_run(RunConfig& config,
                                                const std::function<void(RunConfig&)>& prepare,
                                                std::chrono::milliseconds timeout) {
  const std::optional<DistributedLaunch> launch = DistributedLaunch::from_environment();
  if (!launch || launch->world_size == 1) {
    prepare(config);
    return nullptr;
  }
  return erwin::join_run(*launch, config, prepare, timeout);
}

int launch_local_ranks(const Arguments& args, int nproc, std::chrono::seconds grace) {
  const int port = port_from_environment();
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = std::max(1, cores / nproc);
  std::vector<std::string> argv{"erwin", "train"};
  for (const std::string& a : without_nproc(args)) argv.push_back(a);

  std::map<pid_t, int> running;  // pid -> rank
  for (int rank = 0; rank < nproc; ++rank)
    running[spawn(argv, rank_environment(rank, nproc, port, threads))] = rank;
  std::printf("started %d ranks on 127.0.0.1:%d (%s threads each)\n", nproc, port,
              std::getenv("OMP_NUM_THREADS") ? std::getenv("OMP_NUM_THREADS")
                                             : std::to_string(threads).c_str());
  std::fflush(stdout);

  auto* previous_int = std::signal(SIGINT, remember_signal);
  auto* previous_term = std::signal(SIGTERM, remember_signal);
  int result = 0;
  Clock::time_point kill_at = Clock::time_point::max();  // max: no kill pending
  while (!running.empty()) {
    if (const int signal = pending_signal.exchange(0)) signal_all(running, signal);
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0 && running.count(pid)) {
      const int rank = running[pid];
      running.erase(pid);
      const int code = exit_code_of(status);
      if (code != 0 && result == 0) {
        result = code;
        // 130: the rank stopped on request (Ctrl-C) and saved; the others stop at the same step.
        if (code != 130 && !running.empty()) {
          std::fprintf(stderr,
                       "erwin train: rank %d %s; stopping the other ranks (killed after %lld s)\n",
                       rank, describe_exit(status).c_str(), static_cast<long long>(grace.count()));
          signal_all(running, SIGTERM);
        }
        kill_at = Clock::now() + grace;
      }
      continue;
    }
    if (Clock::now() > kill_at) {
      signal_all(running, SIGKILL);
      kill_at = Clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  return result;
}

}  // namespace erwin::cli
