#pragma once
// Radius and k-nearest-neighbour graphs over a ragged batch of point clouds, with the conventions
// of torch_cluster.radius_graph / knn_graph that the published Erwin code uses (SPEC §3,
// "Embedding": edges (j, i) carry messages from source j to target i).
//
// Inputs: pos floating [N, d] (d = 2 or 3, finite) on any device; batch_idx int64 [N] with
// non-negative, non-decreasing cloud ids (gaps are empty clouds), or an undefined tensor for a
// single cloud. Edges never cross clouds. The result is int64 [2, E] on the device of `pos`:
// row 0 the source j, row 1 the target i. Distances are computed in the precision of `pos`
// (float32 stays float32, like torch_cluster). The work runs on the CPU, with a uniform grid
// per cloud and all hardware threads over the targets; the output does not depend on the number
// of threads. Bad arguments throw std::invalid_argument naming the argument.
#include <torch/torch.h>

#include <cstdint>

namespace erwin {

// Every j of i's cloud strictly closer to i than `radius` (squared distance < radius², as in
// torch_cluster), i itself included when `loop`. With max_num_neighbors > 0, each target keeps
// only its max_num_neighbors nearest sources (ties: lower index first); a negative value means no
// limit (torch_cluster defaults to 32), 0 is rejected. Sorted by target, then source, ascending.
// radius must be positive and finite.
torch::Tensor radius_graph(const torch::Tensor& pos, const torch::Tensor& batch_idx, double radius,
                           bool loop = true, int64_t max_num_neighbors = -1);

// The k nearest j of i's cloud (distance ties: lower index first); with `loop` i counts among its
// own k neighbours, otherwise it is left out and k others are taken. A cloud with fewer
// candidates than k gives all of them. Sorted by target ascending, then by distance (nearest
// first, ties by index) -- the order of torch_cluster.knn_graph, which the reference fixture
// erwin_3d_resnet_knn.npz shows. k must be positive.
torch::Tensor knn_graph(const torch::Tensor& pos, const torch::Tensor& batch_idx, int64_t k,
                        bool loop = true);

}  // namespace erwin
