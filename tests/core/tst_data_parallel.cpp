// The c10d collectives that data-parallel training uses (erwin/training/data_parallel.h), over
// Gloo on 127.0.0.1 with one rank per thread, checked against the same computation done in one
// process: LibTorch's Gloo is compiled against Gloo headers other than the ones we build with
// (README "Data-parallel training"), so what we use is tested here. Also the data shards
// against PyTorch's DistributedSampler, and the failures a group must report instead of hanging.
#include <QElapsedTimer>
#include <QTest>
#include <algorithm>
#include <exception>
#include <functional>
#include <thread>

#include "distributed_support.h"
#include "erwin/training/data_order.h"
#include "erwin/training/data_parallel.h"

namespace {

using namespace erwin;
using Ms = std::chrono::milliseconds;

// Runs `body(group)` on `world` ranks, one thread each, over a fresh port; returns each rank's
// error message ("" when it succeeded).
std::vector<std::string> on_ranks(int world, const std::function<void(DataParallel&)>& body,
                                  Ms timeout = Ms(20000)) {
  const int port = erwin::free_loopback_port();
  std::vector<std::string> errors(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r)
    threads.emplace_back([&, r] {
      try {
        DistributedLaunch launch;
        launch.rank = r;
        launch.world_size = world;
        launch.master_port = port;
        DataParallel group(launch, torch::kCPU, timeout);
        body(group);
      } catch (const std::exception& e) {
        errors[static_cast<size_t>(r)] = e.what();
      }
    });
  for (auto& t : threads) t.join();
  return errors;
}

void require_no_errors(const std::vector<std::string>& errors) {
  for (size_t r = 0; r < errors.size(); ++r)
    QVERIFY2(errors[r].empty(), qPrintable(QString("rank %1: %2").arg(r).arg(errors[r].c_str())));
}

// Parameters of ~28 MB (two gradient buckets) and a few small ones.
struct Wide : torch::nn::Module {
  Wide() {
    big = register_parameter("big", torch::zeros({4, 1 << 20}));
    medium = register_parameter("medium", torch::zeros({3, 1 << 20}));
    small = register_parameter("small", torch::zeros({5}));
    unused = register_parameter("unused", torch::zeros({3}));
    stats = register_buffer("stats", torch::zeros({7}));
    count = register_buffer("count", torch::tensor({int64_t{0}}));
  }
  torch::Tensor big, medium, small, unused, stats, count;
};

// Values of `like`'s shape that depend on (rank, index) and that every thread can recompute
// (torch's global random generator is shared between the threads).
torch::Tensor pattern(const torch::Tensor& like, int rank, int index) {
  const auto x = torch::arange(like.numel(), torch::kFloat64);
  return torch::sin(x * (1e-3 * (rank + 1)) + index).to(like.dtype()).view_as(like);
}

// Gives `model`'s parameters and float buffers rank `rank`'s values, its counter rank + 5.
void fill(Wide& model, int rank) {
  torch::NoGradGuard no_grad;
  int index = 0;
  for (auto& p : model.parameters()) p.copy_(pattern(p, rank, index++));
  model.stats.copy_(pattern(model.stats, rank, index));
  model.count.fill_(rank + 5);
}

}  // namespace

