// Point files (.npy .npz .ply .xyz .csv): real files in a temporary directory, written by
// hand in each format's own syntax and by save_point_file, and the damaged variants.
#include <sys/stat.h>

#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include "erwin/npy.h"
#include "erwin/point_io.h"
#include "test_support.h"

using erwin::test::expect_format_error;

namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
}

template <typename T>
void append_binary(std::string& out, T value) {
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  out.append(raw, sizeof(T));
}

const char* const kAsciiPly =
    "ply\n"
    "format ascii 1.0\n"
    "comment a unit square split in two triangles, plus a quad\n"
    "element vertex 4\n"
    "property float x\n"
    "property float y\n"
    "property double z\n"
    "property uchar red\n"
    "property float pressure\n"
    "element face 2\n"
    "property list uchar int vertex_indices\n"
    "end_header\n"
    "0 0 0 255 1.5\n"
    "1 0 0 0 -2\n"
    "1 1 0.5 7 3.25\n"
    "0 1 0 9 0\n"
    "3 0 1 2\n"
    "4 0 1 2 3\n";

}  // namespace

class TestPointIo : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) { return dir_.filePath(name.c_str()).toStdString(); }
  std::string written(const std::string& name, const std::string& bytes) {
    write_bytes(path(name), bytes);
    return path(name);
  }

 private Q_SLOTS:
  void npy_positions() {
    const auto pos = torch::rand({50, 3}, torch::kDouble);
    erwin::save_npy(path("p.npy"), pos);
    const auto cloud = erwin::load_point_file(path("p.npy"));
    QCOMPARE(cloud.positions.scalar_type(), torch::kFloat);
    QVERIFY(torch::equal(cloud.positions, pos.to(torch::kFloat)));
    QVERIFY(!cloud.features && !cloud.batch_idx && !cloud.faces);
  }

  void npy_wrong_shape_and_dtype() {
    erwin::save_npy(path("bad.npy"), torch::zeros({5, 4}));
    expect_format_error([&] { erwin::load_point_file(path("bad.npy")); }, {"bad.npy", "[5, 4]"});
    erwin::save_npy(path("int.npy"), torch::zeros({5, 3}, torch::kInt64));
    expect_format_error([&] { erwin::load_point_file(path("int.npy")); }, {"int.npy", "floating"});
    erwin::save_npy(path("empty.npy"), torch::zeros({0, 3}));
    expect_format_error([&] { erwin::load_point_file(path("empty.npy")); }, {"empty.npy", "empty"});
  }

  void npz_fixture_inputs() {
    const std::string file = erwin::test::reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(file);
    const auto archive = erwin::NpzArchive::load(file);
    const auto cloud = erwin::load_point_file(file);
    QVERIFY(torch::equal(cloud.positions, archive.get("node_positions")));
    QVERIFY(cloud.features && torch::equal(*cloud.features, archive.get("node_features")));
    QVERIFY(cloud.batch_idx && torch::equal(*cloud.batch_idx, archive.get("batch_idx")));
    const auto tree = erwin::load_point_file(erwin::test::reference_file("balltree_3d.npz"));
    QCOMPARE(tree.positions.size(1), int64_t(3));  // member `pos`
  }

  void npz_without_positions_and_bad_batch() {
    erwin::save_npz(path("nopos.npz"), {{"node_features", torch::zeros({4, 2})}});
    expect_format_error([&] { erwin::load_point_file(path("nopos.npz")); },
                        {"nopos.npz", "node_positions"});
    erwin::save_npz(path("batch.npz"),
                    {{"points", torch::zeros({4, 2})}, {"batch_idx", torch::tensor({0, 2, 2, 2})}});
    expect_format_error([&] { erwin::load_point_file(path("batch.npz")); },
                        {"batch.npz", "batch_idx"});
    erwin::save_npz(path("feat.npz"),
                    {{"pos", torch::zeros({4, 2})}, {"node_features", torch::zeros({3, 2})}});
    expect_format_error([&] { erwin::load_point_file(path("feat.npz")); },
                        {"feat.npz", "features"});
  }

  void ascii_ply_mesh() {
    const auto cloud = erwin::load_point_file(written("mesh.ply", kAsciiPly));
    QVERIFY(torch::equal(
        cloud.positions,
        torch::tensor(std::vector<float>{0, 0, 0, 1, 0, 0, 1, 1, 0.5, 0, 1, 0}).reshape({4, 3})));
    QCOMPARE(cloud.feature_names, (std::vector<std::string>{"red", "pressure"}));
    QVERIFY(torch::equal(
        *cloud.features,
        torch::tensor(std::vector<float>{255, 1.5, 0, -2, 7, 3.25, 9, 0}).reshape({4, 2})));
    QVERIFY(torch::equal(*cloud.faces,
                         torch::tensor({0, 1, 2, 0, 1, 2, 0, 2, 3}, torch::kLong).reshape({3, 3})));
  }

  void binary_ply_both_byte_orders() {
    for (bool big : {false, true}) {
      std::string ply = std::string("ply\nformat ") +
                        (big ? "binary_big_endian" : "binary_little_endian") +
                        " 1.0\nelement vertex 3\nproperty double x\nproperty double y\n"
                        "property short label\nelement edge 1\nproperty int a\nend_header\n";
      auto put = [&](auto value) {
        std::string raw;
        append_binary(raw, value);
        if (big) std::reverse(raw.begin(), raw.end());
        ply += raw;
      };
      for (int i = 0; i < 3; ++i) {
        put(double(i) + 0.25);
        put(double(-i));
        put(int16_t(-7 * i));
      }
      put(int32_t(5));  // the edge element is read past, not interpreted
      const auto cloud = erwin::load_point_file(written("b.ply", ply));
      QCOMPARE(cloud.positions.size(1), int64_t(2));
      QCOMPARE(cloud.positions[2][0].item<float>(), 2.25f);
      QCOMPARE(cloud.positions[2][1].item<float>(), -2.0f);
      QCOMPARE((*cloud.features)[2][0].item<float>(), -14.0f);
    }
  }

  void ply_errors() {
    const std::string good = kAsciiPly;
    auto with = [&](const std::string& from, const std::string& to) {
      std::string s = good;
      s.replace(s.find(from), from.size(), to);
      return s;
    };
    expect_format_error(
        [&] { erwin::load_point_file(written("t.ply", good.substr(0, good.size() - 12))); },
        {"t.ply", "face"});
    expect_format_error(
        [&] { erwin::load_point_file(written("n.ply", with("1 1 0.5", "1 nan 0.5"))); },
        {"n.ply", "vertex' 2", "'y'", "finite"});
    expect_format_error(
        [&] { erwin::load_point_file(written("m.ply", with("1 1 0.5", "1 one 0.5"))); },
        {"m.ply:15", "'y'", "one"});
    expect_format_error(
        [&] { erwin::load_point_file(written("s.ply", with("1 0 0 0 -2", "1 0 0 0"))); },
        {"s.ply:14", "'pressure'", "too few"});
    expect_format_error(
        [&] { erwin::load_point_file(written("l.ply", with("3 0 1 2\n", "3 0 1 2 9\n"))); },
        {"l.ply:17", "more values"});
    expect_format_error(
        [&] { erwin::load_point_file(written("f.ply", with("3 0 1 2", "3 0 1 7"))); },
        {"f.ply", "faces"});
    expect_format_error(
        [&] { erwin::load_point_file(written("h.ply", with("property float y\n", ""))); },
        {"h.ply", "x and y"});
    expect_format_error(
        [&] { erwin::load_point_file(written("k.ply", with("float x", "complex x"))); },
        {"k.ply:5", "complex"});
    // Fuzz finding (issue 13): face values were cast to int64 whatever their size (undefined
    // behaviour for 1e30); other face properties are skipped, indices must be whole numbers.
    expect_format_error(
        [&] { erwin::load_point_file(written("big.ply", with("3 0 1 2", "3 0 1 1e30"))); },
        {"big.ply", "vertex_indices", "1000000000000000019884624838656", "whole number"});
    expect_format_error(
        [&] { erwin::load_point_file(written("half.ply", with("3 0 1 2", "3 0 1 1.5"))); },
        {"half.ply", "vertex_indices", "whole number"});
    std::string quality = with("property list", "property float quality\nproperty list");
    quality.replace(quality.find("3 0 1 2\n"), 8, "1e30 3 0 1 2\n-1e30 ");
    QCOMPARE(erwin::load_point_file(written("quality.ply", quality)).faces->size(0), int64_t(3));
    // Regression (issue 13, case 1): `x y z x` made the parser write past the positions.
    expect_format_error(
        [&] {
          erwin::load_point_file(written(
              "dup.ply", with("property double z\n", "property double z\nproperty float x\n")));
        },
        {"dup.ply:8", "'x'", "twice"});
    expect_format_error([&] { erwin::load_point_file(written("e.ply", with("end_header\n", ""))); },
                        {"e.ply", "end_header"});
    const std::string no_vertices =
        "ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nend_header\n";
    expect_format_error([&] { erwin::load_point_file(written("z.ply", no_vertices)); },
                        {"z.ply", "empty"});
    std::string binary =
        "ply\nformat binary_little_endian 1.0\nelement vertex 1000000\n"
        "property float x\nproperty float y\nend_header\n";
    binary += std::string(80, '\0');
    expect_format_error([&] { erwin::load_point_file(written("bt.ply", binary)); },
                        {"bt.ply", "truncated"});
  }

  void text_tables() {
    const auto xyz =
        erwin::load_point_file(written("a.xyz", "# scan\n0 1 2 7\n3 4 5 8\n\n6 7 8 9\n"));
    QCOMPARE(xyz.positions.sizes().vec(), (std::vector<int64_t>{3, 3}));
    QVERIFY(torch::equal(*xyz.features, torch::tensor({7.f, 8.f, 9.f}).reshape({3, 1})));

    const auto csv = erwin::load_point_file(
        written("b.csv", "x,y,pressure,batch_idx\n0.5,1,+2e-1,0\n1,2,3,0\n-1,-2,-3,1\n"));
    QCOMPARE(csv.positions.size(1), int64_t(2));  // the header names no z
    QCOMPARE(csv.feature_names, std::vector<std::string>{"pressure"});
    QCOMPARE((*csv.features)[0][0].item<float>(), 0.2f);
    QVERIFY(torch::equal(*csv.batch_idx, torch::tensor({0, 0, 1}, torch::kLong)));

    const auto two = erwin::load_point_file(written("c.txt", "1 2\n3 4\n"));
    QCOMPARE(two.positions.size(1), int64_t(2));
  }

  void text_errors() {
    expect_format_error([&] { erwin::load_point_file(written("a.xyz", "0 1 2\n3 4\n")); },
                        {"a.xyz:2", "2 columns", "expected 3"});
    expect_format_error([&] { erwin::load_point_file(written("b.xyz", "0 1 2\n3 four 5\n")); },
                        {"b.xyz:2", "column 2", "four"});
    expect_format_error(
        [&] { erwin::load_point_file(written("c.csv", "x,y,z\n1,2,3\n1,nan,3\n")); },
        {"c.csv:3", "'y'", "finite"});
    expect_format_error([&] { erwin::load_point_file(written("d.xyz", "# nothing\n\n")); },
                        {"d.xyz", "empty"});
    expect_format_error([&] { erwin::load_point_file(written("e.csv", "x,y,z\n")); },
                        {"e.csv", "empty"});
    expect_format_error([&] { erwin::load_point_file(written("f.xyz", "1\n2\n")); },
                        {"f.xyz", "2 coordinate columns"});
    expect_format_error([&] { erwin::load_point_file(path("missing.xyz")); },
                        {"missing.xyz", "cannot open"});
    expect_format_error([&] { erwin::load_point_file(written("g.obj", "v 1 2 3\n")); },
                        {"g.obj", "extension"});
  }

  // Regression (issue 13, case 7): reading a FIFO blocked for ever; special files are refused.
  void fifos_directories_and_devices_are_refused() {
    const std::string fifo = path("pipe.ply");
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    expect_format_error([&] { erwin::load_point_file(fifo); }, {fifo, "not a regular file"});
    const std::string fifo_npz = path("pipe.npz");
    QCOMPARE(::mkfifo(fifo_npz.c_str(), 0600), 0);
    expect_format_error([&] { erwin::load_point_file(fifo_npz); },
                        {fifo_npz, "not a regular file"});
    const std::string device = path("zero.xyz");  // a link to a device that never ends
    std::filesystem::create_symlink("/dev/zero", device);
    expect_format_error([&] { erwin::load_point_file(device); }, {device, "not a regular file"});
    const std::string folder = path("folder.ply");
    std::filesystem::create_directory(folder);
    expect_format_error([&] { erwin::load_point_file(folder); }, {folder, "not a regular file"});
  }

  void save_and_load_every_format() {
    torch::manual_seed(3);
    erwin::PointCloud cloud;
    cloud.positions = torch::randn({20, 3});
    cloud.features = torch::randn({20, 2});
    cloud.feature_names = {"p", "q"};
    cloud.faces = torch::tensor({0, 1, 2, 3, 4, 5}, torch::kLong).reshape({2, 3});
    for (const char* name : {"s.npz", "s.ply", "s.xyz", "s.csv", "s.npy"}) {
      erwin::save_point_file(path(name), cloud);
      const auto back = erwin::load_point_file(path(name));
      QVERIFY2(torch::equal(back.positions, cloud.positions), name);
      const std::string ext = std::string(name).substr(2);
      if (ext == "npy") continue;
      QVERIFY2(back.features && torch::equal(*back.features, *cloud.features), name);
      if (ext == "ply" || ext == "csv") QCOMPARE(back.feature_names, cloud.feature_names);
      if (ext == "ply" || ext == "npz") QVERIFY(torch::equal(*back.faces, *cloud.faces));
    }
  }

  void save_rejects_bad_clouds() {
    erwin::PointCloud cloud;
    cloud.positions = torch::zeros({4, 3});
    cloud.positions[1][2] = std::nan("");
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, erwin::save_point_file(path("nan.ply"), cloud));
    cloud.positions = torch::zeros({4, 3});
    cloud.batch_idx = torch::tensor({0, 0, 1, 1}, torch::kLong);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, erwin::save_point_file(path("b.xyz"), cloud));
    erwin::save_point_file(path("b.csv"), cloud);
    QVERIFY(torch::equal(*erwin::load_point_file(path("b.csv")).batch_idx, *cloud.batch_idx));
  }
};

QTEST_APPLESS_MAIN(TestPointIo)
#include "tst_point_io.moc"
