// Receptive fields: the generic gradient test on maps with known influence sets, k-hop
// neighbourhoods against a dense reachability computation, and the Erwin model cut after its
// first blocks against what its ball trees imply.
#include <QTest>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "erwin/graphs.h"
#include "erwin/model.h"
#include "erwin/receptive_field.h"
#include "test_support.h"

namespace {

// A random sparse [rows, cols] matrix with about `density` of its entries non-zero.
torch::Tensor sparse_matrix(int64_t rows, int64_t cols, double density) {
  return torch::randn({rows, cols}) * (torch::rand({rows, cols}) < density).to(torch::kFloat32);
}

// Nodes within `hops` steps against the edge direction (target -> source): boolean powers of the
// dense adjacency, independent of the BFS under test.
torch::Tensor dense_reachability(const torch::Tensor& edges, int64_t num_nodes, int64_t node,
                                 int64_t hops) {
  torch::Tensor step = torch::eye(num_nodes);  // step[i][j]: j reaches i in one hop (or j == i)
  step.index_put_({edges[1], edges[0]}, torch::ones({edges.size(1)}));
  torch::Tensor reach = torch::zeros({num_nodes});
  reach[node] = 1;
  // Walking against the edges: reach_new[j] = any_i step[i][j] * reach[i].
  for (int64_t h = 0; h < hops; ++h)
    reach = (torch::matmul(step.t(), reach) > 0).to(torch::kFloat32);
  return reach > 0;
}

std::set<int64_t> members(const torch::Tensor& field) {
  std::set<int64_t> set;
  const torch::Tensor idx = field.nonzero().flatten();
  for (int64_t n = 0; n < idx.numel(); ++n) set.insert(idx[n].item<int64_t>());
  return set;
}

erwin::ErwinConfig small_config(double rotate, int64_t mp_steps) {
  erwin::ErwinConfig c;
  c.c_in = 4;
  c.c_hidden = {8, 16};
  c.ball_sizes = {8, 8};
  c.enc_num_heads = {2, 2};
  c.enc_depths = {2, 2};
  c.dec_num_heads = {2};
  c.dec_depths = {2};
  c.strides = {2};
  c.rotate = rotate;
  c.decode = true;
  c.mlp_ratio = 2;
  c.dimensionality = 3;
  c.mp_steps = mp_steps;
  return c;
}

// A model whose parameters are all O(1) random values (seeded): the published initialisation
// (weights ~0.02, biases 0) makes multi-hop gradients so small that float rounding can turn them
// into exact zeros, which would blur what these tests check (the structure of the network).
erwin::ErwinTransformer random_model(double rotate, int64_t mp_steps) {
  torch::manual_seed(42);
  erwin::ErwinTransformer model(small_config(rotate, mp_steps));
  torch::NoGradGuard no_grad;
  for (auto& parameter : model->parameters()) parameter.normal_(0.0, 0.5);
  return model;
}

// Two clouds of 64 and 32 points (powers of two: no padding slots).
erwin::ErwinInputs small_inputs(uint64_t seed) {
  torch::manual_seed(seed);
  erwin::ErwinInputs in;
  in.node_positions = torch::rand({96, 3});
  in.node_features = torch::randn({96, 4});
  in.batch_idx = torch::cat({torch::zeros({64}, torch::kInt64), torch::ones({32}, torch::kInt64)});
  return in;
}

// Slot of every input node in the tree (its unmasked slot).
int64_t slot_of(const erwin::BallTree& tree, int64_t node) {
  const torch::Tensor slots =
      (tree.tree_idx == node).logical_and(tree.tree_mask).nonzero().flatten();
  return slots[0].item<int64_t>();
}

// Input nodes in the slots of one run [first, first + size) of a slot order.
std::set<int64_t> nodes_in_run(const torch::Tensor& tree_idx, const torch::Tensor& order,
                               int64_t first, int64_t size) {
  std::set<int64_t> set;
  for (int64_t p = first; p < first + size; ++p)
    set.insert(tree_idx[order[p].item<int64_t>()].item<int64_t>());
  return set;
}

}  // namespace

