#include "erwin/training/metrics.h"

#include <stdexcept>

#include "json_fields.h"

namespace erwin {

bool MetricsRecord::operator==(const MetricsRecord& other) const {
  return step == other.step && train_loss == other.train_loss && val_loss == other.val_loss &&
         lr == other.lr && samples_per_second == other.samples_per_second &&
         elapsed_seconds == other.elapsed_seconds;
}

void MetricsHistory::append(const MetricsRecord& record) { records_.push_back(record); }

std::string MetricsHistory::to_json() const {
  auto array = nlohmann::json::array();
  for (const MetricsRecord& r : records_) {
    array.push_back({{"step", r.step},
                     {"train_loss", r.train_loss},
                     {"val_loss", r.val_loss ? nlohmann::json(*r.val_loss) : nlohmann::json()},
                     {"lr", r.lr},
                     {"samples_per_second", r.samples_per_second},
                     {"elapsed_seconds", r.elapsed_seconds}});
  }
  return array.dump();
}

MetricsHistory MetricsHistory::from_json(const std::string& json_text) {
  const auto array = detail::parse_json(json_text, "metrics");
  if (!array.is_array()) throw std::invalid_argument("metrics: expected a JSON array");
  MetricsHistory history;
  for (size_t i = 0; i < array.size(); ++i) {
    const std::string context = "metrics[" + std::to_string(i) + "]";
    const auto& obj = detail::require_object(array[i], context);
    detail::reject_unknown_keys(
        obj, {"step", "train_loss", "val_loss", "lr", "samples_per_second", "elapsed_seconds"},
        context);
    MetricsRecord r;
    detail::read_field(obj, "step", context, r.step);
    detail::read_field(obj, "train_loss", context, r.train_loss);
    if (obj.contains("val_loss") && !obj["val_loss"].is_null()) {
      double val = 0;
      detail::read_field(obj, "val_loss", context, val);
      r.val_loss = val;
    }
    detail::read_field(obj, "lr", context, r.lr);
    detail::read_field(obj, "samples_per_second", context, r.samples_per_second);
    detail::read_field(obj, "elapsed_seconds", context, r.elapsed_seconds);
    history.append(r);
  }
  return history;
}

}  // namespace erwin
