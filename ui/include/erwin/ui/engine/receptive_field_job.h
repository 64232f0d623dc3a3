#pragma once
// Fig. 5 of the paper in the studio: which points influence a clicked point's output after a
// given number of Erwin blocks, next to the k-hop neighbourhood of an MPNN of the same depth.
// A job (job.h) for a JobRunner.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "erwin/config.h"
#include "erwin/receptive_field.h"
#include "erwin/ui/engine/job.h"

namespace erwin::ui {

// A randomly initialised Erwin that fits `points` points of dimension `dimension`: four levels,
// balls of up to 64 nodes, strides 2, rotated trees at `angle_degrees` (0: none), no MPNN
// embedding steps.
ErwinConfig default_receptive_field_config(int64_t points, int64_t dimension, double angle_degrees);

struct ReceptiveFieldRequest {
  torch::Tensor pos;         // float32 [N, d]
  int64_t node = 0;          // the clicked point
  int64_t depth = 0;         // Erwin blocks run (clamped to the model's block count)
  ErwinConfig config;        // the model's configuration
  std::string checkpoint;    // load the weights (and config) from here when not empty
  uint64_t seed = 0;         // initialisation and input features
  bool compare_khop = true;  // also the MPNN k-hop neighbourhood, k = depth
};

struct ReceptiveFieldResult {
  int64_t node = 0;
  int64_t depth = 0;          // after clamping
  int64_t block_count = 0;    // blocks the model has
  torch::Tensor erwin;        // bool [N]
  torch::Tensor khop;         // bool [N], undefined unless compare_khop
  double graph_radius = 0.0;  // radius of the MPNN graph
};

// Reports its progress; ends early (JobCancelled) when cancelled. Throws std::invalid_argument /
// erwin::FormatError.
ReceptiveFieldResult compute_receptive_field(const ReceptiveFieldRequest& request,
                                             JobContext& context);

}  // namespace erwin::ui