class TestDataParallel : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(1); }

  // Each rank's shard of each step's global batch is what PyTorch's DistributedSampler (same
  // seeded epoch order, indices[rank::world]) batched by batch/world gives that rank.
  void shards_are_distributed_sampler_batches() {
    const int64_t size = 37, per_rank = 3;
    const uint64_t seed = 11;
    for (int world : {1, 2, 3}) {
      const int64_t global = per_rank * world;
      const int64_t steps_per_epoch = size / global;
      for (int64_t step = 0; step < 3 * steps_per_epoch; ++step) {
        const auto batch = batch_for_step(seed, step, size, global);
        const auto order = epoch_permutation(seed, step / steps_per_epoch, size);
        std::vector<int64_t> seen;
        for (int r = 0; r < world; ++r) {
          std::vector<int64_t> sampler;  // DistributedSampler(shuffle, drop_last) for rank r
          for (size_t i = static_cast<size_t>(r); i < order.size(); i += static_cast<size_t>(world))
            sampler.push_back(order[i]);
          const int64_t k = step % steps_per_epoch;
          const std::vector<int64_t> expected(sampler.begin() + k * per_rank,
                                              sampler.begin() + (k + 1) * per_rank);
          const auto shard = rank_shard(batch, r, world);
          QCOMPARE(shard, expected);
          seen.insert(seen.end(), shard.begin(), shard.end());
        }
        std::sort(seen.begin(), seen.end());
        QVERIFY(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // disjoint
        QCOMPARE(seen.size(), batch.size());
      }
    }
    erwin::test::expect_invalid_argument([] { rank_shard({1, 2}, 0, 3); }, "cannot feed 3");
  }

  void environment_is_read_like_torchrun() {
    qputenv("WORLD_SIZE", "4");
    qputenv("RANK", "2");
    qunsetenv("LOCAL_RANK");
    qputenv("MASTER_ADDR", "10.0.0.7");
    qputenv("MASTER_PORT", "29511");
    const auto launch = DistributedLaunch::from_environment();
    QVERIFY(launch.has_value());
    QCOMPARE(launch->rank, 2);
    QCOMPARE(launch->local_rank, 2);
    QCOMPARE(launch->world_size, 4);
    QCOMPARE(launch->master_addr, std::string("10.0.0.7"));
    QCOMPARE(launch->master_port, 29511);
    qputenv("RANK", "4");
    erwin::test::expect_invalid_argument([] { DistributedLaunch::from_environment(); }, "RANK='4'");
    qputenv("RANK", "1");
    qputenv("MASTER_PORT", "http");
    erwin::test::expect_invalid_argument([] { DistributedLaunch::from_environment(); },
                                         "MASTER_PORT='http'");
    for (const char* name : {"WORLD_SIZE", "RANK", "MASTER_ADDR", "MASTER_PORT"}) qunsetenv(name);
    QVERIFY(!DistributedLaunch::from_environment().has_value());
  }

  void sums_equal_the_single_process_sum() {
    const int world = 3;
    std::vector<std::vector<double>> results(world);
    require_no_errors(on_ranks(world, [&](DataParallel& g) {
      results[static_cast<size_t>(g.rank())] = g.sum({1.5 * g.rank(), -2.0, 1e-9 * (g.rank() + 1)});
    }));
    for (const auto& r : results) {
      QCOMPARE(r.size(), size_t{3});
      QCOMPARE(r[0], 1.5 * (0 + 1 + 2));
      QCOMPARE(r[1], -6.0);
      QCOMPARE(r[2], 1e-9 + 2e-9 + 3e-9);
    }
  }

  // Bucketed all-reduce over two 25 MB buckets: each gradient becomes sum_r weight_r x g_r, as
  // computed here in one process; a parameter without gradient keeps none.
  void gradients_are_the_weighted_sum_over_ranks() {
    const int world = 3;
    const std::vector<double> weights{0.5, 0.25, 0.25};
    std::vector<std::vector<torch::Tensor>> reduced(world);
    require_no_errors(on_ranks(world, [&](DataParallel& g) {
      Wide model;
      const auto params = model.parameters();
      for (size_t i = 0; i + 1 < params.size(); ++i)  // "unused" gets no gradient
        params[i].mutable_grad() = pattern(params[i], g.rank(), static_cast<int>(i));
      g.reduce_gradients(model, weights[static_cast<size_t>(g.rank())]);
      for (const auto& p : model.parameters())
        reduced[static_cast<size_t>(g.rank())].push_back(p.grad());
    }));
    Wide shapes;
    const auto params = shapes.parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      if (i + 1 == params.size()) {
        for (int r = 0; r < world; ++r) QVERIFY(!reduced[static_cast<size_t>(r)][i].defined());
        continue;
      }
      torch::Tensor expected = torch::zeros_like(params[i]);
      for (int r = 0; r < world; ++r)
        expected += weights[static_cast<size_t>(r)] * pattern(params[i], r, static_cast<int>(i));
      for (int r = 0; r < world; ++r) {
        const torch::Tensor& got = reduced[static_cast<size_t>(r)][i];
        const double error = (got - expected).abs().max().item<double>();
        QVERIFY2(error < 1e-6,
                 qPrintable(QString("param %1 rank %2: %3").arg(i).arg(r).arg(error)));
      }
    }
  }

  // Parameters and buffers (float and int64) of rank 0 reach every rank; then the replicas are
  // identical, and a single changed weight on one rank is seen by all.
  void broadcast_copies_rank0_and_differences_are_found() {
    const int world = 2;
    std::vector<std::vector<torch::Tensor>> states(world);
    std::vector<double> before(world), after(world), perturbed(world);
    require_no_errors(on_ranks(world, [&](DataParallel& g) {
      Wide model;
      fill(model, g.rank());
      before[static_cast<size_t>(g.rank())] = g.max_parameter_difference(model);
      g.broadcast_state(model);
      after[static_cast<size_t>(g.rank())] = g.max_parameter_difference(model);
      for (const auto& t : model.parameters())
        states[static_cast<size_t>(g.rank())].push_back(t.clone());
      for (const auto& t : model.buffers())
        states[static_cast<size_t>(g.rank())].push_back(t.clone());
      if (g.rank() == 1) {
        torch::NoGradGuard no_grad;
        model.small[3] += 0.125;
      }
      perturbed[static_cast<size_t>(g.rank())] = g.max_parameter_difference(model);
    }));
    Wide rank0;
    fill(rank0, 0);
    std::vector<torch::Tensor> expected = rank0.parameters();
    for (const auto& b : rank0.buffers()) expected.push_back(b);
    for (int r = 0; r < world; ++r) {
      QVERIFY(before[static_cast<size_t>(r)] > 0.1);
      QCOMPARE(after[static_cast<size_t>(r)], 0.0);
      QVERIFY(std::abs(perturbed[static_cast<size_t>(r)] - 0.125) < 1e-6);
      for (size_t i = 0; i < expected.size(); ++i)
        QVERIFY2(torch::equal(states[static_cast<size_t>(r)][i], expected[i]),
                 qPrintable(QString("rank %1 tensor %2").arg(r).arg(i)));
    }
  }

  void barrier_waits_for_every_rank_and_any_agrees() {
    const int world = 3;
    std::vector<qint64> waited(world);
    std::vector<int> any_results(world), none_results(world);
    std::vector<int64_t> values(world);
    std::vector<std::string> texts(world);
    require_no_errors(on_ranks(world, [&](DataParallel& g) {
      if (g.rank() == 2) std::this_thread::sleep_for(Ms(400));
      QElapsedTimer timer;
      timer.start();
      g.barrier();
      waited[static_cast<size_t>(g.rank())] = timer.elapsed();
      any_results[static_cast<size_t>(g.rank())] = g.any(g.rank() == 1);
      none_results[static_cast<size_t>(g.rank())] = g.any(false);
      values[static_cast<size_t>(g.rank())] = g.broadcast_value(100 + g.rank());
      texts[static_cast<size_t>(g.rank())] =
          g.share_text("key", "from rank " + std::to_string(g.rank()));
    }));
    QVERIFY2(waited[0] >= 300 && waited[1] >= 300,
             qPrintable(QString("%1 %2").arg(waited[0]).arg(waited[1])));
    for (int r = 0; r < world; ++r) {
      QCOMPARE(any_results[static_cast<size_t>(r)], 1);
      QCOMPARE(none_results[static_cast<size_t>(r)], 0);
      QCOMPARE(values[static_cast<size_t>(r)], int64_t{100});
      QCOMPARE(texts[static_cast<size_t>(r)], std::string("from rank 0"));
    }
  }

  // A rank that never comes: the others stop within the timeout, naming the rendezvous.
  void incomplete_rendezvous_times_out() {
    QElapsedTimer timer;
    timer.start();
    DistributedLaunch launch;
    launch.world_size = 2;
    launch.master_port = erwin::free_loopback_port();
    try {
      DataParallel group(launch, torch::kCPU, Ms(3000));
      QFAIL("a group of 2 formed with one rank");
    } catch (const std::runtime_error& e) {
      const QString message = e.what();
      QVERIFY2(message.contains("rank 0 of 2: the rendezvous at 127.0.0.1:") &&
                   message.contains("within 3 s"),
               qPrintable(message));
    }
    qInfo("rank 0 alone gave up after %lld ms", static_cast<long long>(timer.elapsed()));
    QVERIFY(timer.elapsed() < 3000 + 5000);
  }

  // A rank that leaves: the other's next collective fails with a message, not a hang.
  void departed_rank_ends_the_others_collectives() {
    QElapsedTimer timer;
    timer.start();
    const auto errors = on_ranks(
        2,
        [&](DataParallel& g) {
          g.barrier();
          if (g.rank() == 1) return;  // leaves the group (its DataParallel is destroyed)
          for (int i = 0; i < 1000; ++i) g.sum({1.0});
        },
        Ms(5000));
    QVERIFY(errors[1].empty());
    QVERIFY2(errors[0].find("rank 0 of 2: all-reduce of metrics failed") != std::string::npos,
             errors[0].c_str());
    qInfo("rank 0 stopped %lld ms after the start: %s", static_cast<long long>(timer.elapsed()),
          errors[0].c_str());
    QVERIFY(timer.elapsed() < 5000 + 5000);
  }
};

QTEST_GUILESS_MAIN(TestDataParallel)
#include "tst_data_parallel.moc"
