// Receptive fields by gradients (paper §5, Fig. 5), the MPNN k-hop comparison, and the Erwin
// model cut after its first blocks.
#include "erwin/receptive_field.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "erwin/graphs.h"
#include "erwin/model/input_checks.h"

namespace erwin {
namespace {

// torch_cluster.radius_graph's default, which the published forward() relies on.
constexpr int64_t kPublishedMaxNeighbours = 32;

bool report(const ProgressCallback& progress, double fraction) {
  return !progress || progress(fraction);
}

// Progress of step `step` of `steps`, scaled into the whole.
ProgressCallback sub_progress(const ProgressCallback& progress, int64_t step, int64_t steps) {
  if (!progress) return nullptr;
  return [progress, step, steps](double fraction) {
    return progress((static_cast<double>(step) + fraction) / static_cast<double>(steps));
  };
}

// Puts the model in eval mode for the guard's lifetime, then restores the previous mode.
class EvalModeGuard {
 public:
  explicit EvalModeGuard(ErwinTransformerImpl& model)
      : model_(model), was_training_(model.is_training()) {
    model_.eval();
  }
  ~EvalModeGuard() { model_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  ErwinTransformerImpl& model_;
  bool was_training_;
};

// `inputs` with the tree and (when message passing needs one) the graph filled in, so that
// repeated truncated forwards share them.
ErwinInputs with_tree_and_edges(const ErwinTransformerImpl& model, const ErwinInputs& inputs) {
  check_inputs(inputs, model.config);
  ErwinInputs full = inputs;
  if (!full.tree)
    full.tree =
        model.build_tree(inputs.node_positions, inputs.batch_idx, inputs.balls_across_clouds);
  check_tree(*full.tree, inputs, model.config);
  if (model.config.mp_steps > 0 && !full.edge_index) {
    if (!inputs.radius)
      throw std::invalid_argument("inputs: edge_index or radius is required when mp_steps > 0");
    full.edge_index = radius_graph(inputs.node_positions, inputs.batch_idx, *inputs.radius,
                                   /*loop=*/true, kPublishedMaxNeighbours);
  }
  if (full.edge_index) check_edge_index(*full.edge_index, inputs.node_features.size(0));
  return full;
}

// A layer sharing the first `count` blocks of `layer` (same modules, same parameters), without
// its pooling or unpooling, so that BasicLayer::run_blocks applies its own rotation rule.
BasicLayer first_blocks(const BasicLayerImpl& layer, int64_t count) {
  BasicLayerOptions options = layer.options;
  options.direction = LayerDirection::Bottleneck;
  options.depth = 0;
  BasicLayer view(options);
  for (int64_t i = 0; i < count; ++i) view->blocks->push_back(layer.blocks->ptr(i));
  view->options.depth = count;
  return view;
}

torch::Tensor rotated_tree_of_level(const BallTree& tree, size_t level) {
  return level < tree.tree_idx_rot.size() ? tree.tree_idx_rot[level] : torch::Tensor();
}

// Walks forward()'s sequence of levels (SPEC §3), spending a budget of blocks.
class TruncatedRun {
 public:
  TruncatedRun(const BallTree& tree, TreeLevel start, int64_t num_blocks)
      : tree_(tree), node_(std::move(start)), blocks_left_(num_blocks) {}

  bool done() const { return blocks_left_ == 0; }

  void run_blocks(BasicLayerImpl& layer, size_t level) {
    const int64_t count =
        std::min<int64_t>(blocks_left_, static_cast<int64_t>(layer.blocks->size()));
    node_.x = first_blocks(layer, count)
                  ->run_blocks(node_.x, node_.pos, rotated_tree_of_level(tree_, level));
    blocks_left_ -= count;
  }

  void pool(BasicLayerImpl& layer) {
    encoder_side_.push_back(node_);
    node_ = layer.pool(node_);
    slots_per_node_ *= layer.options.stride;
  }

