// Damaged meshes read through VTK's readers (load_point_set, as the Studio's load job runs it):
// bad connectivity in .vtk, .vtp and .obj files, huge declared counts, truncated and bit-flipped
// legacy .vtk files. Each is refused with an erwin::FormatError naming the file; none crashes.
#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkFieldData.h>
#include <vtkFloatArray.h>
#include <vtkIntArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataWriter.h>

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <functional>

#include "erwin/npy.h"
#include "erwin/ui/engine/data_loader.h"
#include "erwin/ui/widgets/main_window.h"
#include "test_support.h"

using erwin::ui::load_point_set;

namespace {

// A tetrahedron's surface as legacy ASCII polydata; `polygons` replaces its POLYGONS section.
QByteArray tetra_vtk(const QByteArray& polygons =
                         "POLYGONS 4 16\n3 0 1 2\n3 0 1 3\n3 0 2 3\n"
                         "3 1 2 3\n") {
  return "# vtk DataFile Version 3.0\ntetra\nASCII\nDATASET POLYDATA\nPOINTS 4 float\n"
         "0 0 0\n1 0 0\n0 1 0\n0 0 1\n" +
         polygons;
}

QByteArray tetra_vtp(const QByteArray& connectivity) {
  return "<?xml version=\"1.0\"?>\n<VTKFile type=\"PolyData\" version=\"0.1\">\n<PolyData>\n"
         "<Piece NumberOfPoints=\"4\" NumberOfPolys=\"2\">\n<Points>\n"
         "<DataArray type=\"Float32\" NumberOfComponents=\"3\" format=\"ascii\">"
         "0 0 0 1 0 0 0 1 0 0 0 1</DataArray>\n</Points>\n<Polys>\n"
         "<DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">" +
         connectivity +
         "</DataArray>\n<DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">3 6"
         "</DataArray>\n</Polys>\n</Piece>\n</PolyData>\n</VTKFile>\n";
}

QByteArray tetra_obj(const QByteArray& faces) {
  return "v 0 0 0\nv 1 0 0\nv 0 1 0\nv 0 0 1\n" + faces;
}

// Opens `file` in `window` and waits for its load job: the error it reports, or "" when it loaded.
QString open_in(erwin::ui::MainWindow& window, const std::string& file) {
  QSignalSpy ready(&window, &erwin::ui::MainWindow::scene_ready);
  QSignalSpy failed(&window, &erwin::ui::MainWindow::load_failed);
  window.open(QString::fromStdString(file));
  if (!QTest::qWaitFor([&] { return !ready.isEmpty() || !failed.isEmpty(); }, 120000))
    return "timed out";
  return failed.isEmpty() ? QString() : failed.value(0).value(0).toString();
}

// A tetrahedron's surface with point scalars (1 and 3 components), normals, cell data and field
// data: what VTK's own writer puts in a legacy file.
vtkSmartPointer<vtkPolyData> tetra_with_attributes() {
  auto mesh = vtkSmartPointer<vtkPolyData>::New();
  const double corners[4][3] = {{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  vtkNew<vtkPoints> points;
  for (const double* corner : corners) points->InsertNextPoint(corner);
  mesh->SetPoints(points);
  const vtkIdType faces[4][3] = {{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}};
  vtkNew<vtkCellArray> polys;
  for (const vtkIdType* face : faces) polys->InsertNextCell(3, face);
  mesh->SetPolys(polys);
  vtkNew<vtkFloatArray> pressure, velocity, normals;
  pressure->SetName("pressure");
  velocity->SetName("velocity");
  velocity->SetNumberOfComponents(3);
  normals->SetNumberOfComponents(3);
  for (int i = 0; i < 4; ++i) {
    pressure->InsertNextValue(0.5f * i);
    velocity->InsertNextTuple3(i, -i, 1e-3 * i);
    normals->InsertNextTuple3(0, 0, 1);
  }
  mesh->GetPointData()->SetScalars(pressure);
  mesh->GetPointData()->AddArray(velocity);
  mesh->GetPointData()->SetNormals(normals);
  vtkNew<vtkIntArray> label;
  label->SetName("label");
  for (int c = 0; c < 4; ++c) label->InsertNextValue(c);
  mesh->GetCellData()->SetScalars(label);
  vtkNew<vtkFloatArray> time;
  time->SetName("time");
  time->InsertNextValue(1.5f);
  mesh->GetFieldData()->AddArray(time);
  return mesh;
}

}  // namespace

class TestMeshDamage : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void intact_meshes_load_with_their_cells() {
    QCOMPARE(load(write("tetra.vtk", tetra_vtk())).surface->GetNumberOfPolys(), vtkIdType(4));
    QCOMPARE(load(write("tetra.vtp", tetra_vtp("0 1 2 0 1 3"))).surface->GetNumberOfPolys(),
             vtkIdType(2));
    QCOMPARE(load(write("tetra.obj", tetra_obj("f 1 2 3\nf 1 2 4\n"))).surface->GetNumberOfPolys(),
             vtkIdType(2));
  }

  // The shipped sample meshes pass every check, with their cells.
  void sample_meshes_load_with_their_cells() {
    for (const char* name :
         {"ellipsoid.vtk", "ellipsoid.vtp", "ellipsoid.obj", "ellipsoid.stl", "plate_2d.vtu"}) {
      const erwin::ui::PointSet set =
          load(erwin::test::source_dir() + "/resources/samples/" + name);
      QVERIFY2(set.surface && set.surface->GetNumberOfCells() > 0, name);
    }
  }

  // The checks before VTK reads a legacy file accept what VTK's writer writes: both file versions
  // (cells as counts and ids before VTK 9, OFFSETS and CONNECTIVITY since), ASCII and binary.
  void legacy_files_of_vtks_writer_load() {
    for (const int version : {42, 51}) {
      for (const bool binary : {false, true}) {
        const QString name = QString("written_%1_%2.vtk").arg(version).arg(binary);
        vtkNew<vtkPolyDataWriter> writer;
        writer->SetInputData(tetra_with_attributes());
        writer->SetFileName(dir_.filePath(name).toStdString().c_str());
        writer->SetFileVersion(version);
        binary ? writer->SetFileTypeToBinary() : writer->SetFileTypeToASCII();
        QVERIFY(writer->Write() == 1);
        const erwin::ui::PointSet set = load(dir_.filePath(name).toStdString());
        QCOMPARE(set.pos.size(0), int64_t(4));
        QCOMPARE(set.surface->GetNumberOfPolys(), vtkIdType(4));
      }
    }
  }

  void legacy_vtk_polygon_ids_out_of_range_are_named() {
    refused(write("negative.vtk", tetra_vtk("POLYGONS 1 4\n3 0 -1 2\n")), "negative.vtk");
    refused(write("huge.vtk", tetra_vtk("POLYGONS 1 4\n3 0 1 2000000000\n")), "huge.vtk");
    refused(write("just_past.vtk", tetra_vtk("POLYGONS 1 4\n3 0 1 4\n")), "just_past.vtk");
  }

  void legacy_vtk_cell_sizes_beyond_the_connectivity_are_named() {
    refused(write("long_cell.vtk", tetra_vtk("POLYGONS 1 4\n9 0 1 2\n")), "long_cell.vtk");
  }

  void legacy_vtk_unstructured_grid_ids_out_of_range_are_named() {
    const QByteArray grid =
        "# vtk DataFile Version 3.0\ngrid\nASCII\nDATASET UNSTRUCTURED_GRID\nPOINTS 4 float\n"
        "0 0 0\n1 0 0\n0 1 0\n0 0 1\nCELLS 1 5\n4 0 1 2 7\nCELL_TYPES 1\n10\n";
    refused(write("grid.vtk", grid), "grid.vtk");
    QByteArray wrong_type = grid;
    wrong_type.replace("4 0 1 2 7\nCELL_TYPES 1\n10", "2 0 1\nCELL_TYPES 1\n10");
    refused(write("short_tetra.vtk", wrong_type), "short_tetra.vtk");
  }

  void huge_declared_counts_are_named_before_allocation() {
    QByteArray points = tetra_vtk();
    points.replace("POINTS 4", "POINTS 4000000000000");
    refused(write("points.vtk", points), "POINTS");
    refused(write("polygons.vtk", tetra_vtk("POLYGONS 4 900000000000\n3 0 1 2\n")), "POLYGONS");
  }

  // Found by fuzzing (tests/fuzz/corpus/mesh/binary_stl_huge_count): a binary STL whose triangle
  // count its file cannot hold made VTK allocate 9.5 GB before reading a triangle.
  void binary_stl_counts_beyond_the_file_are_named() {
    const auto binary_stl = [](quint32 count) {
      QByteArray bytes(80, '\0');
      for (int i = 0; i < 4; ++i) bytes.append(static_cast<char>((count >> (8 * i)) & 0xff));
      const float triangle[12] = {0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0};  // normal, 3 corners
      bytes.append(reinterpret_cast<const char*>(triangle), sizeof(triangle));
      return bytes.append(2, '\0');  // attribute byte count
    };
    QCOMPARE(load_point_set(write("one.stl", binary_stl(1))).pos.size(0), 3);
    refused(write("huge_count.stl", binary_stl(0x47474747)), "declares 1195853639 triangles");
    refused(write("two.stl", binary_stl(2)), "declares 2 triangles");
  }

  void vtp_cells_past_the_points_are_named() {
    refused(write("past.vtp", tetra_vtp("0 1 2 0 1 9")), "past.vtp");
    refused(write("negative.vtp", tetra_vtp("0 1 2 0 -5 3")), "negative.vtp");
  }

  void obj_face_index_zero_or_out_of_range_is_named() {
    refused(write("zero.obj", tetra_obj("f 0 1 2\n")), "zero.obj");
    refused(write("past.obj", tetra_obj("f 1 2 9\n")), "past.obj");
  }

  // Found by fuzzing (tests/fuzz/corpus/mesh/obj_texture_index_without_vt): VTK's OBJ reader
  // crashed on a face's texture-coordinate number when the file had no (or too few) `vt` lines.
  void obj_texture_and_normal_numbers_are_checked() {
    refused(write("no_vt.obj", tetra_obj("f 1/1 2/2 3/3\n")), "texture coordinate '1'");
    refused(write("one_vt.obj", tetra_obj("vt 0 0\nf 1 2/2 3\n")), "texture coordinate '2'");
    refused(write("no_vn.obj", tetra_obj("vn 0 0 1\nf 1//1 2//2 3//1\n")), "normal '2'");
    refused(write("slash.obj", tetra_obj("f 1/ 2 3\n")), "'1/' is not");
    refused(write("slashes.obj", tetra_obj("vt 0 0\nf 1/1/ 2 3\n")), "'1/1/' is not");
    const std::string textured =
        write("textured.obj", tetra_obj("vt 0 0\nvt 1 0\nvt 0 1\nf 1/1 2/2 3/-1\n"));
    QVERIFY(load_point_set(textured).pos.size(0) >= 3);
  }

  void truncated_legacy_vtk_is_named() {
    const QByteArray whole = tetra_vtk();
    for (int eighth = 1; eighth < 8; ++eighth) {
      const QByteArray cut = whole.left(whole.size() * eighth / 8);
      refused(write("cut.vtk", cut), "cut.vtk");
    }
    // Inside the last cell, where only the cell data is short.
    refused(write("cut.vtk", whole.left(whole.size() - 3)), "cut.vtk");
  }

  void truncated_binary_legacy_vtk_is_named() {
    vtkNew<vtkPolyDataWriter> writer;
    writer->SetInputData(tetra_with_attributes());
    writer->SetFileName(dir_.filePath("binary.vtk").toStdString().c_str());
    writer->SetFileTypeToBinary();
    QVERIFY(writer->Write() == 1);
    QFile file(dir_.filePath("binary.vtk"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray whole = file.readAll();
    // A cut at the end of a section leaves a shorter sound file; every other cut is refused.
    int cuts = 0, refusals = 0;
    for (int at = 60; at < whole.size() - 1; at += 5, ++cuts) {
      try {
        load_point_set(write("binary_cut.vtk", whole.left(at)));
      } catch (const erwin::FormatError& error) {
        ++refusals;
        QVERIFY2(QString(error.what()).contains("binary_cut.vtk"), error.what());
      }
    }
    QVERIFY2(refusals >= cuts - 10, qPrintable(QString("%1 of %2").arg(refusals).arg(cuts)));
  }

  void bit_flips_in_the_structure_of_a_legacy_vtk_are_named() {
    const QByteArray whole = tetra_vtk();
    for (const char* field : {"POINTS", "POLYGONS 4", "DATASET", "ASCII"}) {
      QByteArray flipped = whole;
      flipped[whole.indexOf(field) + 1] = char(flipped[whole.indexOf(field) + 1] ^ 0x04);
      refused(write("flipped.vtk", flipped), "flipped.vtk");
    }
  }

  // The Studio's load job reports each damaged mesh naming it, and still opens a sound one after.
  void studio_names_damaged_meshes_and_carries_on() {
    erwin::ui::MainWindow window;
    window.set_error_dialogs(false);
    const QByteArray whole = tetra_vtk();
    for (const std::string& file : {write("studio_ids.vtk", tetra_vtk("POLYGONS 1 4\n3 0 -1 2\n")),
                                    write("studio_cut.vtk", whole.left(whole.size() / 2)),
                                    write("studio_past.vtp", tetra_vtp("0 1 2 0 1 9")),
                                    write("studio_zero.obj", tetra_obj("f 0 1 2\n"))}) {
      const QString error = open_in(window, file);
      QVERIFY2(error.contains(QString::fromStdString(file).section('/', -1)), qPrintable(error));
    }
    QCOMPARE(open_in(window, write("studio_sound.vtk", whole)), QString());
  }

  // Every single-bit flip of every byte: the file loads with cells over its own points, or is
  // refused naming the file; never a crash.
  void every_bit_flip_of_a_legacy_vtk_loads_or_is_named() {
    const QByteArray whole = tetra_vtk();
    int refusals = 0;
    for (int at = 0; at < whole.size(); ++at) {
      for (int bit = 0; bit < 8; ++bit) {
        QByteArray flipped = whole;
        flipped[at] = char(flipped[at] ^ (1 << bit));
        const std::string file = write("flip.vtk", flipped);
        try {
          const erwin::ui::PointSet set = load_point_set(file);
          QVERIFY(set.pos.size(0) > 0);
        } catch (const erwin::FormatError& error) {
          ++refusals;
          QVERIFY2(QString(error.what()).contains("flip.vtk"), error.what());
        }
      }
    }
    QVERIFY2(refusals > 100, qPrintable(QString::number(refusals)));
  }

 private:
  QTemporaryDir dir_;

  std::string write(const QString& name, const QByteArray& content) {
    QFile file(dir_.filePath(name));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(content) < 0)
      qFatal("cannot write %s", qPrintable(file.fileName()));
    return file.fileName().toStdString();
  }

  static erwin::ui::PointSet load(const std::string& file) {
    try {
      return load_point_set(file);
    } catch (const erwin::FormatError& error) {
      qFatal("%s", error.what());
    }
  }

  // load_point_set(file) throws erwin::FormatError whose message names `needle`.
  static void refused(const std::string& file, const QString& needle) {
    try {
      load_point_set(file);
    } catch (const erwin::FormatError& error) {
      QVERIFY2(QString(error.what()).contains(needle), error.what());
      QVERIFY2(QString(error.what()).contains(QString::fromStdString(file).section('/', -1)),
               error.what());
      return;
    }
    QFAIL(qPrintable(QString::fromStdString(file) + " was read"));
  }
};

QTEST_MAIN(TestMeshDamage)
#include "tst_mesh_damage.moc"
