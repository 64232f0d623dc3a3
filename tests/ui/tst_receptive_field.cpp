// The receptive-field worker runs off the GUI thread, finishes, and marks at least the clicked
// node itself (Erwin and the MPNN k-hop neighbourhood); a deeper model sees no fewer points.
#include <QSignalSpy>
#include <QTest>

#include "erwin/ui/demo_scene.h"
#include "erwin/ui/receptive_field_runner.h"
#include "test_support.h"

using namespace erwin::ui;

namespace {

ReceptiveFieldRequest request_for(const torch::Tensor& pos, int64_t node, int64_t depth) {
  ReceptiveFieldRequest request;
  request.pos = pos;
  request.node = node;
  request.depth = depth;
  request.config = default_receptive_field_config(pos.size(0), pos.size(1), 45.0);
  request.seed = 11;
  return request;
}

ReceptiveFieldResultPtr run(ReceptiveFieldRunner& runner, const ReceptiveFieldRequest& request) {
  QSignalSpy finished(&runner, &ReceptiveFieldRunner::finished);
  QSignalSpy failed(&runner, &ReceptiveFieldRunner::failed);
  runner.start(request);
  if (!finished.wait(300000)) {
    qWarning() << "receptive field failed:" << failed.value(0).value(0).toString();
    return nullptr;
  }
  return finished.first().first().value<ReceptiveFieldResultPtr>();
}

}  // namespace

class TestReceptiveField : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void worker_marks_the_node_itself() {
    const torch::Tensor pos = demo_mesh_2d(20, 40).pos;  // 800 points, 2D
    ReceptiveFieldRunner runner;
    QSignalSpy progress(&runner, &ReceptiveFieldRunner::progress);
    const int64_t node = 123;
    const ReceptiveFieldResultPtr shallow = run(runner, request_for(pos, node, 1));
    QVERIFY(shallow != nullptr);
    QVERIFY(!runner.busy());
    QVERIFY(progress.count() > 0);
    QCOMPARE(shallow->erwin.size(0), pos.size(0));
    QVERIFY(shallow->erwin[node].item<bool>());
    QVERIFY(shallow->khop[node].item<bool>());
    QVERIFY(shallow->block_count > 1);

    const ReceptiveFieldResultPtr deep = run(runner, request_for(pos, node, shallow->block_count));
    QVERIFY(deep != nullptr);
    QVERIFY(deep->erwin.sum().item<int64_t>() >= shallow->erwin.sum().item<int64_t>());
    QVERIFY(deep->khop.sum().item<int64_t>() >= shallow->khop.sum().item<int64_t>());
  }

  void bad_node_is_reported() {
    const torch::Tensor pos = demo_mesh_2d(10, 20).pos;
    ReceptiveFieldRunner runner;
    QSignalSpy failed(&runner, &ReceptiveFieldRunner::failed);
    runner.start(request_for(pos, pos.size(0) + 5, 1));
    QVERIFY(failed.wait(60000));
    QVERIFY(failed.first().first().toString().contains("node"));
  }
};

QTEST_MAIN(TestReceptiveField)
#include "tst_receptive_field.moc"