  void unpool(BasicLayerImpl& layer) {
    TreeLevel fine = encoder_side_.back();
    encoder_side_.pop_back();
    fine.x = layer.unpool(node_, fine);
    node_ = fine;
    slots_per_node_ /= layer.options.stride;
  }

  // One row per input node: the tree node that now holds it (tree slot / slots per node).
  torch::Tensor per_input_node() const {
    const torch::Tensor real_slots = tree_.tree_mask.nonzero().flatten();
    torch::Tensor slot_of = torch::empty_like(real_slots);
    slot_of.index_put_({tree_.tree_idx.index_select(0, real_slots)}, real_slots);
    return node_.x.index_select(0, torch::div(slot_of, slots_per_node_, "floor"));
  }

 private:
  const BallTree& tree_;
  TreeLevel node_;
  int64_t blocks_left_;
  int64_t slots_per_node_ = 1;
  std::vector<TreeLevel> encoder_side_;
};

int64_t blocks_of(const torch::nn::ModuleList& layers) {
  int64_t count = 0;
  for (size_t i = 0; layers && i < layers->size(); ++i)
    count += static_cast<int64_t>(layers->ptr<BasicLayerImpl>(i)->blocks->size());
  return count;
}

}  // namespace

torch::Tensor receptive_field(
    const std::function<torch::Tensor(const torch::Tensor& features)>& forward,
    const torch::Tensor& features, int64_t output_node, const ProgressCallback& progress) {
  if (!features.defined() || features.dim() < 1 || !features.is_floating_point())
    throw std::invalid_argument("features: expected a floating tensor [N, ...]");
  const int64_t num_nodes = features.size(0);
  if (!report(progress, 0.0)) return {};
  torch::AutoGradMode enable_grad(true);
  const torch::Tensor input = features.detach().requires_grad_(true);
  const torch::Tensor output = forward(input);
  if (!output.defined() || output.dim() < 1)
    throw std::invalid_argument("forward: must return a tensor with one row per output node");
  if (output_node < 0 || output_node >= output.size(0))
    throw std::invalid_argument("output_node: " + std::to_string(output_node) +
                                " is not a row of the output (" + std::to_string(output.size(0)) +
                                " rows)");
  if (!report(progress, 0.5)) return {};
  torch::Tensor field = torch::zeros({num_nodes}, torch::kBool);
  const torch::Tensor target = output[output_node].sum();
  if (target.requires_grad()) {
    const torch::Tensor grad = torch::autograd::grad({target}, {input}, {}, /*retain_graph=*/false,
                                                     /*create_graph=*/false,
                                                     /*allow_unused=*/true)[0];
    if (grad.defined()) field = grad.ne(0).reshape({num_nodes, -1}).any(1).cpu();
  }
  if (!report(progress, 1.0)) return {};
  return field;
}

torch::Tensor khop_neighbourhood(const torch::Tensor& edge_index, int64_t num_nodes, int64_t node,
                                 int64_t hops) {
  if (num_nodes < 0) throw std::invalid_argument("num_nodes: must not be negative");
  check_edge_index(edge_index, num_nodes);
  if (node < 0 || node >= num_nodes)
    throw std::invalid_argument("node: " + std::to_string(node) + " is not in [0, " +
                                std::to_string(num_nodes) + ")");
  if (hops < 0) throw std::invalid_argument("hops: must not be negative");
  const torch::Tensor edges = edge_index.to(torch::kCPU).contiguous();
  const int64_t num_edges = edges.size(1);
  const int64_t* source = edges.data_ptr<int64_t>();
  const int64_t* target = source + num_edges;

  // Incoming edges of every node (CSR by target): a message travels from source to target.
  std::vector<int64_t> in_begin(num_nodes + 1, 0), in_source(num_edges);
  for (int64_t e = 0; e < num_edges; ++e) ++in_begin[target[e] + 1];
  for (int64_t n = 0; n < num_nodes; ++n) in_begin[n + 1] += in_begin[n];
  std::vector<int64_t> fill(in_begin.begin(), in_begin.end() - 1);
  for (int64_t e = 0; e < num_edges; ++e) in_source[fill[target[e]]++] = source[e];

  torch::Tensor field = torch::zeros({num_nodes}, torch::kBool);
  bool* reached = field.data_ptr<bool>();
  reached[node] = true;
  std::vector<int64_t> frontier{node}, next;
  for (int64_t hop = 0; hop < hops && !frontier.empty(); ++hop) {
    next.clear();
    for (int64_t n : frontier)
      for (int64_t e = in_begin[n]; e < in_begin[n + 1]; ++e)
        if (!reached[in_source[e]]) {
          reached[in_source[e]] = true;
          next.push_back(in_source[e]);
        }
    frontier.swap(next);
  }
  return field;
}

int64_t erwin_block_count(const ErwinTransformerImpl& model) {
  return blocks_of(model.encoder) + static_cast<int64_t>(model.bottleneck->blocks->size()) +
         blocks_of(model.decoder);
}

torch::Tensor erwin_truncated_forward(ErwinTransformerImpl& model, const ErwinInputs& inputs,
                                      int64_t num_blocks) {
  if (num_blocks < 0 || num_blocks > erwin_block_count(model))
    throw std::invalid_argument("num_blocks: " + std::to_string(num_blocks) + " is not in [0, " +
                                std::to_string(erwin_block_count(model)) + "]");
  const ErwinInputs full = with_tree_and_edges(model, inputs);
  const BallTree& tree = *full.tree;
  const torch::Tensor h = model.embed(full.node_features, full.node_positions,
                                      full.edge_index.value_or(torch::Tensor()));
  TruncatedRun run(tree,
                   TreeLevel{h.index_select(0, tree.tree_idx),
                             full.node_positions.index_select(0, tree.tree_idx),
                             full.batch_idx.index_select(0, tree.tree_idx)},
                   num_blocks);
  // The order of ErwinTransformerImpl::forward: encoder levels (blocks, pool), the bottleneck,
  // then decoder levels (unpool, blocks); stop as soon as the budget is spent.
  const size_t levels = model.encoder->size();
  for (size_t i = 0; i < levels && !run.done(); ++i) {
    BasicLayerImpl& layer = *model.encoder->ptr<BasicLayerImpl>(i);
    run.run_blocks(layer, i);
    if (!run.done()) run.pool(layer);
  }
  if (!run.done()) run.run_blocks(*model.bottleneck, levels);
  for (size_t k = 0; model.decoder && k < model.decoder->size() && !run.done(); ++k) {
    BasicLayerImpl& layer = *model.decoder->ptr<BasicLayerImpl>(k);
    run.unpool(layer);
    run.run_blocks(layer, levels - 1 - k);
  }
  return run.per_input_node();
}

torch::Tensor erwin_receptive_field(ErwinTransformerImpl& model, const ErwinInputs& inputs,
                                    int64_t node, int64_t num_blocks,
                                    const ProgressCallback& progress) {
  EvalModeGuard eval(model);
  const ErwinInputs full = with_tree_and_edges(model, inputs);
  return receptive_field(
      [&](const torch::Tensor& features) {
        ErwinInputs with_features = full;
        with_features.node_features = features;
        return erwin_truncated_forward(model, with_features, num_blocks);
      },
      inputs.node_features, node, progress);
}

torch::Tensor erwin_receptive_field_by_depth(ErwinTransformerImpl& model, const ErwinInputs& inputs,
                                             int64_t node, const ProgressCallback& progress) {
  const ErwinInputs full = with_tree_and_edges(model, inputs);
  const int64_t depths = erwin_block_count(model) + 1;
  std::vector<torch::Tensor> fields;
  for (int64_t depth = 0; depth < depths; ++depth) {
    fields.push_back(
        erwin_receptive_field(model, full, node, depth, sub_progress(progress, depth, depths)));
    if (!fields.back().defined()) return {};
  }
  return torch::stack(fields);
}

}  // namespace erwin
