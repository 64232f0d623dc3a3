// Training checkpoints (`erwin train --resume`, predict, rollout, the Studio) and the older
// erwin-studio-checkpoint format, both torch.save archives.
#include "erwin/checkpoint.h"
#include "erwin/training/training_checkpoint.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      erwin::fuzz::write_scratch("input.ckpt", erwin::fuzz::as_string(data, size));
  erwin::fuzz::expect_clean([&] { erwin::is_training_checkpoint(path); });
  erwin::fuzz::expect_clean([&] { erwin::load_training_checkpoint(path); });
  erwin::fuzz::expect_clean([&] { erwin::load_checkpoint(path); });
  return 0;
}
