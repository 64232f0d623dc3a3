// radius_graph and knn_graph on uniform random clouds: 16 clouds of 4096 points and one cloud of
// 100k points, in 3D. Run: build/tests/bench_graphs (prints the median of 5 repetitions).
#include <benchmark/benchmark.h>

#include <cmath>

#include "erwin/graphs.h"

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kMeanRadiusNeighbours = 16.0;  // about what the paper's radius graphs hold
constexpr int64_t kNearest = 8;                 // k of the ShapeNet-Car experiment

struct Clouds {
  torch::Tensor pos;
  torch::Tensor batch_idx;
};

Clouds uniform_clouds(int64_t num_clouds, int64_t points_per_cloud) {
  torch::manual_seed(0);
  return {torch::rand({num_clouds * points_per_cloud, 3}),
          torch::arange(num_clouds, torch::kInt64).repeat_interleave(points_per_cloud)};
}

// The radius whose ball holds kMeanRadiusNeighbours points of a unit-cube cloud on average.
double radius_for(int64_t points_per_cloud) {
  return std::cbrt(kMeanRadiusNeighbours / points_per_cloud * 3.0 / (4.0 * kPi));
}

void BM_radius_graph(benchmark::State& state) {
  const Clouds clouds = uniform_clouds(state.range(0), state.range(1));
  const double radius = radius_for(state.range(1));
  int64_t edges = 0;
  for (auto _ : state) edges = erwin::radius_graph(clouds.pos, clouds.batch_idx, radius).size(1);
  state.counters["edges"] = static_cast<double>(edges);
  state.counters["points/s"] = benchmark::Counter(static_cast<double>(clouds.pos.size(0)),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

void BM_knn_graph(benchmark::State& state) {
  const Clouds clouds = uniform_clouds(state.range(0), state.range(1));
  int64_t edges = 0;
  for (auto _ : state) edges = erwin::knn_graph(clouds.pos, clouds.batch_idx, kNearest).size(1);
  state.counters["edges"] = static_cast<double>(edges);
  state.counters["points/s"] = benchmark::Counter(static_cast<double>(clouds.pos.size(0)),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

void sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"clouds", "points"})
      ->Args({16, 4096})
      ->Args({1, 100000})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime()
      ->Repetitions(5)
      ->ReportAggregatesOnly(true);
}

}  // namespace

BENCHMARK(BM_radius_graph)->Apply(sizes);
BENCHMARK(BM_knn_graph)->Apply(sizes);

BENCHMARK_MAIN();
