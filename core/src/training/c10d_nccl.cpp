// ProcessGroupNCCL from the LibTorch we link, for data-parallel training on CUDA devices. Built
// with USE_C10D_NCCL where CUDA and NCCL's headers are found (core/CMakeLists.txt).
// UNTESTED: no GPU was available when it was written; the CPU path (Gloo) is the tested one.
#include <stdexcept>

#include "c10d_backends.h"

#ifdef ERWIN_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace erwin::c10d_backends {

#ifdef ERWIN_HAVE_NCCL

bool nccl_available() { return true; }

c10::intrusive_ptr<c10d::Backend> make_nccl(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                            int size, std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}

#else

bool nccl_available() { return false; }

c10::intrusive_ptr<c10d::Backend> make_nccl(const c10::intrusive_ptr<c10d::Store>&, int, int,
                                            std::chrono::milliseconds) {
  throw std::runtime_error(
      "this build has no NCCL back end (it was configured without CUDA or NCCL headers): "
      "data-parallel training on CUDA devices needs a CUDA build");
}

#endif

}  // namespace erwin::c10d_backends
