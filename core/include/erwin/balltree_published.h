#pragma once
// The benchmark's baseline exactly as published: erwin::reference::build_balltree_recursive with
// the published comparator, which leaves the order of points with equal coordinates to
// std::nth_element. On clouds without ties it builds the same trees (tst_balltree checks it
// against the fixtures); ordering ties, as our builders do, costs the recursion about 10%.
#include "erwin/balltree.h"

namespace erwin::reference {

BallTree build_balltree_published(const torch::Tensor& pos, const torch::Tensor& batch_idx);
BallTree build_balltree_with_rotations_published(const torch::Tensor& pos,
                                                 const torch::Tensor& batch_idx,
                                                 const RotationOptions& options);

}  // namespace erwin::reference
