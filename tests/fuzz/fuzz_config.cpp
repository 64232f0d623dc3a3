// JSON configurations: the model's (ErwinConfig) and a training run's (RunConfig), from text.
#include "erwin/config.h"
#include "erwin/training/run_config.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text = erwin::fuzz::as_string(data, size);
  erwin::fuzz::expect_clean([&] { erwin::ErwinConfig::from_json(text); });
  erwin::fuzz::expect_clean([&] { erwin::RunConfig::from_json(text); });
  return 0;
}
