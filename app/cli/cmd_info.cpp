// `erwin info`: what this build is and what it can run on.
#include <torch/torch.h>
#include <torch/version.h>

#include <iostream>

#include "args.h"
#include "commands.h"
#include "erwin/version.h"

#if __has_include(<ATen/cuda/CUDAContext.h>) && __has_include(<cuda_runtime_api.h>)
#include <ATen/cuda/CUDAContext.h>
#define ERWIN_CLI_DEVICE_NAMES 1
#endif

namespace erwin::cli {

int run_info(const Arguments& args) {
  ArgParser parser("info",
                   "Prints the versions of Erwin Studio and LibTorch, the CUDA devices "
                   "and the number of CPU threads.");
  if (!parser.parse(args)) return 0;

  std::cout << "Erwin Studio " << ERWIN_STUDIO_VERSION << "\n"
            << "LibTorch " << TORCH_VERSION_MAJOR << "." << TORCH_VERSION_MINOR << "."
            << TORCH_VERSION_PATCH << "\n"
            << "CPU threads: " << at::get_num_threads() << " intra-op, "
            << at::get_num_interop_threads() << " inter-op\n";
  const bool cuda = torch::cuda::is_available();
  std::cout << "CUDA available: " << (cuda ? "yes" : "no") << "\n";
  if (!cuda) return 0;
  const auto count = torch::cuda::device_count();
  std::cout << "CUDA devices: " << count << "\n";
#ifdef ERWIN_CLI_DEVICE_NAMES
  for (int i = 0; i < static_cast<int>(count); ++i) {
    const auto* properties = at::cuda::getDeviceProperties(static_cast<c10::DeviceIndex>(i));
    std::cout << "  cuda:" << i << " " << properties->name << ", "
              << properties->totalGlobalMem / (1024 * 1024) << " MiB, compute capability "
              << properties->major << "." << properties->minor << "\n";
  }
#endif
  return 0;
}

}  // namespace erwin::cli
