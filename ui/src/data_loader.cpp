#include "erwin/ui/data_loader.h"

#include <vtkAlgorithm.h>
#include <vtkCallbackCommand.h>
#include <vtkCellArray.h>
#include <vtkDataSet.h>
#include <vtkFloatArray.h>
#include <vtkGenericDataObjectReader.h>
#include <vtkGeometryFilter.h>
#include <vtkNew.h>
#include <vtkOBJReader.h>
#include <vtkPointSet.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkSTLReader.h>
#include <vtkXMLGenericDataObjectReader.h>
#include <vtkXMLPolyDataReader.h>
#include <vtkXMLUnstructuredGridReader.h>

#include <QFile>
#include <QXmlStreamReader>
#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>

#include "erwin/datasets/eagle.h"
#include "erwin/datasets/md_polymer.h"
#include "erwin/datasets/shapenet_car.h"
#include "erwin/point_io.h"
#include "erwin/ui/result_import.h"

namespace erwin::ui {
namespace {

// VTK readers report problems through ErrorEvent/WarningEvent, not exceptions: collect them.
struct ReaderErrors {
  std::string text;
  static void on_error(vtkObject*, unsigned long, void* client, void* message) {
    auto* self = static_cast<ReaderErrors*>(client);
    if (message && self->text.empty()) self->text = static_cast<const char*>(message);
  }
};

vtkSmartPointer<vtkDataObject> run_reader(vtkAlgorithm* reader, const std::string& path) {
  ReaderErrors errors;
  vtkNew<vtkCallbackCommand> command;
  command->SetCallback(&ReaderErrors::on_error);
  command->SetClientData(&errors);
  reader->AddObserver(vtkCommand::ErrorEvent, command);
  reader->Update();
  if (reader->GetErrorCode() != 0 || !errors.text.empty())
    throw FormatError(path + ": the VTK reader failed" +
                      (errors.text.empty() ? std::string() : ": " + errors.text));
  return reader->GetOutputDataObject(0);
}

template <typename Reader>
vtkSmartPointer<vtkDataObject> read_with(const std::string& path) {
  vtkNew<Reader> reader;
  reader->SetFileName(path.c_str());
  return run_reader(reader, path);
}

vtkSmartPointer<vtkDataObject> read_legacy_vtk(const std::string& path) {
  vtkNew<vtkGenericDataObjectReader> reader;
  reader->SetFileName(path.c_str());
  if (!reader->IsFilePolyData() && !reader->IsFileUnstructuredGrid() &&
      !reader->IsFileStructuredGrid())
    throw FormatError(path + ": not a legacy VTK file with points (polydata or grid)");
  return run_reader(reader, path);
}

// Cells of a mesh over the points of `data` (same point ids), or null for a bare cloud.
vtkSmartPointer<vtkPolyData> surface_of(vtkDataObject* data) {
  vtkSmartPointer<vtkPolyData> poly = vtkPolyData::SafeDownCast(data);
  if (!poly) {
    vtkNew<vtkGeometryFilter> filter;
    filter->SetInputData(data);
    filter->MergingOff();
    filter->Update();
    poly = filter->GetOutput();
    // The surface must index the same points as the data set, or it cannot be coloured per point.
    if (poly->GetNumberOfPoints() != vtkDataSet::SafeDownCast(data)->GetNumberOfPoints())
      return nullptr;
  }
  if (poly->GetNumberOfPolys() + poly->GetNumberOfStrips() + poly->GetNumberOfLines() == 0)
    return nullptr;
  auto surface = vtkSmartPointer<vtkPolyData>::New();
  surface->SetPolys(poly->GetPolys());
  surface->SetStrips(poly->GetStrips());
  surface->SetLines(poly->GetLines());
  return surface;
}

PointSet from_vtk(vtkDataObject* data, const std::string& path) {
  PointSet set;
  set.pos = positions_of(vtkPointSet::SafeDownCast(data), path);
  set.surface = surface_of(data);
  return set;
}

// Drops a constant last coordinate (planar data is shown and partitioned as 2D).
torch::Tensor planar_to_2d(const torch::Tensor& pos) {
  if (pos.size(1) == 3 && pos.size(0) > 1 && (pos.select(1, 2) == pos[0][2]).all().item<bool>())
    return pos.slice(1, 0, 2).contiguous();
  return pos;
}

// Cells of point_io's triangles ([F, 3] vertex indices) as VTK polygons.
vtkSmartPointer<vtkPolyData> triangles_of(const torch::Tensor& faces) {
  const torch::Tensor ids = faces.to(torch::kInt64).contiguous();
  const int64_t* index = ids.data_ptr<int64_t>();
  auto polys = vtkSmartPointer<vtkCellArray>::New();
  polys->AllocateExact(ids.size(0), ids.numel());
  for (int64_t f = 0; f < ids.size(0); ++f) {
    const vtkIdType cell[3] = {index[3 * f], index[3 * f + 1], index[3 * f + 2]};
    polys->InsertNextCell(3, cell);
  }
  auto surface = vtkSmartPointer<vtkPolyData>::New();
  surface->SetPolys(polys);
  return surface;
}

// Point files (erwin/point_io.h), with their clouds when there are several.
PointSet from_point_file(const std::string& path) {
  const PointCloud cloud = load_point_file(path);
  PointSet set{"", cloud.positions, cloud.faces ? triangles_of(*cloud.faces) : nullptr};
  if (cloud.batch_idx && cloud.batch_idx->numel() && (*cloud.batch_idx)[-1].item<int64_t>() > 0)
    set.file_batch_idx = *cloud.batch_idx;
  return set;
}

std::string folder_name(const std::filesystem::path& folder) {
  return std::filesystem::absolute(folder).lexically_normal().filename().string();
}

// The datasets' files (datasets/): each opens its sample's first frame, named after its folder.

// EAGLE: <simulation>/sim.npz beside triangles.npy; the first step's mesh.
bool is_eagle_simulation(const std::filesystem::path& file) {
  return file.filename() == "sim.npz" &&
         std::filesystem::exists(file.parent_path() / "triangles.npy");
}

PointSet from_eagle_simulation(const std::filesystem::path& file) {
  const datasets::EagleSimulation sim =
      datasets::load_eagle_simulation(file.parent_path().string());
  PointSet set{"", sim.positions[0], triangles_of(sim.triangles[0])};
  set.name = "EAGLE " + folder_name(file.parent_path()) + ", step 1 of " +
             std::to_string(sim.positions.size(0));
  return set;
}

PointSet from_npz(const std::string& path) {
  return is_eagle_simulation(path) ? from_eagle_simulation(path) : from_point_file(path);
}

// ShapeNet-Car: a car folder's mesh_points.th (pressure.th opens its car's points).
PointSet from_shapenet_car(const std::string& path) {
  std::filesystem::path file(path);
  if (file.filename() == "pressure.th") file.replace_filename("mesh_points.th");
  PointSet set{"", datasets::load_torch_file(file.string(), "mesh_points"), nullptr};
  set.name = "ShapeNet-Car " + folder_name(file.parent_path());
  return set;
}

// MD polymer: any of a trajectory folder's ptype.h5, bond.h5, position.h5; the first frame's
// beads with the bonds as lines.
PointSet from_md_trajectory(const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  const std::string name = std::filesystem::path(path).filename().string();
  if (name != "ptype.h5" && name != "bond.h5" && name != "position.h5")
    throw FormatError(path +
                      ": neither an Erwin export (no erwin_export_version attribute) nor a file "
                      "of an MD trajectory (ptype.h5, bond.h5, position.h5)");
  const datasets::MdTrajectory md = datasets::load_md_trajectory(folder.string());
  const torch::Tensor bonds = md.bonds.contiguous();
  const int64_t* ends = bonds.data_ptr<int64_t>();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  for (int64_t b = 0; b < bonds.size(0); ++b) {
    const vtkIdType cell[2] = {ends[2 * b], ends[2 * b + 1]};
    lines->InsertNextCell(2, cell);
  }
  auto beads = vtkSmartPointer<vtkCellArray>::New();
  for (vtkIdType i = 0; i < md.positions.size(1); ++i) beads->InsertNextCell(1, &i);
  PointSet set{"", md.positions[0], vtkSmartPointer<vtkPolyData>::New()};
  set.surface->SetVerts(beads);
  set.surface->SetLines(lines);
  set.name =
      "MD polymer " + folder_name(folder) + ", frame 1 of " + std::to_string(md.positions.size(0));
  return set;
}

// A model result's export (judged by content): its first frame's points and mesh.
PointSet from_result_export(const std::string& path, const InferenceResult& result) {
  const torch::Tensor triangles = result.triangles();
  PointSet set{"", result.positions()[0],
               triangles.defined() ? triangles_of(triangles[0]) : nullptr};
  set.name = std::filesystem::path(path).filename().string() + ", frame 1 of " +
             std::to_string(result.frame_count());
  return set;
}

// HDF5: an export of a model result, or a file of an MD trajectory.
PointSet from_hdf5(const std::string& path) {
  if (const std::optional<InferenceResult> result = read_result_file(path))
    return from_result_export(path, *result);
  return from_md_trajectory(path);
}

// The (timestep, file) entries of a .pvd, files resolved beside it.
std::vector<SeriesFrame> pvd_entries(const std::string& path) {
  QFile file(QString::fromStdString(path));
  if (!file.open(QIODevice::ReadOnly)) throw FormatError(path + ": cannot read the file");
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  QXmlStreamReader xml(&file);
  std::vector<SeriesFrame> frames;
  bool collection = false;
  while (!xml.atEnd()) {
    if (xml.readNext() != QXmlStreamReader::StartElement) continue;
    collection = collection || xml.name() == QLatin1String("Collection");
    if (xml.name() != QLatin1String("DataSet")) continue;
    const std::string name = xml.attributes().value("file").toString().toStdString();
    if (name.empty())
      throw FormatError(path + ": line " + std::to_string(xml.lineNumber()) +
                        ": a DataSet without a file");
    bool timed = false;
    const double time = xml.attributes().value("timestep").toDouble(&timed);
    frames.push_back({timed ? time : double(frames.size()), (folder / name).string(), nullptr});
  }
  if (xml.hasError())
    throw FormatError(path + ": not a ParaView collection: line " +
                      std::to_string(xml.lineNumber()) + ": " + xml.errorString().toStdString());
  if (!collection || frames.empty())
    throw FormatError(path + ": a ParaView collection (.pvd) without frames");
  return frames;
}

// A ParaView series: its frames as clouds (each with its own tree, chosen in the tree panel);
// a single frame keeps its mesh.
PointSet from_paraview_series(const std::string& path) {
  const std::vector<SeriesFrame> frames = read_paraview_series(path);
  if (frames.size() == 1) return from_vtk(frames[0].data, frames[0].file);
  std::vector<torch::Tensor> positions, clouds;
  for (size_t t = 0; t < frames.size(); ++t) {
    positions.push_back(positions_of(vtkPointSet::SafeDownCast(frames[t].data), frames[t].file));
    clouds.push_back(torch::full({positions.back().size(0)}, int64_t(t), torch::kInt64));
  }
  PointSet set{"", torch::cat(positions), nullptr};
  set.file_batch_idx = torch::cat(clouds);
  return set;
}

using Loader = std::function<PointSet(const std::string&)>;

const std::map<std::string, Loader>& loaders() {
  static const std::map<std::string, Loader> table = {
      {".obj", [](const std::string& p) { return from_vtk(read_with<vtkOBJReader>(p), p); }},
      {".stl", [](const std::string& p) { return from_vtk(read_with<vtkSTLReader>(p), p); }},
      {".vtp",
       [](const std::string& p) { return from_vtk(read_with<vtkXMLPolyDataReader>(p), p); }},
      {".vtu",
       [](const std::string& p) {
         return from_vtk(read_with<vtkXMLUnstructuredGridReader>(p), p);
       }},
      {".vtk", [](const std::string& p) { return from_vtk(read_legacy_vtk(p), p); }},
      {".ply", from_point_file},
      {".npy", from_point_file},
      {".npz", from_npz},
      {".th", from_shapenet_car},
      {".h5", from_hdf5},
      {".hdf5", from_hdf5},
      {".pvd", from_paraview_series},
      {".xyz", from_point_file},
      {".csv", from_point_file},
      {".txt", from_point_file},
  };
  return table;
}

}  // namespace

PointSet load_point_set(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw FormatError(path + ": no such file");
  const auto loader = loaders().find(extension_of(path));
  if (loader == loaders().end())
    throw FormatError(path + ": unknown file type '" + extension_of(path) + "'");
  PointSet set = loader->second(path);
  set.pos = set.pos.to(torch::kFloat32).contiguous();
  validate_point_cloud(PointCloud{set.pos, {}, {}, {}, {}}, path);
  set.pos = planar_to_2d(set.pos);
  set.file_name = std::filesystem::path(path).filename().string();
  if (set.name.empty()) set.name = set.file_name;
  if (!set.file_batch_idx.defined()) return set;
  set.file_pos = set.pos;
  return select_cloud(set, 0);
}

std::string extension_of(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext;
}

torch::Tensor positions_of(vtkPointSet* data, const std::string& path) {
  vtkPoints* points = data ? data->GetPoints() : nullptr;
  const vtkIdType count = points ? points->GetNumberOfPoints() : 0;
  if (count == 0) throw FormatError(path + ": the file holds no points");
  torch::Tensor pos = torch::empty({count, 3}, torch::kFloat32);
  float* out = pos.data_ptr<float>();
  double p[3];
  for (vtkIdType i = 0; i < count; ++i) {
    points->GetPoint(i, p);
    for (int c = 0; c < 3; ++c) out[3 * i + c] = static_cast<float>(p[c]);
  }
  return pos;
}

std::vector<SeriesFrame> read_paraview_series(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw FormatError(path + ": no such file");
  std::vector<SeriesFrame> frames = pvd_entries(path);
  for (size_t t = 0; t < frames.size(); ++t) {
    const std::string& file = frames[t].file;
    if (!std::filesystem::is_regular_file(file))
      throw FormatError(path + ": frame " + std::to_string(t) + ": " + file + " is missing");
    try {
      frames[t].data = read_with<vtkXMLGenericDataObjectReader>(file);
    } catch (const FormatError& error) {
      throw FormatError(path + ": frame " + std::to_string(t) + ": " + error.what());
    }
    if (!vtkPointSet::SafeDownCast(frames[t].data))
      throw FormatError(path + ": frame " + std::to_string(t) + ": " + file +
                        " holds no point set (unstructured grid or polydata)");
  }
  return frames;
}

std::vector<std::string> supported_patterns() {
  std::vector<std::string> patterns;
  for (const auto& [extension, loader] : loaders()) patterns.push_back("*" + extension);
  return patterns;
}

}  // namespace erwin::ui
