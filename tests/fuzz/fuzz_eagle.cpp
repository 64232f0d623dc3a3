// An EAGLE simulation folder (erwin::datasets::load_eagle_simulation): input = sim.npz, the part
// separator, triangles.npy.
#include "erwin/datasets/eagle.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = erwin::fuzz::split_parts(data, size, 2);
  erwin::fuzz::write_scratch("eagle/sim.npz", parts[0]);
  erwin::fuzz::write_scratch("eagle/triangles.npy", parts[1]);
  erwin::fuzz::expect_clean([&] {
    erwin::datasets::load_eagle_simulation((erwin::fuzz::scratch_dir() / "eagle").string());
  });
  return 0;
}
