#pragma once
// TensorBoard event files without TensorFlow or protobuf: the TFRecord framing (length, masked
// CRC32C of the length, the record, masked CRC32C of the record) around hand-encoded `Event`
// protobuf messages (tensorflow/core/util/event.proto): a file_version event first, then one
// event per step holding a Summary of scalar (simple_value) values.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace erwin {

// CRC-32C (Castagnoli), as TFRecord uses it; crc32c("123456789") == 0xE3069283.
uint32_t crc32c(const void* data, size_t size);
// TFRecord's masking of a CRC stored next to the data it covers.
uint32_t masked_crc32c(const void* data, size_t size);

class EventFileWriter {
 public:
  // Creates `folder`/events.out.tfevents.<unix seconds>.<host name> and writes its file_version
  // event ("brain.Event:2"). std::runtime_error naming the file when it cannot be written.
  explicit EventFileWriter(const std::string& folder);
  ~EventFileWriter();
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  // One event at `step` whose summary holds a simple_value per (tag, value); flushed, so that a
  // TensorBoard watching the folder sees it at once.
  void add_scalars(int64_t step, const std::vector<std::pair<std::string, double>>& scalars,
                   double wall_time);

  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& event);

  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace erwin
