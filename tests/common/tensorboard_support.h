#pragma once
// Reading a run folder's TensorBoard event files with the `tensorboard` package of the .venv
// (installed by scripts/setup-deps.sh), and comparing them with the run's metrics.jsonl.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QVector>
#include <cmath>
#include <cstdint>
#include <vector>

#include "erwin/training/run_log.h"
#include "process_support.h"

namespace erwin::test {

struct ScalarEvent {
  int64_t step = 0;
  double value = 0;
  double wall_time = 0;
};
using ScalarsByTag = QMap<QString, QVector<ScalarEvent>>;

struct EventFolder {
  int files = 0;
  QString file_version;      // of the first event of the first file
  ScalarsByTag raw;          // every scalar of every file, in file order (event_file_loader)
  ScalarsByTag accumulated;  // what TensorBoard shows (EventAccumulator)
};

// Fills `out` on success; REQUIRE_SUCCESS the returned run.
inline Run read_event_folder(const QString& folder, EventFolder* out) {
  static const char* script = R"(
import glob, json, sys
from tensorboard.backend.event_processing import event_file_loader
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
folder = sys.argv[1]
files = sorted(glob.glob(folder + "/events.out.tfevents.*"))
raw, version = {}, None
for f in files:
    for event in event_file_loader.LegacyEventFileLoader(f).Load():
        if version is None:
            version = event.file_version
        for v in event.summary.value:
            raw.setdefault(v.tag, []).append([event.step, v.simple_value, event.wall_time])
acc = EventAccumulator(folder, size_guidance={"scalars": 0})
acc.Reload()
accumulated = {t: [[e.step, e.value, e.wall_time] for e in acc.Scalars(t)]
               for t in acc.Tags()["scalars"]}
print(json.dumps({"files": len(files), "file_version": version, "raw": raw,
                  "accumulated": accumulated}))
)";
  const Run run = run_python(script, {folder});
  if (run.exit_code != 0) return run;
  const QJsonObject root = QJsonDocument::fromJson(run.out.toUtf8()).object();
  const auto scalars = [](const QJsonObject& tags) {
    ScalarsByTag result;
    for (auto it = tags.begin(); it != tags.end(); ++it)
      for (const QJsonValue& e : it.value().toArray()) {
        const QJsonArray a = e.toArray();
        result[it.key()].push_back(
            {static_cast<int64_t>(a[0].toDouble()), a[1].toDouble(), a[2].toDouble()});
      }
    return result;
  };
  out->files = root["files"].toInt();
  out->file_version = root["file_version"].toString();
  out->raw = scalars(root["raw"].toObject());
  out->accumulated = scalars(root["accumulated"].toObject());
  return run;
}

// The scalars that `lines` of metrics.jsonl should have given, by tag.
inline ScalarsByTag expected_scalars(const std::vector<LoggedMetrics>& lines) {
  ScalarsByTag expected;
  for (const LoggedMetrics& l : lines) {
    const MetricsRecord& r = l.record;
    expected["train/loss"].push_back({r.step, r.train_loss, l.wall_time});
    expected["train/lr"].push_back({r.step, r.lr, l.wall_time});
    expected["train/samples_per_second"].push_back({r.step, r.samples_per_second, l.wall_time});
    if (r.val_loss) expected["val/loss"].push_back({r.step, *r.val_loss, l.wall_time});
  }
  return expected;
}

// "" when `got` holds exactly the tags, steps and (float32) values of `expected`, with the
// same wall times; else what differs.
inline QString compare_scalars(const ScalarsByTag& got, const ScalarsByTag& expected) {
  if (got.keys() != expected.keys())
    return QString("tags %1 instead of %2").arg(got.keys().join(","), expected.keys().join(","));
  for (auto it = expected.begin(); it != expected.end(); ++it) {
    const QVector<ScalarEvent>& g = got[it.key()];
    if (g.size() != it.value().size())
      return QString("%1: %2 events instead of %3").arg(it.key()).arg(g.size()).arg(it->size());
    for (int i = 0; i < g.size(); ++i) {
      const ScalarEvent& e = it.value()[i];
      if (g[i].step != e.step || static_cast<float>(g[i].value) != static_cast<float>(e.value) ||
          std::abs(g[i].wall_time - e.wall_time) > 1e-3)
        return QString("%1[%2]: step %3 value %4 time %5 instead of step %6 value %7 time %8")
            .arg(it.key())
            .arg(i)
            .arg(g[i].step)
            .arg(g[i].value, 0, 'g', 9)
            .arg(g[i].wall_time, 0, 'f', 3)
            .arg(e.step)
            .arg(e.value, 0, 'g', 9)
            .arg(e.wall_time, 0, 'f', 3);
    }
  }
  return "";
}

}  // namespace erwin::test
