// ProcessGroupGloo from the LibTorch we link. Its header needs USE_C10D_GLOO and Gloo's own
// headers, which the torch wheel does not ship; Debian's libgloo-dev provides them (headers only:
// every symbol used here is LibTorch's, README "Data-parallel training" says why that is safe).
#include <cstdlib>
#include <stdexcept>

#include "c10d_backends.h"

#ifdef ERWIN_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif

namespace erwin::c10d_backends {

#ifdef ERWIN_HAVE_GLOO

namespace {

bool is_loopback(const std::string& address) {
  return address == "localhost" || address.rfind("127.", 0) == 0 || address == "::1";
}

}  // namespace

bool gloo_available() { return true; }

c10::intrusive_ptr<c10d::Backend> make_gloo(const c10::intrusive_ptr<c10d::Store>& store, int rank,
                                            int size, std::chrono::milliseconds timeout,
                                            const std::string& master_addr) {
  using c10d::ProcessGroupGloo;
  auto options = ProcessGroupGloo::Options::create(timeout);
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface && *interface)
    options->devices.push_back(ProcessGroupGloo::createDeviceForInterface(interface));
  else if (is_loopback(master_addr))
    options->devices.push_back(ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
  else
    options->devices.push_back(ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<ProcessGroupGloo>(store, rank, size, options);
}

#else

bool gloo_available() { return false; }

c10::intrusive_ptr<c10d::Backend> make_gloo(const c10::intrusive_ptr<c10d::Store>&, int, int,
                                            std::chrono::milliseconds, const std::string&) {
  throw std::runtime_error(
      "this build has no Gloo back end (Gloo's headers were missing when it was configured): "
      "install libgloo-dev (scripts/setup-deps.sh) and rebuild");
}

#endif

}  // namespace erwin::c10d_backends
