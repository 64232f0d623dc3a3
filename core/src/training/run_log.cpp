#include "erwin/training/run_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "erwin/atomic_file.h"
#include "erwin/io_util.h"
#include "erwin/training/tensorboard_writer.h"
#include "json_fields.h"

namespace erwin {
namespace {

namespace fs = std::filesystem;

// metrics.jsonl is read in pieces of at most kMetricsPiece bytes, so a damaged or huge file costs
// bounded memory; a line (about 200 bytes) longer than kMaxMetricsLine is damage.
constexpr int64_t kMetricsPiece = int64_t{16} << 20, kMaxMetricsLine = int64_t{1} << 20;

// Up to `count` bytes of the open file `fd` from `offset` (fewer at its end).
std::string read_piece(int fd, int64_t offset, int64_t count, const std::string& path) {
  std::string bytes(static_cast<size_t>(count), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::pread(fd, bytes.data() + done, bytes.size() - done,
                                static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw std::invalid_argument(path + ": reading failed: " + std::strerror(errno));
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  bytes.resize(done);
  return bytes;
}

// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

double unix_time_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

template <typename T>
void require_field(const nlohmann::json& obj, const char* key, const std::string& context, T& out) {
  if (!obj.contains(key)) throw std::invalid_argument(context + "." + key + ": missing");
  detail::read_field(obj, key, context, out);
}

// The lines already in the folder, by step; a record that cannot be read is simply rewritten.
std::map<int64_t, LoggedMetrics> logged_by_step(const std::string& path) {
  std::map<int64_t, LoggedMetrics> by_step;
  try {
    for (const LoggedMetrics& logged : MetricsFileReader(path).read_new().records)
      by_step[logged.record.step] = logged;
  } catch (const std::invalid_argument&) {
  }
  return by_step;
}

void remove_event_files(const std::string& folder) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      fs::remove(entry.path());
}

void write_run_summary(const std::string& folder, const RunSummary& summary) {
  const nlohmann::json root = {{"checkpoint", summary.checkpoint},
                               {"parameters", summary.parameters},
                               {"run_config", nlohmann::json::parse(summary.config.to_json())}};
  write_file_atomically((fs::path(folder) / kRunFileName).string(), root.dump(2) + "\n");
}

}  // namespace

std::string run_folder_of(const std::string& checkpoint_path) {
  const fs::path parent = fs::path(checkpoint_path).parent_path();
  return parent.empty() ? "." : parent.string();
}

std::string metrics_json_line(const LoggedMetrics& logged) {
  const MetricsRecord& r = logged.record;
  nlohmann::ordered_json line = {{"step", r.step},
                                 {"wall_time", logged.wall_time},
                                 {"elapsed_seconds", r.elapsed_seconds},
                                 {"train_loss", r.train_loss},
                                 {"lr", r.lr},
                                 {"samples_per_second", r.samples_per_second}};
  if (r.val_loss) line["val_loss"] = *r.val_loss;
  return line.dump();
}

LoggedMetrics parse_metrics_json_line(const std::string& line, const std::string& context) {
  const nlohmann::json obj = detail::require_object(detail::parse_json(line, context), context);
  LoggedMetrics logged;
  MetricsRecord& r = logged.record;
  require_field(obj, "step", context, r.step);
  require_field(obj, "wall_time", context, logged.wall_time);
  require_field(obj, "train_loss", context, r.train_loss);
  require_field(obj, "lr", context, r.lr);
  detail::read_field(obj, "elapsed_seconds", context, r.elapsed_seconds);
  detail::read_field(obj, "samples_per_second", context, r.samples_per_second);
  if (obj.contains("val_loss")) {
    double val = 0;
    detail::read_field(obj, "val_loss", context, val);
    r.val_loss = val;
  }
  return logged;
}

MetricsFileReader::Update MetricsFileReader::read_new() {
  Update update;
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) {  // missing (not written yet, or being replaced)
    update.restarted = offset_ > 0;
    inode_ = 0;
    offset_ = line_ = 0;
    return update;
  }
  if (info.st_ino != inode_ || info.st_size < offset_) {
    update.restarted = inode_ != 0;
    inode_ = info.st_ino;
    offset_ = line_ = 0;
  }
  if (!S_ISREG(info.st_mode)) throw std::invalid_argument(path_ + ": not a regular file");
  if (info.st_size == offset_) return update;
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::invalid_argument(path_ + ": cannot open: " + std::strerror(errno));
  const FdCloser closer{fd};
  // Complete lines only: a line still being written (no newline yet) is read next time.
  for (std::string rest; offset_ + static_cast<int64_t>(rest.size()) < info.st_size;) {
    const int64_t start = offset_ + static_cast<int64_t>(rest.size());
    const std::string piece =
        read_piece(fd, start, std::min(kMetricsPiece, info.st_size - start), path_);
    if (piece.empty()) break;  // the file shrank while being read
    const std::string text = rest + piece;
    size_t begin = 0;
    for (size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', begin)) {
      ++line_;
      const std::string line = text.substr(begin, end - begin);
      begin = end + 1;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      update.records.push_back(
          parse_metrics_json_line(line, path_ + ": line " + std::to_string(line_)));
    }
    offset_ += static_cast<int64_t>(begin);
    rest = text.substr(begin);
    if (static_cast<int64_t>(rest.size()) > kMaxMetricsLine)
      throw std::invalid_argument(path_ + ": line " + std::to_string(line_ + 1) +
                                  ": more than 1 MiB without a line end (damaged file?)");
  }
  return update;
}

RunSummary read_run_summary(const std::string& folder) {
  const std::string path = (fs::path(folder) / kRunFileName).string();
  const auto root = detail::require_object(detail::parse_json(read_regular_file(path), path), path);
  RunSummary summary;
  require_field(root, "checkpoint", path, summary.checkpoint);
  require_field(root, "parameters", path, summary.parameters);
  if (!root.contains("run_config")) throw std::invalid_argument(path + ": run_config: missing");
  try {
    summary.config = RunConfig::from_json(root["run_config"].dump());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": run_config: " + e.what());
  }
  return summary;
}

