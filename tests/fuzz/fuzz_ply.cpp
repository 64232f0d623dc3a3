// PLY point clouds and meshes (erwin::load_point_file on a .ply: ascii and both binary forms).
#include "erwin/point_io.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      erwin::fuzz::write_scratch("input.ply", erwin::fuzz::as_string(data, size));
  erwin::fuzz::expect_clean([&] { erwin::load_point_file(path); });
  return 0;
}
