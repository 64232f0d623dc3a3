#pragma once
// The c10d back ends that data_parallel.cpp builds its group on. Each is compiled in its own
// file with the macro its c10d header needs (USE_C10D_GLOO, USE_C10D_NCCL: core/CMakeLists.txt)
// and, in builds without that back end's headers, throws std::runtime_error saying so.
#include <chrono>
#include <string>
#include <torch/csrc/distributed/c10d/Backend.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

namespace erwin::c10d_backends {

bool gloo_available();
bool nccl_available();

// ProcessGroupGloo over `store`. Its TCP device binds to the interface named by
// GLOO_SOCKET_IFNAME when set, to 127.0.0.1 when `master_addr` is a loopback address, and
// otherwise to the address this host's name resolves to (c10d's default device).
c10::intrusive_ptr<c10d::Backend> make_gloo(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                            int size, std::chrono::milliseconds timeout,
                                            const std::string& master_addr);

// ProcessGroupNCCL over `store` on the current CUDA device.
c10::intrusive_ptr<c10d::Backend> make_nccl(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                            int size, std::chrono::milliseconds timeout);

}  // namespace erwin::c10d_backends