RunLog::RunLog(const std::string& checkpoint_path, const RunConfig& config, int64_t parameters,
               const MetricsHistory& history)
    : folder_(run_folder_of(checkpoint_path)),
      metrics_path_((fs::path(folder_) / kMetricsFileName).string()) {
  fs::create_directories(folder_);
  const auto earlier = logged_by_step(metrics_path_);
  const double now = unix_time_now();
  std::vector<LoggedMetrics> lines;
  std::string text;
  for (const MetricsRecord& record : history.records()) {
    const auto it = earlier.find(record.step);
    lines.push_back(
        {record, it != earlier.end() && it->second.record == record ? it->second.wall_time : now});
    text += metrics_json_line(lines.back()) + "\n";
  }
  write_file_atomically(metrics_path_, text);
  remove_event_files(folder_);
  events_ = std::make_unique<EventFileWriter>(folder_);
  for (const LoggedMetrics& logged : lines) write_events(logged);
  write_run_summary(folder_, {fs::path(checkpoint_path).filename().string(), parameters, config});
  metrics_.open(metrics_path_, std::ios::binary | std::ios::app);
  if (!metrics_) throw std::runtime_error(metrics_path_ + ": cannot append to the metrics file");
}

RunLog::~RunLog() = default;

void RunLog::append(const MetricsRecord& record) {
  const LoggedMetrics logged{record, unix_time_now()};
  metrics_ << metrics_json_line(logged) << '\n';
  metrics_.flush();
  if (!metrics_) throw std::runtime_error(metrics_path_ + ": cannot append to the metrics file");
  write_events(logged);
}

void RunLog::write_events(const LoggedMetrics& logged) {
  const MetricsRecord& r = logged.record;
  std::vector<std::pair<std::string, double>> scalars = {
      {"train/loss", r.train_loss},
      {"train/lr", r.lr},
      {"train/samples_per_second", r.samples_per_second}};
  if (r.val_loss) scalars.emplace_back("val/loss", *r.val_loss);
  events_->add_scalars(r.step, scalars, logged.wall_time);
}

}  // namespace erwin
