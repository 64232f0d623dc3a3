// A molecular-dynamics trajectory folder (erwin::datasets::load_md_trajectory, HDF5): input =
// ptype.h5, bond.h5, position.h5, separated by the part separator.
// The readers run libhdf5 in a forked child first (check_hdf5_in_child,
// datasets/src/hdf5_support.h): libhdf5's own crashes, huge mallocs and hangs there become the
// reader's FormatError, so this exercises that protection too; what remains a finding is a fault in
// the process itself.
#include "erwin/datasets/md_polymer.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = erwin::fuzz::split_parts(data, size, 3);
  erwin::fuzz::write_scratch("md/ptype.h5", parts[0]);
  erwin::fuzz::write_scratch("md/bond.h5", parts[1]);
  erwin::fuzz::write_scratch("md/position.h5", parts[2]);
  erwin::fuzz::expect_clean(
      [&] { erwin::datasets::load_md_trajectory((erwin::fuzz::scratch_dir() / "md").string()); });
  return 0;
}
