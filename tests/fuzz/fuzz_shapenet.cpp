// A ShapeNet-Car car (erwin::datasets::ShapenetCarDataset::get): input = mesh_points.th, the part
// separator, pressure.th (torch.save archives).
#include "erwin/datasets/shapenet_car.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<std::string> parts = erwin::fuzz::split_parts(data, size, 2);
  erwin::fuzz::write_scratch("shapenet/param0/car/mesh_points.th", parts[0]);
  erwin::fuzz::write_scratch("shapenet/param0/car/pressure.th", parts[1]);
  const std::string root = (erwin::fuzz::scratch_dir() / "shapenet").string();
  for (int param = 1; param <= 8; ++param)  // the published layout has param0 ... param8
    std::filesystem::create_directories(root + "/param" + std::to_string(param));
  erwin::fuzz::expect_clean(
      [&] { erwin::datasets::ShapenetCarDataset::open(root, "train", {}).get(0); });
  return 0;
}
