// .npy images (erwin::parse_npy, in memory).
#include "erwin/npy.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  erwin::fuzz::expect_clean(
      [&] { erwin::parse_npy(erwin::fuzz::as_string(data, size), "fuzz.npy"); });
  return 0;
}
