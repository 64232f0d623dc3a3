// Damaged torch.save archives (issue 13, case 2): truncations, flipped bytes, an emptied storage
// record and storage sizes / offsets edited in data.pkl give erwin::FormatError naming the file
// (and the record), never a crash, NaN or a silent load of different values. Inputs are made
// here from an archive erwin::pickle::torch_save writes and from the published state_dict.
#include <caffe2/serialize/inline_container.h>

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <functional>
#include <nlohmann/json.hpp>

#include "erwin/atomic_file.h"
#include "erwin/io_util.h"
#include "erwin/npy.h"
#include "erwin/torch_pickle.h"
#include "erwin/torch_save.h"
#include "process_support.h"
#include "test_support.h"

using namespace erwin;
using namespace erwin::test;

namespace {

QString q(const std::string& text) { return QString::fromStdString(text); }

// The FormatError message of loading `path`, or "(loaded)" when it loads.
std::string load_error(const std::string& path) {
  try {
    load_torch_pickle(path);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(loaded)";
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Deep equality of unpickled values (tensors by dtype, shape and bits).
bool same_value(const torch::IValue& a, const torch::IValue& b) {
  if (a.tagKind() != b.tagKind()) return false;
  if (a.isTensor()) {
    const torch::Tensor x = a.toTensor(), y = b.toTensor();
    return x.scalar_type() == y.scalar_type() && x.sizes() == y.sizes() &&
           x.reshape(-1).view(torch::kUInt8).equal(y.reshape(-1).view(torch::kUInt8));
  }
  if (a.isGenericDict()) {
    const auto x = a.toGenericDict(), y = b.toGenericDict();
    if (x.size() != y.size()) return false;
    auto i = x.begin();
    for (auto j = y.begin(); j != y.end(); ++i, ++j)
      if (!same_value(i->key(), j->key()) || !same_value(i->value(), j->value())) return false;
    return true;
  }
  if (a.isList() || a.isTuple()) {
    const auto x = pickled_sequence(a, "a"), y = pickled_sequence(b, "b");
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i)
      if (!same_value(x[i], y[i])) return false;
    return true;
  }
  if (a.isString()) return a.toStringRef() == b.toStringRef();
  if (a.isInt()) return a.toInt() == b.toInt();
  if (a.isDouble()) return a.toDouble() == b.toDouble();
  if (a.isBool()) return a.toBool() == b.toBool();
  return a.isNone();
}

// A copy of the archive `from` with `edit` applied to each record's bytes, written with valid
// CRCs, so that only the checks of data.pkl against the records can catch the change.
void copy_with_edit(const std::string& from, const std::string& to,
                    const std::function<void(const std::string&, std::string&)>& edit) {
  caffe2::serialize::PyTorchStreamReader reader(from);
  caffe2::serialize::PyTorchStreamWriter writer(to);
  for (const std::string& name : reader.getAllRecords()) {
    if (name == "version" || name.rfind(".data/", 0) == 0) continue;  // the writer adds them
    auto [data, size] = reader.getRecord(name);
    std::string bytes(static_cast<const char*>(data.get()), size);
    edit(name, bytes);
    writer.writeRecord(name, bytes.data(), bytes.size());
  }
  writer.writeEndOfFile();
}

// The bytes of a string literal that holds NULs.
template <size_t N>
std::string bytes_of(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

// `text` with the first `from` replaced by `to`; QFAIL-style abort (empty) when absent.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  if (at == std::string::npos) return {};
  return text.replace(at, from.size(), to);
}

}  // namespace

class TorchArchiveDamageTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) const { return dir_.filePath(q(name)).toStdString(); }

  // An archive of torch_save: a dict of a float matrix, an int64 vector and a plain number.
  std::string small_archive() {
    const std::string file = path("small.pt");
    pickle::torch_save(
        file, pickle::ordered_dict({{"weight", torch::arange(12, torch::kFloat32).reshape({3, 4})},
                                    {"index", torch::arange(5, torch::kInt64)},
                                    {"step", int64_t{7}}}));
    return file;
  }

  // Every damaged copy of `original` that `damage` makes must fail naming the copy, or load
  // the very same values (a flipped byte the format ignores, e.g. a time stamp).
  void check_damaged_copies(const std::string& original, const std::vector<std::string>& copies) {
    const torch::IValue intact = load_torch_pickle(original);
    int refused = 0;
    for (size_t i = 0; i < copies.size(); ++i) {
      const std::string file = path("damaged_" + std::to_string(i) + ".pt");
      write_file_atomically(file, copies[i]);
      try {
        const torch::IValue value = load_torch_pickle(file);
        QVERIFY2(same_value(value, intact), qPrintable(q("damaged copy loaded other values")));
      } catch (const FormatError& e) {
        QVERIFY2(contains(e.what(), file), e.what());
        ++refused;
      }
    }
    // Flips in the writer's alignment padding change nothing; all others must be seen.
    QVERIFY2(refused > 0, "no damaged copy was refused");
  }

  static std::vector<std::string> truncations(const std::string& bytes, size_t count) {
    std::vector<std::string> copies;
    const size_t step = std::max<size_t>(1, bytes.size() / count);
    for (size_t size = 0; size < bytes.size(); size += step)
      copies.push_back(bytes.substr(0, size));
    for (size_t cut = 1; cut <= 64 && cut <= bytes.size(); ++cut)  // the end records
      copies.push_back(bytes.substr(0, bytes.size() - cut));
    return copies;
  }

  static std::vector<std::string> byte_flips(const std::string& bytes, size_t count) {
    std::vector<std::string> copies;
    const size_t step = std::max<size_t>(1, bytes.size() / count);
    for (size_t at = 0; at < bytes.size(); at += step) {
      copies.push_back(bytes);
      copies.back()[at] = static_cast<char>(copies.back()[at] ^ 0x5a);
    }
    return copies;
  }

  std::string fixture() const { return reference_file("erwin_3d_unet.state_dict.pt"); }

  // The fixture with its first storage (data/0: embed.embed_fn.weight, 128 floats, size (16, 8),
  // stride (8, 1), offset 0) declared otherwise in data.pkl: `from` replaced by `to`.
  std::string fixture_with_pickle_edit(const std::string& name, const std::string& from,
                                       const std::string& to) {
    const std::string file = path(name);
    bool edited = false;
    copy_with_edit(fixture(), file, [&](const std::string& record, std::string& bytes) {
      if (record != "data.pkl") return;
      bytes = replaced(bytes, from, to);
      edited = !bytes.empty();
    });
    return edited ? file : std::string();
  }

 private Q_SLOTS:
  void intact_archives_load() {
    const auto value = pickled_dict(load_torch_pickle(small_archive()), "small");
    QVERIFY(required_item(value, "weight", "small")
                .toTensor()
                .equal(torch::arange(12, torch::kFloat32).reshape({3, 4})));
    QCOMPARE(pickled_int(required_item(value, "step", "small"), "step"), int64_t{7});
    ERWIN_REQUIRE_FIXTURE(fixture());
    QVERIFY(pickled_dict(load_torch_pickle(fixture()), "fixture").size() > 50);
  }

  void truncated_archives_are_refused_naming_the_file() {
    const std::string small = small_archive();
    const std::string bytes = read_regular_file(small);
    const auto copies = truncations(bytes, 200);
    check_damaged_copies(small, copies);
    for (size_t i = 0; i < copies.size(); ++i)  // a truncated archive never loads
      QVERIFY(load_error(path("damaged_" + std::to_string(i) + ".pt")) != "(loaded)");
    ERWIN_REQUIRE_FIXTURE(fixture());
    check_damaged_copies(fixture(), truncations(read_regular_file(fixture()), 100));
  }

  void flipped_bytes_are_refused_or_change_nothing() {
    const std::string small = small_archive();
    check_damaged_copies(small, byte_flips(read_regular_file(small), 400));
    ERWIN_REQUIRE_FIXTURE(fixture());
    check_damaged_copies(fixture(), byte_flips(read_regular_file(fixture()), 300));
  }

  void flipped_record_data_is_refused_by_its_crc() {
    const std::string small = small_archive();
    std::string bytes = read_regular_file(small);
    const std::string floats = torch_data_bytes(torch::arange(12, torch::kFloat32));
    const size_t at = bytes.find(floats);
    QVERIFY(at != std::string::npos);
    bytes[at + 5] ^= 0x01;
    const std::string file = path("flipped_data.pt");
    write_file_atomically(file, bytes);
    const std::string error = load_error(file);
    QVERIFY2(contains(error, file) && contains(error, "data/") && contains(error, "CRC"),
             error.c_str());
  }

  void emptied_storage_record_is_refused_naming_it() {
    const std::string small = small_archive();
    const std::string file = path("emptied.pt");
    copy_with_edit(small, file, [](const std::string& name, std::string& bytes) {
      if (name == "data/0") bytes.clear();
    });
    const std::string error = load_error(file);
    QVERIFY2(contains(error, file) && contains(error, "data/0"), error.c_str());

    ERWIN_REQUIRE_FIXTURE(fixture());
    const std::string emptied_fixture = path("emptied_fixture.pt");
    copy_with_edit(fixture(), emptied_fixture, [](const std::string& name, std::string& bytes) {
      if (name == "data/7") bytes.resize(bytes.size() / 2);  // a shortened record too
      if (name == "data/0") bytes.clear();
    });
    const std::string fixture_error = load_error(emptied_fixture);
    QVERIFY2(contains(fixture_error, emptied_fixture) &&
                 (contains(fixture_error, "data/0") || contains(fixture_error, "data/7")),
             fixture_error.c_str());
  }

  void storage_sizes_edited_in_the_pickle_are_refused() {
    ERWIN_REQUIRE_FIXTURE(fixture());
    const std::string persistent_id = bytes_of(
        "X\x03\x00\x00\x00"
        "cpuq\x07K\x80t");
    const std::string sizes = bytes_of("QK\x00K\x10K\x08\x86");
    const std::vector<std::pair<std::string, std::string>> edits = {
        {persistent_id, bytes_of("X\x03\x00\x00\x00"
                                 "cpuq\x07K\xfft")},  // numel 255
        {persistent_id, bytes_of("X\x03\x00\x00\x00"
                                 "cpuq\x07K\x10t")},  // numel 16
        {persistent_id, bytes_of("X\x03\x00\x00\x00"
                                 "cpuq\x07J\xff\xff\xff\x7ft")},  // 2^31-1
        {persistent_id, bytes_of("X\x03\x00\x00\x00"
                                 "cpuq\x07J\xff\xff\xff\xfft")},  // -1
        {sizes, bytes_of("QK\x00K\x10K\x09\x86")},                // size (16, 9)
        {sizes, bytes_of("QK\x00K\x11K\x08\x86")},                // size (17, 8)
        {sizes, bytes_of("QK\x01K\x10K\x08\x86")},                // offset 1
        {sizes, bytes_of("QJ\xff\xff\xff\x7fK\x10K\x08\x86")},    // offset 2^31-1
        {sizes, bytes_of("QJ\xff\xff\xff\xffK\x10K\x08\x86")},    // offset -1
        {sizes, bytes_of("QK\x00K\x10J\xff\xff\xff\xff\x86")},    // size (16, -1)
    };
    for (size_t i = 0; i < edits.size(); ++i) {
      const std::string file = fixture_with_pickle_edit("edited_" + std::to_string(i) + ".pt",
                                                        edits[i].first, edits[i].second);
      QVERIFY2(!file.empty(), "the fixture's data.pkl no longer has the bytes to edit");
      const std::string error = "edit " + std::to_string(i) + ": " + load_error(file);
      QVERIFY2(contains(error, file), error.c_str());
      QVERIFY2(contains(error, "data/0") || contains(error, "data.pkl"), error.c_str());
    }
  }

  // The CLI: `erwin forward` with damaged weights fails naming them (no crash, no NaN output).
  void forward_refuses_damaged_weights() {
    ERWIN_REQUIRE_FIXTURE(fixture());
    const std::string npz = reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(npz);
    const std::string config = path("config.json");
    write_file_atomically(
        config, nlohmann::json::parse(NpzArchive::load(npz).meta_json()).at("config").dump());
    const std::string emptied = path("forward_emptied.pt");
    copy_with_edit(fixture(), emptied, [](const std::string& name, std::string& bytes) {
      if (name == "data/0") bytes.clear();
    });
    const std::string bytes = read_regular_file(fixture());
    const std::string truncated = path("forward_truncated.pt");
    write_file_atomically(truncated, bytes.substr(0, bytes.size() / 2));
    for (const std::string& weights : {emptied, truncated}) {
      const std::string output = path("forward_output.npy");
      REQUIRE_FAILURE_NAMING(run_erwin({"forward", "--config", q(config), "--weights", q(weights),
                                        "--input", q(npz), "--output", q(output)}),
                             q(weights));
      QVERIFY(!QFile::exists(q(output)));
    }
  }

 private:
  static std::string torch_data_bytes(const torch::Tensor& tensor) {
    return std::string(static_cast<const char*>(tensor.data_ptr()), tensor.nbytes());
  }
};

QTEST_GUILESS_MAIN(TorchArchiveDamageTest)
#include "tst_torch_archive_damage.moc"
