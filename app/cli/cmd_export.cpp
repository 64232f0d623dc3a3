// `erwin export`: the weights of any file read_weights accepts as a plain PyTorch state_dict
// (torch.save of an OrderedDict of tensors under the published names), which torch.load opens
// with weights_only=True and the published models load with strict=True.
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "erwin/checkpoint.h"
#include "erwin/model.h"

namespace erwin::cli {
namespace {

// The weights to export. When the file records its ErwinTransformer configuration, the backbone
// weights must load into that model strictly (a damaged or mismatched file is refused before
// anything is written), and backbone-only weights take the model's state_dict order (.npz members
// carry none); otherwise the file's order.
OrderedStateDict exported_weights(const std::string& path) {
  OrderedStateDict weights = read_weights_in_order(path);
  const auto config = read_weights_config(path);
  if (!config) return weights;
  const StateDict all(weights.begin(), weights.end());
  const StateDict backbone = backbone_weights(all);
  ErwinTransformer model(*config);
  try {
    load_state_dict(*model, backbone);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path +
                                ": the weights do not fit the model configuration it "
                                "records: " +
                                e.what());
  }
  if (backbone.size() != all.size()) return weights;  // a task model's: the file's order
  OrderedStateDict ordered;
  for (const auto& [name, tensor] : ordered_state_dict(*model))
    ordered.emplace_back(name, all.at(name));
  return ordered;
}

}  // namespace

int run_export(const Arguments& args) {
  ArgParser parser("export",
                   "Writes the model weights of --weights (a fixture .npz, a torch.save state "
                   "dict, a training checkpoint of erwin train, of the published scripts or of "
                   "an older erwin, an Erwin checkpoint) as a plain PyTorch state_dict: an "
                   "OrderedDict of tensors under the published names, in the file's order "
                   "(torch.compile's _orig_mod. prefix removed), that torch.load opens with "
                   "weights_only=True and model.load_state_dict(..., strict=True) accepts.");
  parser.option("weights", "file", "weights to export")
      .option("output", "file.pt", "state_dict to write (atomically)");
  if (!parser.parse(args)) return 0;

  const std::string weights_path = parser.text("weights");
  const std::string output = parser.text("output");
  const OrderedStateDict weights = exported_weights(weights_path);
  save_state_dict(output, weights);
  int64_t values = 0;
  for (const auto& [name, tensor] : weights) values += tensor.numel();
  std::printf("wrote %s: %zu tensors, %lld values\n", output.c_str(), weights.size(),
              static_cast<long long>(values));
  return 0;
}

}  // namespace erwin::cli
