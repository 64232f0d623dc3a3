// .npy / .npz reading and writing: round trips, archives written by NumPy (the reference
// fixtures), deflated and ZIP64 archives built here with zlib, and every kind of damage.
#include <zlib.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>

#include "erwin/npy.h"
#include "test_support.h"

using erwin::test::expect_format_error;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
}

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::string deflate_raw(const std::string& data) {
  z_stream stream{};
  deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = data.size();
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = out.size();
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// A zip written independently of erwin::save_npz, to read members the way other tools write
// them: deflated (method 8), and optionally with a ZIP64 end-of-central-directory record.
struct ZipMember {
  std::string name;
  std::string data;
  bool deflate;
};

std::string build_zip(const std::vector<ZipMember>& members, bool zip64_end) {
  std::string archive, central;
  for (const ZipMember& m : members) {
    const std::string payload = m.deflate ? deflate_raw(m.data) : m.data;
    const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(m.data.data()), m.data.size());
    const uint64_t offset = archive.size();
    auto common = [&](std::string& h) {
      put_le(h, 20, 2);
      put_le(h, 0, 2);
      put_le(h, m.deflate ? 8 : 0, 2);
      put_le(h, 0, 4);  // time, date
      put_le(h, crc, 4);
      put_le(h, payload.size(), 4);
      put_le(h, m.data.size(), 4);
      put_le(h, m.name.size(), 2);
      put_le(h, 0, 2);  // extra
    };
    put_le(archive, 0x04034b50, 4);
    common(archive);
    archive += m.name + payload;
    put_le(central, 0x02014b50, 4);
    put_le(central, 20, 2);
    common(central);
    put_le(central, 0, 6);  // comment length, disk, internal attributes
    put_le(central, 0, 4);  // external attributes
    put_le(central, offset, 4);
    central += m.name;
  }
  const uint64_t cd_offset = archive.size();
  archive += central;
  if (zip64_end) {
    const uint64_t record = archive.size();
    put_le(archive, 0x06064b50, 4);
    put_le(archive, 44, 8);
    put_le(archive, 45, 4);
    put_le(archive, 0, 8);
    put_le(archive, members.size(), 8);
    put_le(archive, members.size(), 8);
    put_le(archive, central.size(), 8);
    put_le(archive, cd_offset, 8);
    put_le(archive, 0x07064b50, 4);
    put_le(archive, 0, 4);
    put_le(archive, record, 8);
    put_le(archive, 1, 4);
  }
  put_le(archive, 0x06054b50, 4);
  put_le(archive, 0, 4);
  put_le(archive, zip64_end ? 0xffff : members.size(), 2);
  put_le(archive, zip64_end ? 0xffff : members.size(), 2);
  put_le(archive, zip64_end ? 0xffffffff : central.size(), 4);
  put_le(archive, zip64_end ? 0xffffffff : cd_offset, 4);
  put_le(archive, 0, 2);
  return archive;
}

// An .npy image with a hand-written header (for versions, byte orders and bad headers).
std::string npy_image(const std::string& header, const std::string& data, int major = 1) {
  std::string out = "\x93NUMPY";
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  put_le(out, header.size(), major == 1 ? 2 : 4);
  return out + header + data;
}

// Runs `action`, which must throw erwin::FormatError whose message contains every fragment.
torch::Tensor sample(torch::ScalarType type, const std::vector<int64_t>& shape) {
  torch::manual_seed(7);
  auto values = torch::randn(shape, torch::kDouble) * 50;
  if (type == torch::kBool) return values.gt(0);
  if (type == torch::kUInt8) return values.abs().to(type);
  return values.to(type);
}

void verify_same(const torch::Tensor& actual, const torch::Tensor& expected) {
  QCOMPARE(actual.scalar_type(), expected.scalar_type());
  QCOMPARE(actual.sizes().vec(), expected.sizes().vec());
  QVERIFY(torch::equal(actual, expected));
}

}  // namespace

