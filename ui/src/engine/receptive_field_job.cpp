#include "erwin/ui/engine/receptive_field_job.h"

#include <algorithm>

#include "erwin/checkpoint.h"
#include "erwin/graphs.h"
#include "erwin/model.h"

namespace erwin::ui {
namespace {

int64_t next_pow2(int64_t n) {
  int64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// Radius of the MPNN graph: about 16 neighbours per node, from the mean distance of a sample of
// nodes to their 16th nearest neighbour (chunked, so that a million points stay cheap).
double graph_radius(const torch::Tensor& pos) {
  const int64_t n = pos.size(0);
  const int64_t k = std::min<int64_t>(n, 17);  // the node itself + 16
  const torch::Tensor picked = pos.index_select(0, torch::randperm(n).slice(0, 0, 256));
  torch::Tensor nearest = torch::empty({picked.size(0), 0}, pos.options());
  for (int64_t start = 0; start < n; start += 65536) {
    const torch::Tensor chunk = torch::cdist(picked, pos.slice(0, start, start + 65536));
    const torch::Tensor both = torch::cat({nearest, chunk}, 1);
    nearest = std::get<0>(both.topk(std::min<int64_t>(k, both.size(1)), 1, false));
  }
  return std::max(1e-6, nearest.select(1, nearest.size(1) - 1).mean().item<double>());
}

ErwinTransformer make_model(const ReceptiveFieldRequest& request) {
  if (request.checkpoint.empty()) {
    torch::manual_seed(request.seed);
    return ErwinTransformer(request.config);
  }
  const Checkpoint checkpoint = load_checkpoint(request.checkpoint);
  ErwinTransformer model(checkpoint.config);
  load_state_dict(*model, checkpoint.model_state);
  return model;
}

}  // namespace

ErwinConfig default_receptive_field_config(int64_t points, int64_t dimension,
                                           double angle_degrees) {
  ErwinConfig config;
  config.c_in = 8;
  config.c_hidden = {16, 32, 64, 128};
  config.enc_num_heads = {2, 4, 8, 16};
  config.enc_depths = {2, 2, 2, 2};
  config.dec_num_heads = {2, 4, 8};
  config.dec_depths = {2, 2, 2};
  config.strides = {2, 2, 2};
  config.rotate = angle_degrees;
  config.dimensionality = dimension;
  config.mp_steps = 0;
  // A ball may not be larger than the nodes of a level (slots halve at every stride).
  int64_t nodes = next_pow2(std::max<int64_t>(points, 2));
  for (size_t level = 0; level < config.c_hidden.size(); ++level) {
    config.ball_sizes.push_back(std::min<int64_t>(64, nodes));
    if (level < config.strides.size()) nodes = std::max<int64_t>(1, nodes / config.strides[level]);
  }
  return config;
}

ReceptiveFieldResult compute_receptive_field(const ReceptiveFieldRequest& request,
                                             JobContext& context) {
  const int64_t n = request.pos.size(0);
  if (request.node < 0 || request.node >= n)
    throw std::invalid_argument("receptive field: node " + std::to_string(request.node) +
                                " is not one of the " + std::to_string(n) + " points");
  torch::NoGradGuard no_grad_for_setup;
  ErwinTransformer model = make_model(request);
  ReceptiveFieldResult result;
  result.node = request.node;
  result.block_count = erwin_block_count(*model);
  result.depth = std::clamp<int64_t>(request.depth, 0, result.block_count);
  result.graph_radius = graph_radius(request.pos);

  torch::manual_seed(request.seed + 1);
  ErwinInputs inputs;
  inputs.node_positions = request.pos;
  inputs.node_features = torch::randn({n, model->config.c_in});
  inputs.batch_idx = torch::zeros({n}, torch::kInt64);
  inputs.radius = result.graph_radius;
  // The core's callback returns false to cancel.
  const ProgressCallback progress = [&context](double fraction) {
    context.progress(fraction, "receptive field");
    return !context.is_cancelled();
  };
  {
    at::AutoGradMode enable_grad(true);  // the receptive field is a gradient
    result.erwin = erwin_receptive_field(*model, inputs, request.node, result.depth, progress);
  }
  context.throw_if_cancelled();
  if (request.compare_khop) {
    const torch::Tensor edges =
        radius_graph(request.pos, inputs.batch_idx, result.graph_radius, true, 32);
    result.khop = khop_neighbourhood(edges, n, request.node, result.depth);
  }
  return result;
}

}  // namespace erwin::ui
