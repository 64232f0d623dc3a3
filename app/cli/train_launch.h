#pragma once
// How `erwin train` runs as several processes (README "Data-parallel training"): as one rank of a
// torchrun-style launch (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), or as the
// launcher of N local ranks (`--nproc N`).
#include <chrono>
#include <functional>
#include <memory>

#include "commands.h"
#include "erwin/training/data_parallel.h"
#include "erwin/training/run_config.h"

namespace erwin::cli {

// In a process whose environment says it is one rank of several (WORLD_SIZE > 1): join_run
// (data_parallel.h) with that launch. Otherwise runs `prepare` and returns null.
std::shared_ptr<DataParallel> join_launched_run(RunConfig& config,
                                                const std::function<void(RunConfig&)>& prepare,
                                                std::chrono::milliseconds timeout);

// Starts `nproc` copies of `erwin train` with `args` less --nproc as ranks 0..nproc-1 of a run
// over 127.0.0.1 (port: MASTER_PORT when set, else a free one), each with OMP_NUM_THREADS =
// cores / nproc unless OMP_NUM_THREADS is set, and waits for them. SIGINT and SIGTERM are passed
// on. When a rank fails, the others get SIGTERM and, after `grace`, SIGKILL. Returns the first
// failing rank's exit code (128 + signal number for a signal), else 0.
int launch_local_ranks(const Arguments& args, int nproc, std::chrono::seconds grace);

}  // namespace erwin::cli