class TestNpy : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) { return dir_.filePath(name.c_str()).toStdString(); }

 private Q_SLOTS:
  void round_trip_every_dtype_and_shape() {
    const std::vector<torch::ScalarType> types = {torch::kHalf,  torch::kFloat, torch::kDouble,
                                                  torch::kInt8,  torch::kInt16, torch::kInt32,
                                                  torch::kInt64, torch::kUInt8, torch::kBool};
    const std::vector<std::vector<int64_t>> shapes = {{},     {0},       {1},         {7},
                                                      {3, 2}, {2, 0, 4}, {2, 3, 4, 5}};
    for (auto type : types) {
      for (const auto& shape : shapes) {
        const auto tensor = sample(type, shape);
        const std::string file = path("round_trip.npy");
        erwin::save_npy(file, tensor);
        verify_same(erwin::load_npy(file), tensor);
        verify_same(erwin::parse_npy(erwin::serialize_npy(tensor), "memory"), tensor);
      }
    }
  }

  void serialized_data_is_64_byte_aligned() {
    for (int64_t dims = 0; dims < 6; ++dims) {
      const std::string image = erwin::serialize_npy(torch::zeros(std::vector<int64_t>(dims, 1)));
      const size_t header_length =
          static_cast<unsigned char>(image[8]) | static_cast<unsigned char>(image[9]) << 8;
      QCOMPARE((10 + header_length) % 64, size_t(0));
      QCOMPARE(image[10 + header_length - 1], '\n');
    }
  }

  void non_contiguous_tensors_are_written_in_logical_order() {
    const auto tensor = torch::arange(12, torch::kInt32).reshape({3, 4}).t();
    verify_same(erwin::parse_npy(erwin::serialize_npy(tensor), "memory"), tensor.contiguous());
  }

  void reads_versions_two_and_three_and_byte_orders() {
    const std::string header = "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n";
    std::string data;
    put_le(data, 5, 4);
    put_le(data, 0xfffffffe, 4);  // -2
    const auto expected = torch::tensor({5, -2}, torch::kInt32);
    for (int major : {1, 2, 3})
      verify_same(erwin::parse_npy(npy_image(header, data, major), "v"), expected);

    std::string big;
    for (uint32_t v : {5u, 0xfffffffeu})
      for (int b = 3; b >= 0; --b) big.push_back(static_cast<char>((v >> (8 * b)) & 0xff));
    verify_same(
        erwin::parse_npy(
            npy_image("{'descr': '>i4', 'fortran_order': False, 'shape': (2,), }", big), "be"),
        expected);

    std::string u2;
    put_le(u2, 65535, 2);
    put_le(u2, 1, 2);
    verify_same(erwin::parse_npy(
                    npy_image("{'shape': (2,), 'fortran_order': False, 'descr': '<u2'}", u2), "u2"),
                torch::tensor({65535, 1}, torch::kInt32));
  }

  // numpy writes a transposed (column-major) array with fortran_order True and its data in
  // column-major order.
  void reads_fortran_order() {
    std::string data;
    for (int v : {0, 3, 1, 4, 2, 5}) put_le(data, static_cast<uint32_t>(v), 4);
    verify_same(erwin::parse_npy(npy_image("{'descr': '<i4', 'fortran_order': True, "
                                           "'shape': (2, 3), }",
                                           data),
                                 "f"),
                torch::arange(6, torch::kInt32).reshape({2, 3}));
    std::string cube;
    for (int64_t v : {0, 4, 2, 6, 1, 5, 3, 7}) put_le(cube, static_cast<uint64_t>(v), 8);
    verify_same(erwin::parse_npy(npy_image("{'descr': '<i8', 'fortran_order': True, "
                                           "'shape': (2, 2, 2), }",
                                           cube),
                                 "f3"),
                torch::arange(8, torch::kInt64).reshape({2, 2, 2}));
  }

  void booleans_are_normalised() {
    const auto parsed =
        erwin::parse_npy(npy_image("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
                                   std::string("\0\1\2", 3)),
                         "b");
    verify_same(parsed, torch::tensor({false, true, true}));
  }

  void writes_what_numpy_writes() {
    // The fixtures hold stored (uncompressed) members: our image of each array must appear in
    // the archive byte for byte.
    const std::string file = erwin::test::reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(file);
    const std::string raw = read_bytes(file);
    const auto archive = erwin::NpzArchive::load(file);
    for (const char* name : {"node_positions", "batch_idx", "tree_mask", "__meta__"})
      QVERIFY2(raw.find(erwin::serialize_npy(archive.get(name))) != std::string::npos, name);
  }

  void reads_every_reference_fixture() {
    const std::string dir = erwin::test::reference_dir();
    ERWIN_REQUIRE_FIXTURE(dir);
    int archives = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".npz") continue;
      const auto archive = erwin::NpzArchive::load(entry.path().string());
      QVERIFY(archive.names().size() > 3);
      const auto meta = QJsonDocument::fromJson(QByteArray::fromStdString(archive.meta_json()));
      QVERIFY2(meta.isObject(), entry.path().c_str());
      if (meta.object()["kind"].toString() == "task") {  // task fixtures: no tree; every member
        for (const auto& name : archive.names()) QVERIFY(archive.get(name).defined());
        ++archives;
        continue;
      }
      int64_t total = 0;
      for (const auto size : meta.object()["sizes"].toArray()) total += size.toInt();
      const auto positions = archive.get(archive.contains("pos") ? "pos" : "node_positions");
      QCOMPARE(positions.scalar_type(), torch::kFloat);
      QCOMPARE(positions.size(0), total);
      QCOMPARE(archive.get("batch_idx").scalar_type(), torch::kLong);
      QCOMPARE(archive.get("batch_idx").size(0), total);
      QCOMPARE(archive.get("tree_mask").scalar_type(), torch::kBool);
      QCOMPARE(archive.get("tree_mask").sum().item<int64_t>(), total);
      ++archives;
    }
    QVERIFY(archives >= 6);
  }

  void unet_fixture_members() {
    const std::string file = erwin::test::reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(file);
    const auto archive = erwin::NpzArchive::load(file);
    const auto meta = QJsonDocument::fromJson(QByteArray::fromStdString(archive.meta_json()));
    const auto config = meta.object()["config"].toObject();
    const auto positions = archive.get("node_positions");
    QCOMPARE(positions.dim(), 2);
    QCOMPARE(positions.size(1), int64_t(config["dimensionality"].toInt()));
    QCOMPARE(archive.get("node_features").size(1), int64_t(config["c_in"].toInt()));
    QCOMPARE(archive.get("edge_index").size(0), int64_t(2));
    QCOMPARE(archive.get("output_eval").size(0), positions.size(0));
    QVERIFY(archive.contains("tree_idx_rot.0"));
    const auto names = archive.names();
    QVERIFY(std::any_of(names.begin(), names.end(),
                        [](const std::string& n) { return n.rfind("param.", 0) == 0; }));
    QCOMPARE(archive.path(), file);
  }

  void npz_round_trip() {
    const std::map<std::string, torch::Tensor> members = {
        {"a", sample(torch::kFloat, {4, 3})},
        {"tree_idx_rot.0", sample(torch::kInt64, {9})},
        {"mask", sample(torch::kBool, {9})},
        {"scalar", torch::tensor(2.5, torch::kDouble)},
        {"empty", torch::zeros({0, 3})},
        {"__meta__", torch::tensor({'{', '}'}, torch::kUInt8)}};
    const std::string file = path("round_trip.npz");
    erwin::save_npz(file, members);
    const auto archive = erwin::NpzArchive::load(file);
    QCOMPARE(archive.names().size(), members.size());
    for (const auto& [name, tensor] : members) verify_same(archive.get(name), tensor);
    QCOMPARE(archive.meta_json(), std::string("{}"));
    QVERIFY(!erwin::NpzArchive::load(file).contains("missing"));
  }

  void reads_deflated_and_zip64_archives() {
    const auto a = sample(torch::kFloat, {100, 3});
    const auto b = sample(torch::kInt64, {50});
    for (bool zip64 : {false, true}) {
      const std::string file = path("deflated.npz");
      write_bytes(file, build_zip({{"a.npy", erwin::serialize_npy(a), true},
                                   {"b.npy", erwin::serialize_npy(b), false}},
                                  zip64));
      const auto archive = erwin::NpzArchive::load(file);
      verify_same(archive.get("a"), a);
      verify_same(archive.get("b"), b);
    }
  }

  void corrupt_deflate_stream_is_reported() {
    const std::string npy = erwin::serialize_npy(sample(torch::kFloat, {100, 3}));
    std::string zip = build_zip({{"a.npy", npy, true}}, false);
    const size_t data = 30 + 5;  // local header + name
    for (size_t i = data; i < data + 40; ++i) zip[i] = static_cast<char>(0xff);
    const std::string file = path("bad_deflate.npz");
    write_bytes(file, zip);
    expect_format_error([&] { erwin::NpzArchive::load(file); }, {file, "a.npy"});
  }

  // Regression (issue 13, case 7): a few KB of deflate declaring 0xFFFFFFFE bytes allocated
  // 4 GB before zlib failed; the declared size is now checked against deflate's limit first.
  void declared_size_beyond_deflate_limit_is_refused() {
    const std::string npy = erwin::serialize_npy(sample(torch::kFloat, {100, 3}));
    std::string zip = build_zip({{"a.npy", npy, true}}, false);
    for (const std::string& signature :
         {std::string("PK\x01\x02", 4), std::string("PK\x03\x04", 4)}) {
      const size_t header = zip.find(signature);
      const size_t field = header + (signature[2] == 1 ? 24 : 22);  // uncompressed size
      for (int b = 0; b < 4; ++b) zip[field + b] = static_cast<char>(b == 0 ? 0xfe : 0xff);
    }
    const std::string file = path("huge_declared.npz");
    write_bytes(file, zip);
    expect_format_error([&] { erwin::NpzArchive::load(file).get("a"); },
                        {file, "a.npy", "declares 4294967294 bytes"});
  }

  void missing_file() {
    const std::string file = path("does_not_exist.npz");
    expect_format_error([&] { erwin::NpzArchive::load(file); }, {file, "cannot open"});
    expect_format_error([&] { erwin::load_npy(file); }, {file, "cannot open"});
  }

  void missing_member() {
    const std::string file = path("one.npz");
    erwin::save_npz(file, {{"x", torch::zeros({2})}});
    expect_format_error([&] { erwin::NpzArchive::load(file).get("node_positions"); },
                        {file, "node_positions"});
  }

  void truncated_archive() {
    const std::string file = path("full.npz");
    erwin::save_npz(file, {{"x", sample(torch::kFloat, {64, 3})}, {"y", torch::zeros({5})}});
    const std::string bytes = read_bytes(file);
    for (size_t keep : {size_t(0), size_t(10), size_t(100), bytes.size() / 2, bytes.size() - 1}) {
      const std::string cut = path("cut.npz");
      write_bytes(cut, bytes.substr(0, keep));
      expect_format_error([&] { erwin::NpzArchive::load(cut); }, {cut});
    }
  }

  void corrupt_crc() {
    const std::string file = path("crc.npz");
    erwin::save_npz(file, {{"x", torch::zeros({64, 3})}});
    std::string bytes = read_bytes(file);
    bytes[bytes.find("x.npy") + 5 + 200] ^= 0x40;  // a byte of the array data
    write_bytes(file, bytes);
    expect_format_error([&] { erwin::NpzArchive::load(file); }, {file, "x.npy", "CRC"});
  }

  // Several directory entries naming the same member bytes are how a small file claims many times
  // its size (each would be inflated again); a written archive never has them.
  void overlapping_members_are_refused() {
    const std::string one =
        build_zip({{"a.npy", erwin::serialize_npy(torch::zeros({4})), true}}, false);
    const size_t end = one.size() - 22;  // no archive comment
    const auto field = [&](size_t at) {
      uint32_t value = 0;
      for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<uint8_t>(one[at + i]);
      return value;
    };
    const uint32_t directory_size = field(end + 12), directory_offset = field(end + 16);
    const std::string entry = one.substr(directory_offset, directory_size);
    std::string twin = entry;
    twin.replace(twin.find("a.npy"), 5, "b.npy");
    std::string tail;
    put_le(tail, 0x06054b50, 4);
    put_le(tail, 0, 4);
    put_le(tail, 2, 2);
    put_le(tail, 2, 2);
    put_le(tail, 2 * directory_size, 4);
    put_le(tail, directory_offset, 4);
    put_le(tail, 0, 2);
    const std::string file = path("overlap.npz");
    write_bytes(file, one.substr(0, directory_offset) + entry + twin + tail);
    expect_format_error([&] { erwin::NpzArchive::load(file); },
                        {file, "a.npy", "b.npy", "overlap"});
  }

  void wrong_magic() {
    const std::string file = path("magic.npy");
    std::string image = erwin::serialize_npy(torch::zeros({3}));
    image[1] = 'X';
    write_bytes(file, image);
    expect_format_error([&] { erwin::load_npy(file); }, {file, "magic"});
    write_bytes(file, "PK\3\4 this is not a zip at all");
    expect_format_error([&] { erwin::NpzArchive::load(file); }, {file});
  }

  void bad_headers() {
    auto header = [](const std::string& dict) { return npy_image(dict, std::string(24, '\0')); };
    expect_format_error(
        [&] { erwin::parse_npy(header("{'descr': '<f4', 'fortran_order': False}"), "h.npy"); },
        {"h.npy", "shape"});
    expect_format_error(
        [&] { erwin::parse_npy(header("{'descr': '<f4', 'shape': (6,)}"), "h.npy"); },
        {"fortran_order"});
    expect_format_error(
        [&] {
          erwin::parse_npy(header("{'descr': '<f4', 'fortran_order': False, 'shape': (6,"),
                           "h.npy");
        },
        {"bad header"});
    expect_format_error(
        [&] {
          erwin::parse_npy(header("{'descr': '<c8', 'fortran_order': False, 'shape': (3,)}"),
                           "h.npy");
        },
        {"h.npy", "dtype", "<c8"});
    expect_format_error(
        [&] {
          erwin::parse_npy(header("{'descr': '|O', 'fortran_order': False, 'shape': (3,)}"),
                           "h.npy");
        },
        {"dtype", "|O"});
    expect_format_error(
        [&] {
          erwin::parse_npy(
              header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3,)}"), "h.npy");
        },
        {"structured"});
    expect_format_error(
        [&] { erwin::parse_npy(std::string("\x93NUMPY\x01\x00\xff\x00{", 11), "h.npy"); },
        {"h.npy", "truncated"});
    expect_format_error([&] { erwin::parse_npy(npy_image("{}", "", 7), "h.npy"); }, {"version"});
  }

  void data_shorter_than_shape() {
    std::string image = erwin::serialize_npy(torch::zeros({10, 3}));
    image.resize(image.size() - 4);
    expect_format_error([&] { erwin::parse_npy(image, "short.npz:pos"); },
                        {"short.npz:pos", "shorter than shape"});
    const std::string file = path("short_member.npz");
    write_bytes(file, build_zip({{"pos.npy", image, false}}, false));
    expect_format_error([&] { erwin::NpzArchive::load(file); }, {file, "pos.npy", "shorter"});
  }

  // Found by fuzzing (tests/fuzz/corpus/npy/overflowing_empty_shape.npy): a zero dimension beside
  // huge ones passed the size check and LibTorch's "Stride calculation overflowed" reached the
  // caller; a count whose byte size wraps around 2^64 must not pass either.
  void overflowing_shapes_are_refused() {
    for (const char* shape : {"(0, 6333333333333333, 13333333333333332, 3)",
                              "(4, 576460752303423488)", "(0, 999999999999999999, 99999999999)"})
      expect_format_error(
          [&] {
            erwin::parse_npy(npy_image(std::string("{'descr': '<f8', 'fortran_order': False, "
                                                   "'shape': ") +
                                           shape + ", }",
                                       ""),
                             "huge.npy");
          },
          {"huge.npy", "'shape' is too large"});
  }
};

QTEST_APPLESS_MAIN(TestNpy)
#include "tst_npy.moc"
