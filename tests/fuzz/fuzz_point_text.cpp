// Text point clouds (erwin::load_point_file): the same bytes as .xyz (whitespace) and .csv.
#include "erwin/point_io.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes = erwin::fuzz::as_string(data, size);
  for (const char* name : {"input.xyz", "input.csv"}) {
    const std::string path = erwin::fuzz::write_scratch(name, bytes);
    erwin::fuzz::expect_clean([&] { erwin::load_point_file(path); });
  }
  return 0;
}
