#pragma once
// Loads a reference model fixture (erwin_*.npz, see ../shared/reference/README.md) into a
// configured model, its inputs and the reference tree.
#include <nlohmann/json.hpp>
#include <string>

#include "erwin/checkpoint.h"
#include "erwin/model.h"
#include "erwin/npy.h"
#include "test_support.h"

namespace erwin::test {

struct ModelFixture {
  NpzArchive archive;
  nlohmann::json meta;
  ErwinConfig config;
  ErwinInputs inputs;  // with the fixture's edge_index and tree
};

inline BallTree fixture_tree(const NpzArchive& archive) {
  BallTree tree;
  tree.tree_idx = archive.get("tree_idx");
  tree.tree_mask = archive.get("tree_mask");
  for (int level = 0; archive.contains("tree_idx_rot." + std::to_string(level)); ++level)
    tree.tree_idx_rot.push_back(archive.get("tree_idx_rot." + std::to_string(level)));
  return tree;
}

inline ModelFixture load_model_fixture(const std::string& name) {
  ModelFixture f{NpzArchive::load(reference_file(name + ".npz")), {}, {}, {}};
  f.meta = nlohmann::json::parse(f.archive.meta_json());
  f.config = ErwinConfig::from_json(f.meta.at("config").dump());
  f.inputs.node_features = f.archive.get("node_features");
  f.inputs.node_positions = f.archive.get("node_positions");
  f.inputs.batch_idx = f.archive.get("batch_idx");
  f.inputs.edge_index = f.archive.get("edge_index");
  f.inputs.tree = fixture_tree(f.archive);
  return f;
}

// A model with the fixture's weights, in eval mode.
inline ErwinTransformer fixture_model(const ModelFixture& f) {
  ErwinTransformer model(f.config);
  load_weights(*model, f.archive.path());
  model->eval();
  return model;
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.detach() - b.detach()).abs().max().item<double>();
}

}  // namespace erwin::test
