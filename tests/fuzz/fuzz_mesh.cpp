// The Studio's mesh loading (erwin::ui::load_point_set: its checks around VTK's readers). The
// first byte chooses the file's extension, the rest is the file.
#include "erwin/ui/engine/data_loader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const char* const kExtensions[] = {".vtk", ".vtp", ".vtu", ".obj", ".stl"};
  if (size == 0) return 0;
  const std::string name = std::string("input") + kExtensions[data[0] % std::size(kExtensions)];
  const std::string path =
      erwin::fuzz::write_scratch(name, erwin::fuzz::as_string(data + 1, size - 1));
  erwin::fuzz::expect_clean([&] { erwin::ui::load_point_set(path); });
  return 0;
}
