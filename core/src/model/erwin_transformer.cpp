#include <cmath>
#include <stdexcept>

#include "erwin/graphs.h"
#include "erwin/model.h"
#include "erwin/model/input_checks.h"

namespace erwin {
namespace {

// torch.nn.init.trunc_normal_(mean=0): inverse-CDF sampling of a normal truncated to [a, b].
void trunc_normal_(torch::Tensor weight, double std, double a, double b) {
  torch::NoGradGuard no_grad;
  auto normal_cdf = [](double x) { return 0.5 * (1.0 + std::erf(x / std::sqrt(2.0))); };
  const double low = normal_cdf(a / std), high = normal_cdf(b / std);
  weight.uniform_(2 * low - 1, 2 * high - 1).erfinv_().mul_(std * std::sqrt(2.0)).clamp_(a, b);
}

// The reference's _init_weights: Linear weights ~ truncated N(0, 0.02), biases zero (LayerNorm
// and BatchNorm keep their default ones/zeros).
void init_linear_layers(torch::nn::Module& root) {
  for (const auto& module : root.modules(/*include_self=*/false)) {
    if (auto* linear = module->as<torch::nn::Linear>()) {
      trunc_normal_(linear->weight, 0.02, -2.0, 2.0);
      torch::NoGradGuard no_grad;
      linear->bias.zero_();
    }
  }
}

BasicLayerOptions level_options(const ErwinConfig& c, LayerDirection direction, size_t level) {
  BasicLayerOptions o;
  o.direction = direction;
  o.ball_size = c.ball_sizes[level];
  o.mlp_ratio = c.mlp_ratio;
  o.rotate = c.rotate > 0;
  o.dimensionality = c.dimensionality;
  switch (direction) {
    case LayerDirection::Down:
      o.depth = c.enc_depths[level];
      o.num_heads = c.enc_num_heads[level];
      o.stride = c.strides[level];
      o.in_dim = c.c_hidden[level];
      o.out_dim = c.c_hidden[level + 1];
      break;
    case LayerDirection::Up:
      o.depth = c.dec_depths[level];
      o.num_heads = c.dec_num_heads[level];
      o.stride = c.strides[level];
      o.in_dim = c.c_hidden[level + 1];
      o.out_dim = c.c_hidden[level];
      break;
    case LayerDirection::Bottleneck:
      o.depth = c.enc_depths[level];
      o.num_heads = c.enc_num_heads[level];
      o.in_dim = o.out_dim = c.c_hidden[level];
      break;
  }
  return o;
}

const ErwinConfig& validated(const ErwinConfig& config) {
  config.validate();
  return config;
}

torch::Tensor rotated_tree_of_level(const BallTree& tree, size_t level) {
  return level < tree.tree_idx_rot.size() ? tree.tree_idx_rot[level] : torch::Tensor();
}

// Rows of tree-ordered `x` at the real (unmasked) slots, back in input order (SPEC §3 Output).
torch::Tensor to_input_order(const torch::Tensor& x, const BallTree& tree) {
  const auto order = torch::argsort(tree.tree_idx.masked_select(tree.tree_mask));
  return x.index({tree.tree_mask}).index_select(0, order);
}

}  // namespace

ErwinTransformerImpl::ErwinTransformerImpl(const ErwinConfig& config_in)
    : config(validated(config_in)) {
  const size_t levels = config.ball_sizes.size() - 1;  // encoder levels; the last is a bottleneck
  embed = register_module("embed", ErwinEmbedding(config.c_in, config.c_hidden[0], config.mp_steps,
                                                  config.dimensionality));
  encoder = register_module("encoder", torch::nn::ModuleList());
  for (size_t i = 0; i < levels; ++i)
    encoder->push_back(BasicLayer(level_options(config, LayerDirection::Down, i)));
  bottleneck = register_module(
      "bottleneck", BasicLayer(level_options(config, LayerDirection::Bottleneck, levels)));
  if (config.decode) {
    decoder = register_module("decoder", torch::nn::ModuleList());
    for (size_t k = 0; k < levels; ++k)
      decoder->push_back(BasicLayer(level_options(config, LayerDirection::Up, levels - 1 - k)));
  }
  init_linear_layers(*this);
}

BallTree ErwinTransformerImpl::build_tree(const torch::Tensor& node_positions,
                                          const torch::Tensor& batch_idx,
                                          bool balls_across_clouds) const {
  RotationOptions options;
  options.strides = config.strides;
  options.ball_sizes = config.ball_sizes;
  options.angle_degrees = config.rotate;
  options.balls_across_clouds = balls_across_clouds;
  // Published order, not just the published balls: pooling sees the order (balltree.h). The
  // builder works on the CPU in float32 (a float64 model gets the tree of its positions rounded to
  // float32) and returns the tree on the device of the positions.
  return build_balltree_published_order(node_positions.detach().to(torch::kFloat32),
                                        batch_idx.to(torch::kCPU), options);
}

namespace {

torch::Tensor edges_for(const ErwinInputs& inputs, const ErwinConfig& config) {
  if (config.mp_steps == 0) return torch::Tensor();
  if (inputs.edge_index) {
    check_edge_index(*inputs.edge_index, inputs.node_features.size(0));
    return *inputs.edge_index;
  }
  if (!inputs.radius)
    throw std::invalid_argument(
        "ErwinTransformer: edge_index or radius required (mp_steps > 0 and no edge_index given)");
  // torch_cluster.radius_graph(pos, r, batch, loop=True) as the reference calls it, with its
  // default cap of 32 neighbours per node.
  constexpr int64_t kReferenceMaxNeighbours = 32;
  return radius_graph(inputs.node_positions.detach(), inputs.batch_idx, *inputs.radius,
                      /*loop=*/true, kReferenceMaxNeighbours);
}

}  // namespace

ErwinOutput ErwinTransformerImpl::forward(const ErwinInputs& inputs) {
  check_inputs(inputs, config);
  const auto& pos = inputs.node_positions;
  const auto& batch_idx = inputs.batch_idx;
  const BallTree tree =
      inputs.tree ? *inputs.tree : build_tree(pos, batch_idx, inputs.balls_across_clouds);
  check_tree(tree, inputs, config);

  auto h = embed(inputs.node_features, pos, edges_for(inputs, config));
  TreeLevel node{h.index_select(0, tree.tree_idx), pos.index_select(0, tree.tree_idx),
                 batch_idx.index_select(0, tree.tree_idx)};

  // Each encoder level's state when it was pooled: the decoder refines these (SPEC §3 Layers).
  std::vector<TreeLevel> encoder_side;
  for (size_t i = 0; i < encoder->size(); ++i) {
    auto layer = encoder[i]->as<BasicLayer>();
    node.x = layer->run_blocks(node.x, node.pos, rotated_tree_of_level(tree, i));
    encoder_side.push_back(node);
    node = layer->pool(node);
  }
  node.x = bottleneck->run_blocks(node.x, node.pos, rotated_tree_of_level(tree, encoder->size()));
  if (!config.decode) return {node.x, node.batch_idx};

  for (size_t k = 0; k < decoder->size(); ++k) {
    const size_t level = encoder_side.size() - 1 - k;
    auto layer = decoder[k]->as<BasicLayer>();
    TreeLevel fine = encoder_side[level];
    fine.x = layer->unpool(node, fine);
    fine.x = layer->run_blocks(fine.x, fine.pos, rotated_tree_of_level(tree, level));
    node = fine;
  }
  return {to_input_order(node.x, tree), torch::Tensor()};
}

}  // namespace erwin
