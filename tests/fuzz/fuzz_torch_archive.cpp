// torch.save archives as weights (.pt state_dicts, `erwin forward --weights`): the checked zip
// layer, data.pkl, storages; and TorchScript archives' attributes (never their code).
#include "erwin/checkpoint.h"
#include "erwin/torch_pickle.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      erwin::fuzz::write_scratch("input.pt", erwin::fuzz::as_string(data, size));
  erwin::fuzz::expect_clean([&] { erwin::read_weights_in_order(path); });
  erwin::fuzz::expect_clean([&] { erwin::read_weights_config(path); });
  erwin::fuzz::expect_clean([&] {
    if (erwin::is_torchscript_archive(path)) erwin::load_torchscript_attributes(path);
  });
  return 0;
}
