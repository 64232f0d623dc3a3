#include "erwin/datasets/sample.h"

#include <stdexcept>

namespace erwin::datasets {

Split parse_split(const std::string& name) {
  if (name == "train") return Split::Train;
  if (name == "valid" || name == "val") return Split::Valid;
  if (name == "test") return Split::Test;
  throw std::invalid_argument("split: expected train, valid or test, got '" + name + "'");
}

std::string split_name(Split split) {
  switch (split) {
    case Split::Train:
      return "train";
    case Split::Valid:
      return "valid";
    case Split::Test:
      return "test";
  }
  return "unknown";
}

namespace {

// Concatenates one field along dimension 0; undefined when every sample leaves it undefined.
torch::Tensor cat_field(const std::vector<Sample>& samples, torch::Tensor Sample::*field,
                        const char* name) {
  std::vector<torch::Tensor> parts;
  for (const Sample& sample : samples)
    if ((sample.*field).defined()) parts.push_back(sample.*field);
  if (parts.empty()) return {};
  if (parts.size() != samples.size())
    throw std::invalid_argument(std::string("collate: field ") + name +
                                " is defined in some samples only");
  return torch::cat(parts, 0);
}

torch::Tensor offset_edges(const std::vector<Sample>& samples) {
  std::vector<torch::Tensor> parts;
  int64_t offset = 0;
  for (const Sample& sample : samples) {
    if (sample.edge_index.defined()) parts.push_back(sample.edge_index + offset);
    offset += sample.node_positions.size(0);
  }
  if (parts.empty()) return {};
  if (parts.size() != samples.size())
    throw std::invalid_argument("collate: field edge_index is defined in some samples only");
  return torch::cat(parts, 1);
}

}  // namespace

Batch collate(const std::vector<Sample>& samples) {
  if (samples.empty()) throw std::invalid_argument("collate: no samples");
  Batch batch;
  batch.node_features = cat_field(samples, &Sample::node_features, "node_features");
  batch.node_positions = cat_field(samples, &Sample::node_positions, "node_positions");
  batch.node_type = cat_field(samples, &Sample::node_type, "node_type");
  batch.targets = cat_field(samples, &Sample::targets, "targets");
  batch.edge_step = cat_field(samples, &Sample::edge_step, "edge_step");
  batch.edge_index = offset_edges(samples);
  std::vector<int64_t> counts;
  for (const Sample& sample : samples) counts.push_back(sample.node_positions.size(0));
  batch.num_nodes = torch::tensor(counts, torch::kInt64);
  batch.batch_idx = torch::repeat_interleave(
      torch::arange(static_cast<int64_t>(samples.size()), torch::kInt64), batch.num_nodes);
  return batch;
}

torch::Tensor edges_at_step(const Batch& batch, int64_t step) {
  if (!batch.edge_step.defined()) return batch.edge_index;
  const torch::Tensor selected = torch::nonzero(batch.edge_step == step).squeeze(1);
  return batch.edge_index.index_select(1, selected);
}

}  // namespace erwin::datasets
