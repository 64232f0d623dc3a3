// Ball-tree construction: the fast builder against the published algorithm (single-threaded
// recursive std::nth_element over an index array with the published comparator,
// erwin::reference::build_balltree_*_published), 3-D uniform random
// clouds. Prints Google Benchmark's medians, then a summary with points per second and the
// speed-up per case. Also times the builder the model uses (build_balltree_published_order: the
// published recursion, clouds in parallel) and the tree queries on one million points.
//
//   build-*/tests/bench_balltree [--benchmark_filter=...]   (5 repetitions each)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "erwin/balltree.h"
#include "erwin/balltree_published.h"
#include "erwin/convex_hull.h"
#include "erwin/tree_queries.h"

namespace {

constexpr int kRepetitions = 5;

struct Batch {
  torch::Tensor pos, batch_idx;
};

Batch uniform_batch(int64_t clouds, int64_t points) {
  torch::manual_seed(1234);
  return {torch::rand({clouds * points, 3}),
          torch::arange(clouds, torch::kInt64).repeat_interleave(points)};
}

// The published README configuration: strides 2,2,2,2, balls of 128 at every level, 45 degrees.
// At 1000 points per cloud the coarsest level holds 64 nodes per cloud, so, as in the published
// code, a ball there holds two whole clouds.
erwin::RotationOptions readme_rotations() {
  erwin::RotationOptions options{{2, 2, 2, 2}, {128, 128, 128, 128, 128}, 45.0};
  options.balls_across_clouds = true;
  return options;
}

struct Case {
  int64_t clouds, points;
  bool rotations;
  std::string label() const {
    return std::string(rotations ? "tree+rot" : "tree") + "/" + std::to_string(clouds) + "x" +
           std::to_string(points);
  }
};

enum class Builder { Baseline, Ours, PublishedOrder };

std::string prefix(Builder builder) {
  switch (builder) {
    case Builder::Baseline:
      return "baseline/";
    case Builder::Ours:
      return "ours/";
    default:
      return "published-order/";
  }
}

erwin::BallTree build(const Case& c, const Batch& batch, Builder builder) {
  const erwin::RotationOptions options =
      c.rotations ? readme_rotations() : erwin::RotationOptions{};
  switch (builder) {
    case Builder::Baseline:
      return c.rotations ? erwin::reference::build_balltree_with_rotations_published(
                               batch.pos, batch.batch_idx, options)
                         : erwin::reference::build_balltree_published(batch.pos, batch.batch_idx);
    case Builder::Ours:
      return c.rotations ? erwin::build_balltree_with_rotations(batch.pos, batch.batch_idx, options)
                         : erwin::build_balltree(batch.pos, batch.batch_idx);
    default:
      return erwin::build_balltree_published_order(batch.pos, batch.batch_idx, options);
  }
}

void register_build(const Case& c, Builder builder) {
  const std::string name = prefix(builder) + c.label();
  benchmark::RegisterBenchmark(name.c_str(),
                               [c, builder](benchmark::State& state) {
                                 const Batch batch = uniform_batch(c.clouds, c.points);
                                 for (auto _ : state)
                                   benchmark::DoNotOptimize(build(c, batch, builder));
                                 state.SetItemsProcessed(state.iterations() * c.clouds * c.points);
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Repetitions(kRepetitions)
      ->ReportAggregatesOnly(true);
}

template <class Query>
void register_query(const std::string& name, Query query) {
  benchmark::RegisterBenchmark(("query/" + name + "/1x1000000").c_str(),
                               [query](benchmark::State& state) {
                                 const Batch batch = uniform_batch(1, 1000000);
                                 const erwin::BallTree tree =
                                     erwin::build_balltree(batch.pos, batch.batch_idx);
                                 for (auto _ : state) query(tree, batch.pos);
                                 state.SetItemsProcessed(state.iterations() * 1000000);
                               })
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Repetitions(kRepetitions)
      ->ReportAggregatesOnly(true);
}

// Collects the median real time of each benchmark for the summary.
class MedianCollector : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.aggregate_name == "median")
        seconds_[run.run_name.function_name] = run.GetAdjustedRealTime() / 1e3;  // ms -> s
    }
    ConsoleReporter::ReportRuns(runs);
  }
  bool has(const std::string& name) const { return seconds_.count(name) != 0; }
  double seconds(const std::string& name) const { return seconds_.at(name); }

 private:
  std::map<std::string, double> seconds_;
};

void print_summary(const MedianCollector& medians, const std::vector<Case>& cases) {
  std::printf("\nMedians, %u hardware threads (points per second = input points / time)\n",
              std::thread::hardware_concurrency());
  std::printf("%-18s %11s %9s %14s %14s %8s %12s %8s\n", "case", "baseline ms", "ours ms",
              "baseline pts/s", "ours pts/s", "speed-up", "pub-order ms", "speed-up");
  for (const Case& c : cases) {
    const std::string base = prefix(Builder::Baseline) + c.label(),
                      ours = prefix(Builder::Ours) + c.label(),
                      in_order = prefix(Builder::PublishedOrder) + c.label();
    if (!medians.has(base) || !medians.has(ours)) continue;
    const double points = double(c.clouds * c.points);
    const double tb = medians.seconds(base), to = medians.seconds(ours);
    std::printf("%-18s %11.2f %9.2f %14.3e %14.3e %7.2fx", c.label().c_str(), tb * 1e3, to * 1e3,
                points / tb, points / to, tb / to);
    if (medians.has(in_order)) {
      const double tp = medians.seconds(in_order);
      std::printf(" %12.2f %7.2fx", tp * 1e3, tb / tp);
    }
    std::printf("\n");
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  std::vector<Case> cases;
  for (bool rotations : {false, true}) {
    for (int64_t points : {1000, 2000, 4000, 8000, 16000}) cases.push_back({16, points, rotations});
    cases.push_back({1, 1000000, rotations});
  }
  for (const Case& c : cases) {
    for (Builder builder : {Builder::Baseline, Builder::Ours, Builder::PublishedOrder})
      register_build(c, builder);
  }
  register_query("point_slots", [](const erwin::BallTree& t, const torch::Tensor&) {
    benchmark::DoNotOptimize(erwin::point_slots(t));
  });
  register_query("ball_geometry_level7", [](const erwin::BallTree& t, const torch::Tensor& p) {
    benchmark::DoNotOptimize(erwin::ball_geometry(t, p, 7));
  });
  register_query("ball_geometry_all_levels", [](const erwin::BallTree& t, const torch::Tensor& p) {
    benchmark::DoNotOptimize(erwin::ball_geometry_all_levels(t, p));
  });
  register_query("coarsened_positions_2222", [](const erwin::BallTree& t, const torch::Tensor& p) {
    benchmark::DoNotOptimize(erwin::coarsened_positions(t, p, {2, 2, 2, 2}));
  });
  register_query("ball_hulls_level7", [](const erwin::BallTree& t, const torch::Tensor& p) {
    benchmark::DoNotOptimize(erwin::ball_hulls(p, t.tree_idx, 7));  // 8192 hulls
  });
  MedianCollector medians;
  benchmark::RunSpecifiedBenchmarks(&medians);
  print_summary(medians, cases);
  benchmark::Shutdown();
  return 0;
}