class TestReceptiveField : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void linear_map_influence_is_its_sparsity_pattern() {
    torch::manual_seed(1);
    const torch::Tensor w = sparse_matrix(30, 40, 0.1);
    const torch::Tensor features = torch::randn({40, 3});
    for (int64_t row : {0, 7, 29}) {
      const torch::Tensor field = erwin::receptive_field(
          [&](const torch::Tensor& f) { return torch::matmul(w, f); }, features, row);
      QCOMPARE(field.size(0), int64_t{40});
      QVERIFY(torch::equal(field, w[row] != 0));
    }
  }

  // Two layers with a nonlinearity: the influence set is the support of the boolean product.
  void two_layer_map_composes_supports() {
    torch::manual_seed(2);
    const torch::Tensor a = sparse_matrix(25, 25, 0.08), b = sparse_matrix(25, 25, 0.08);
    const torch::Tensor features = torch::randn({25, 2});
    const torch::Tensor support =
        torch::matmul((a != 0).to(torch::kFloat32), (b != 0).to(torch::kFloat32)) > 0;
    for (int64_t row = 0; row < 25; ++row) {
      const torch::Tensor field = erwin::receptive_field(
          [&](const torch::Tensor& f) {
            return torch::matmul(a, torch::tanh(torch::matmul(b, f)));
          },
          features, row);
      QVERIFY(torch::equal(field, support[row]));
    }
  }

  void a_constant_output_has_an_empty_field() {
    const torch::Tensor field = erwin::receptive_field(
        [](const torch::Tensor& f) {
          return torch::ones({f.size(0), 2});
        },
        torch::randn({5, 2}), 3);
    QVERIFY(!field.any().item<bool>());
  }

  void progress_reports_and_cancels() {
    std::vector<double> seen;
    const auto forward = [](const torch::Tensor& f) { return f * 2; };
    const torch::Tensor field =
        erwin::receptive_field(forward, torch::randn({4, 2}), 1, [&](double x) {
          seen.push_back(x);
          return true;
        });
    QVERIFY(field.defined());
    QVERIFY(torch::equal(field, torch::tensor({false, true, false, false})));
    QVERIFY(seen.size() >= 2 && seen.front() == 0.0 && seen.back() == 1.0);
    for (size_t i = 1; i < seen.size(); ++i) QVERIFY(seen[i] >= seen[i - 1]);
    const torch::Tensor cancelled =
        erwin::receptive_field(forward, torch::randn({4, 2}), 1, [](double x) { return x < 0.5; });
    QVERIFY(!cancelled.defined());
  }

  void bad_arguments_throw() {
    const auto forward = [](const torch::Tensor& f) { return f; };
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             erwin::receptive_field(forward, torch::randn({4, 2}), 4));
    QVERIFY_THROWS_EXCEPTION(
        std::invalid_argument,
        erwin::receptive_field(forward, torch::ones({4, 2}, torch::kInt64), 0));
    const torch::Tensor edges = torch::tensor({0, 1, 1, 2}, torch::kInt64).view({2, 2});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, erwin::khop_neighbourhood(edges, 3, 3, 1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, erwin::khop_neighbourhood(edges, 3, 0, -1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, erwin::khop_neighbourhood(edges, 2, 0, 1));
  }

  void khop_matches_dense_reachability() {
    torch::manual_seed(3);
    const torch::Tensor pos = torch::rand({120, 2});
    const torch::Tensor batch =
        torch::cat({torch::zeros({70}, torch::kInt64), torch::ones({50}, torch::kInt64)});
    const torch::Tensor random_edges = torch::randint(0, 120, {2, 200}, torch::kInt64);
    for (const torch::Tensor& edges : {erwin::knn_graph(pos, batch, 4, false),
                                       erwin::radius_graph(pos, batch, 0.1), random_edges})
      for (int64_t node : {0, 69, 119})
        for (int64_t hops = 0; hops <= 5; ++hops)
          QVERIFY(torch::equal(erwin::khop_neighbourhood(edges, 120, node, hops),
                               dense_reachability(edges, 120, node, hops)));
  }

  // No rotation, no message passing, one block: attention within the node's level-0 ball only.
  void erwin_depth_one_is_the_leaf_ball() {
    erwin::ErwinTransformer model = random_model(0, 0);
    const erwin::ErwinInputs in = small_inputs(4);
    const erwin::BallTree tree = model->build_tree(in.node_positions, in.batch_idx);
    const torch::Tensor identity = torch::arange(tree.tree_idx.size(0), torch::kInt64);
    for (int64_t node : {0, 13, 63, 64, 95}) {
      const int64_t ball = slot_of(tree, node) / 8;
      const torch::Tensor field = erwin::erwin_receptive_field(*model, in, node, 1);
      QCOMPARE(members(field), nodes_in_run(tree.tree_idx, identity, ball * 8, 8));
    }
  }

  // With rotation, block 2 attends within the rotated ball: the union of the original balls of
  // its members.
  void erwin_depth_two_adds_the_rotated_ball() {
    erwin::ErwinTransformer model = random_model(45, 0);
    const erwin::ErwinInputs in = small_inputs(5);
    const erwin::BallTree tree = model->build_tree(in.node_positions, in.batch_idx);
    const torch::Tensor rot = tree.tree_idx_rot.at(0);
    const torch::Tensor position_in_rot = erwin::inverse_permutation(rot);
    const torch::Tensor identity = torch::arange(tree.tree_idx.size(0), torch::kInt64);
    for (int64_t node : {2, 40, 80}) {
      const int64_t rot_ball = position_in_rot[slot_of(tree, node)].item<int64_t>() / 8;
      std::set<int64_t> expected;
      for (int64_t p = rot_ball * 8; p < rot_ball * 8 + 8; ++p) {
        const int64_t ball = rot[p].item<int64_t>() / 8;
        const auto ball_nodes = nodes_in_run(tree.tree_idx, identity, ball * 8, 8);
        expected.insert(ball_nodes.begin(), ball_nodes.end());
      }
      QCOMPARE(members(erwin::erwin_receptive_field(*model, in, node, 2)), expected);
    }
  }

  void erwin_field_grows_with_depth_within_the_cloud() {
    erwin::ErwinTransformer model = random_model(45, 1);
    erwin::ErwinInputs in = small_inputs(6);
    in.radius = 0.3;
    model->train();
    std::vector<double> progress;
    const int64_t node = 10;
    const torch::Tensor fields =
        erwin::erwin_receptive_field_by_depth(*model, in, node, [&](double x) {
          progress.push_back(x);
          return true;
        });
    QVERIFY(model->is_training());  // the mode is restored
    const int64_t depths = erwin::erwin_block_count(*model) + 1;
    QCOMPARE(depths, int64_t{2 + 2 + 2 + 1});
    QCOMPARE(fields.size(0), depths);
    QVERIFY(progress.back() == 1.0);
    const torch::Tensor other_cloud = in.batch_idx != in.batch_idx[node];
    for (int64_t d = 0; d < depths; ++d) {
      QVERIFY(fields[d][node].item<bool>());
      QVERIFY(!fields[d].logical_and(other_cloud).any().item<bool>());
      if (d > 0)
        QVERIFY(fields[d - 1].logical_and(fields[d].logical_not()).sum().item<int64_t>() == 0);
    }
    QVERIFY(fields[depths - 1].sum().item<int64_t>() > fields[1].sum().item<int64_t>());
    // Cancelling stops early and gives nothing.
    QVERIFY(!erwin::erwin_receptive_field_by_depth(*model, in, node, [](double x) {
               return x < 0.3;
             }).defined());
  }

  // Depth 0 is the embedding: mp_steps rounds of message passing, i.e. the k-hop neighbourhood.
  void erwin_depth_zero_is_the_mpnn_khop_neighbourhood() {
    erwin::ErwinTransformer model = random_model(0, 2);
    erwin::ErwinInputs in = small_inputs(7);
    const torch::Tensor edges = erwin::knn_graph(in.node_positions, in.batch_idx, 3);
    in.edge_index = edges;
    for (int64_t node : {1, 50, 90})
      QVERIFY(torch::equal(erwin::erwin_receptive_field(*model, in, node, 0),
                           erwin::khop_neighbourhood(edges, 96, node, 2)));
  }

  void erwin_rejects_bad_depth() {
    erwin::ErwinTransformer model = random_model(0, 0);
    const erwin::ErwinInputs in = small_inputs(8);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, erwin::erwin_receptive_field(*model, in, 0, 7));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             erwin::erwin_receptive_field(*model, in, 0, -1));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             erwin::erwin_receptive_field(*model, in, 96, 1));
  }
};

QTEST_APPLESS_MAIN(TestReceptiveField)
#include "tst_receptive_field.moc"
