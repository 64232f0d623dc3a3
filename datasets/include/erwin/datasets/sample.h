#pragma once
// The common shape of what every dataset returns: one graph per Sample, many in a ragged Batch.
#include <torch/torch.h>

#include <string>
#include <vector>

namespace erwin::datasets {

enum class Split { Train, Valid, Test };

// "train", "valid" (or "val") and "test"; anything else is std::invalid_argument.
Split parse_split(const std::string& name);
std::string split_name(Split split);

// One graph: a car, an EAGLE window, a polymer snapshot. Node-wise tensors share dimension 0.
// Windowed samples (EAGLE) carry a time axis as dimension 1 of the node-wise tensors and one
// graph per step: edge_step[e] is the step of edge e (undefined for static graphs).
struct Sample {
  torch::Tensor node_features;   // float [N, F] or [N, T, F]
  torch::Tensor node_positions;  // float [N, d] or [N, T, d]
  torch::Tensor node_type;       // int64 [N] or [N, T]; undefined where the data has none
  torch::Tensor edge_index;      // int64 [2, E]: row 0 source, row 1 target; may be undefined
  torch::Tensor edge_step;       // int64 [E] for windowed samples, else undefined
  torch::Tensor targets;         // float [N, C] or [N, T, C]
};

// Samples concatenated along the node axis; edge indices are offset to the batch's numbering.
struct Batch {
  torch::Tensor node_features;
  torch::Tensor node_positions;
  torch::Tensor node_type;
  torch::Tensor edge_index;
  torch::Tensor edge_step;
  torch::Tensor targets;
  torch::Tensor batch_idx;  // int64 [N_total]: which sample each node came from
  torch::Tensor num_nodes;  // int64 [B]
};

// Concatenates samples (which must agree on which fields are defined) into one Batch.
Batch collate(const std::vector<Sample>& samples);

// The edges of step `step` of a windowed batch, int64 [2, E_step]; all edges when static.
torch::Tensor edges_at_step(const Batch& batch, int64_t step);

}  // namespace erwin::datasets
