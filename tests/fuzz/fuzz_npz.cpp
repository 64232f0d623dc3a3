// .npz archives (erwin::NpzArchive: zip records, deflate, each member's .npy).
#include "erwin/npy.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      erwin::fuzz::write_scratch("input.npz", erwin::fuzz::as_string(data, size));
  erwin::fuzz::expect_clean([&] {
    const erwin::NpzArchive archive = erwin::NpzArchive::load(path);
    for (const std::string& name : archive.names()) archive.get(name);
    archive.meta_json();
  });
  return 0;
}
