#include "erwin/ui/engine/point_scene.h"

#include <vtkActor.h>
#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkGlyph3DMapper.h>
#include <vtkLookupTable.h>
#include <vtkNew.h>
#include <vtkPlane.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkSphereSource.h>
#include <vtkUnsignedCharArray.h>

#include <cmath>
#include <cstring>

#include "erwin/ui/engine/ball_hulls.h"
#include "erwin/ui/engine/colour_maps.h"

namespace erwin::ui {
namespace {

vtkSmartPointer<vtkUnsignedCharArray> rgb_array(int64_t count, const char* name) {
  auto colours = vtkSmartPointer<vtkUnsignedCharArray>::New();
  colours->SetName(name);
  colours->SetNumberOfComponents(3);
  colours->SetNumberOfTuples(count);
  return colours;
}

// One vertex cell per point, so that a cloud renders without building N cells of objects.
vtkSmartPointer<vtkCellArray> vertex_cells(int64_t count) {
  auto offsets = vtkSmartPointer<vtkIdTypeArray>::New();
  auto connectivity = vtkSmartPointer<vtkIdTypeArray>::New();
  offsets->SetNumberOfValues(count + 1);
  connectivity->SetNumberOfValues(count);
  for (vtkIdType i = 0; i < count; ++i) {
    offsets->SetValue(i, i);
    connectivity->SetValue(i, i);
  }
  offsets->SetValue(count, count);
  auto cells = vtkSmartPointer<vtkCellArray>::New();
  cells->SetData(offsets, connectivity);
  return cells;
}

vtkSmartPointer<vtkPolyData> vertices(vtkPoints* points) {
  auto data = vtkSmartPointer<vtkPolyData>::New();
  data->SetPoints(points);
  data->SetVerts(vertex_cells(points->GetNumberOfPoints()));
  return data;
}

vtkSmartPointer<vtkActor> actor_for(vtkPolyDataMapper* mapper) {
  mapper->SetScalarModeToUsePointData();
  mapper->SetColorModeToDirectScalars();
  auto actor = vtkSmartPointer<vtkActor>::New();
  actor->SetMapper(mapper);
  return actor;
}

// Points rows of `pos` selected by `index` as float [M, 3] VTK points.
vtkSmartPointer<vtkPoints> rows(const torch::Tensor& pos, const torch::Tensor& index) {
  return to_vtk_points(pos.index_select(0, index).contiguous());
}

}  // namespace

struct PointScene::Layer {
  vtkSmartPointer<vtkPolyData> data;
  vtkSmartPointer<vtkUnsignedCharArray> colours;
  vtkSmartPointer<vtkActor> actor;
  // Large clouds: a copy of every preview_stride-th point with its colour (its own arrays, so
  // that VTK uploads only those after a change); else null.
  vtkSmartPointer<vtkActor> preview;
  vtkSmartPointer<vtkUnsignedCharArray> preview_colours;
  int64_t preview_stride = 0;

  Layer(const PointSet& set, vtkPoints* points) {
    data = vtkSmartPointer<vtkPolyData>::New();
    data->SetPoints(points);
    if (set.surface) {
      data->SetVerts(set.surface->GetVerts());
      data->SetPolys(set.surface->GetPolys());
      data->SetLines(set.surface->GetLines());
      data->SetStrips(set.surface->GetStrips());
    } else {
      data->SetVerts(vertex_cells(points->GetNumberOfPoints()));
    }
    colours = rgb_array(points->GetNumberOfPoints(), "ball");
    data->GetPointData()->SetScalars(colours);
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(data);
    actor = actor_for(mapper);
    const int64_t count = set.pos.size(0);
    if (!set.surface && count > kPreviewPoints) build_preview(set, count);
  }

  void build_preview(const PointSet& set, int64_t count) {
    preview_stride = (count + kPreviewPoints - 1) / kPreviewPoints;
    auto data = vertices(rows(set.pos, torch::arange(0, count, preview_stride, torch::kInt64)));
    preview_colours = rgb_array(data->GetNumberOfPoints(), "ball");
    data->GetPointData()->SetScalars(preview_colours);
    vtkNew<vtkPolyDataMapper> mapper;
    mapper->SetInputData(data);
    preview = actor_for(mapper);
    preview->SetProperty(actor->GetProperty());
    preview->VisibilityOff();
  }

  void show_preview(bool on) {
    if (!preview) return;
    actor->SetVisibility(!on);
    preview->SetVisibility(on);
  }

  void colour(const torch::Tensor& order, int64_t level, const std::vector<Rgb>& ordered) {
    if (ordered.empty())
      colour_points_by_ball(order, level, colours->GetPointer(0));
    else
      colour_points_by_table(order, level, ordered, colours->GetPointer(0));
  }

  // Meshes keep their shading; points are flat discs, or spheres lit by the scene's light.
  void style(bool surface, double pixels, bool as_spheres) {
    vtkProperty* property = actor->GetProperty();
    property->SetPointSize(static_cast<float>(pixels));
    property->SetRenderPointsAsSpheres(as_spheres && !surface);
    const bool lit = surface || as_spheres;
    property->SetAmbient(lit ? 0.35 : 1.0);
    property->SetDiffuse(lit ? 0.65 : 0.0);
    property->SetSpecular(as_spheres && !surface ? 0.25 : 0.0);
    property->SetSpecularPower(20.0);
  }

  // After writing `colours`: VTK re-uploads them, and the preview takes its points' colours.
  void colours_changed() {
    colours->Modified();
    if (!preview) return;
    const std::uint8_t* from = colours->GetPointer(0);
    std::uint8_t* to = preview_colours->GetPointer(0);
    for (vtkIdType i = 0; i < preview_colours->GetNumberOfTuples(); ++i)
      std::memcpy(to + 3 * i, from + 3 * i * preview_stride, 3);
    preview_colours->Modified();
  }
};

PointScene::PointScene() {
  spheres_data_ = vtkSmartPointer<vtkPolyData>::New();
  vtkNew<vtkSphereSource> sphere;
  sphere->SetRadius(1.0);
  sphere->SetThetaResolution(20);
  sphere->SetPhiResolution(14);
  vtkNew<vtkGlyph3DMapper> glyphs;
  glyphs->SetInputData(spheres_data_);
  glyphs->SetSourceConnection(sphere->GetOutputPort());
  glyphs->SetScaleArray("radius");
  glyphs->SetScaleModeToScaleByMagnitude();
  glyphs->SetScalarModeToUsePointData();
  glyphs->SetColorModeToDirectScalars();
  spheres_ = vtkSmartPointer<vtkActor>::New();
  spheres_->SetMapper(glyphs);
  // Wireframe outlines: each ball reads as a sphere without hiding the points inside it.
  spheres_->GetProperty()->SetRepresentationToWireframe();
  spheres_->GetProperty()->SetOpacity(0.45);
  spheres_->GetProperty()->SetLineWidth(1.0f);

  centres_data_ = vtkSmartPointer<vtkPolyData>::New();
  vtkNew<vtkPolyDataMapper> centres_mapper;
  centres_mapper->SetInputData(centres_data_);
  centres_ = actor_for(centres_mapper);
  centres_->GetProperty()->SetRenderPointsAsSpheres(true);
  centres_->GetProperty()->SetAmbient(0.4);
  centres_->GetProperty()->SetDiffuse(0.6);

  padding_data_ = vtkSmartPointer<vtkPolyData>::New();
  vtkNew<vtkPolyDataMapper> padding_mapper;
  padding_mapper->SetInputData(padding_data_);
  padding_mapper->ScalarVisibilityOff();
  padding_ = vtkSmartPointer<vtkActor>::New();
  padding_->SetMapper(padding_mapper);
  padding_->GetProperty()->SetColor(0.05, 0.05, 0.05);
  padding_->GetProperty()->SetPointSize(8.0f);
  padding_->GetProperty()->SetRenderPointsAsSpheres(true);

  marker_data_ = vtkSmartPointer<vtkPolyData>::New();
  vtkNew<vtkPolyDataMapper> marker_mapper;
  marker_mapper->SetInputData(marker_data_);
  marker_mapper->ScalarVisibilityOff();
  marker_ = vtkSmartPointer<vtkActor>::New();
  marker_->SetMapper(marker_mapper);
  marker_->GetProperty()->SetColor(1.0, 0.1, 0.1);
  marker_->GetProperty()->SetPointSize(16.0f);
  marker_->GetProperty()->SetRenderPointsAsSpheres(true);
  marker_->VisibilityOff();

  hulls_data_ = vtkSmartPointer<vtkPolyData>::New();
  vtkNew<vtkPolyDataMapper> hulls_mapper;
  hulls_mapper->SetInputData(hulls_data_);
  hulls_mapper->SetScalarModeToUseCellData();
  hulls_mapper->SetColorModeToDirectScalars();
  hulls_ = vtkSmartPointer<vtkActor>::New();
  hulls_->SetMapper(hulls_mapper);
  hulls_->GetProperty()->SetOpacity(0.3);
  hulls_->GetProperty()->SetLineWidth(2.0f);
  update_level_props();
}

PointScene::~PointScene() = default;

void PointScene::set_data(std::shared_ptr<const PointSet> points,
                          std::shared_ptr<const SceneTree> tree) {
  points_ = std::move(points);
  tree_ = std::move(tree);
  field_values_ = torch::Tensor();  // the window gives the new data's field
  vtk_points_ = to_vtk_points(points_->pos);
  original_ = std::make_unique<Layer>(*points_, vtk_points_);
  rotated_ = tree_->has_rotation() ? std::make_unique<Layer>(*points_, vtk_points_) : nullptr;
  hulls_by_level_.clear();
  hulls_level_ = -1;
  preview_ = false;

  // Padding slots repeat a point of their leaf: mark where they are.
  const torch::Tensor padding_index = tree_->tree.tree_idx.masked_select(~tree_->tree.tree_mask);
  padding_data_->ShallowCopy(vertices(rows(points_->pos, padding_index)));

  level_ = std::min(level_, tree_->max_level);
  straddle_point_ = -1;
  apply_point_style();
  apply_clip_plane();
  clear_receptive_field();
  recolour();
  update_level_props();
}

void PointScene::set_level(int64_t level) {
  if (!tree_) return;
  level_ = std::clamp<int64_t>(level, 0, tree_->max_level);
  recolour();
  update_level_props();
}

void PointScene::set_colouring(Colouring colouring, ColourMap map) {
  colouring_ = colouring;
  colour_map_ = map;
  recolour();
  update_level_props();
}

namespace {

// The colour range of `values` (float [N]) by `mode`, over their finite values; never empty.
std::pair<double, double> resolve_range(const torch::Tensor& values, RangeMode mode, double low,
                                        double high) {
  if (mode == RangeMode::Fixed) return {low, high};
  const torch::Tensor finite = values.masked_select(torch::isfinite(values)).to(torch::kFloat64);
  if (finite.numel() == 0) return {0.0, 1.0};
  double lo = finite.min().item<double>(), hi = finite.max().item<double>();
  if (mode == RangeMode::Percentile) {
    const torch::Tensor sorted = std::get<0>(finite.sort());
    const auto at = [&](double q) {
      return sorted[static_cast<int64_t>(q * static_cast<double>(sorted.numel() - 1))]
          .item<double>();
    };
    lo = at(0.01);
    hi = at(0.99);
  } else if (mode == RangeMode::Symmetric) {
    hi = std::max(std::abs(lo), std::abs(hi));
    lo = -hi;
  }
  if (lo == hi) {  // a constant field: a range around it
    const double pad = std::max(std::abs(lo) * 1e-3, 1e-6);
    lo -= pad;
    hi += pad;
  }
  return {lo, hi};
}

}  // namespace

void PointScene::set_field(const torch::Tensor& values, RangeMode mode, double low, double high) {
  field_values_ = values.defined() ? values.to(torch::kFloat32).contiguous() : torch::Tensor();
  if (field_values_.defined()) field_range_ = resolve_range(field_values_, mode, low, high);
  recolour();
}

// Field colours through the colour map over field_range_; non-finite values grey.
void PointScene::colour_by_field() {
  vtkNew<vtkLookupTable> table;
  fill_lookup_table(table, colour_map_, field_range_.first, field_range_.second);
  const float* values = field_values_.data_ptr<float>();
  for (Layer* layer : {original_.get(), rotated_.get()}) {
    if (!layer) continue;
    std::uint8_t* rgb = layer->colours->GetPointer(0);
    for (int64_t i = 0; i < field_values_.numel(); ++i) {
      static const std::uint8_t kGrey[3] = {128, 128, 128};
      std::memcpy(rgb + 3 * i, std::isfinite(values[i]) ? table->MapValue(values[i]) : kGrey, 3);
    }
  }
}

std::vector<Rgb> PointScene::ordered_ball_colours() const {
  if (colouring_ != Colouring::BallOrder || !tree_) return {};
  return sample_colour_map(colour_map_, tree_->ball_count(level_));
}

double PointScene::automatic_point_size(int64_t points) {
  // Small clouds get large points so that each ball reads as one patch; a million points at 2 px
  // already cover the view.
  return points <= 100000 ? 5.0 : (points <= 500000 ? 3.0 : 2.0);
}

void PointScene::set_point_style(double pixels, bool as_spheres) {
  point_size_ = pixels;
  points_as_spheres_ = as_spheres;
  apply_point_style();
}

void PointScene::apply_point_style() {
  if (!points_) return;
  const double pixels = point_size_ > 0 ? point_size_ : automatic_point_size(points_->pos.size(0));
  for (Layer* layer : {original_.get(), rotated_.get()})
    if (layer) layer->style(points_->surface != nullptr, pixels, points_as_spheres_);
}

void PointScene::set_clip_plane(vtkPlane* plane) {
  clip_plane_ = plane;
  apply_clip_plane();
}

// Every prop's mapper clips (on the GPU) with the one plane; new layers take it in set_data.
void PointScene::apply_clip_plane() {
  std::vector<vtkActor*> actors = {spheres_, centres_, padding_, marker_, hulls_};
  for (Layer* layer : {original_.get(), rotated_.get()})
    if (layer) {
      actors.push_back(layer->actor);
      if (layer->preview) actors.push_back(layer->preview);
    }
  for (vtkActor* actor : actors) {
    vtkMapper* mapper = actor->GetMapper();
    mapper->RemoveAllClippingPlanes();
    if (clip_plane_) mapper->AddClippingPlane(clip_plane_);
  }
}

void PointScene::set_show_spheres(bool show) {
  show_spheres_ = show;
  update_level_props();
}

void PointScene::set_show_hulls(bool show) {
  show_hulls_ = show;
  update_level_props();
}

void PointScene::set_show_centres(bool show) {
  show_centres_ = show;
  update_level_props();
}

void PointScene::set_show_padding(bool show) {
  show_padding_ = show;
  update_level_props();
}

void PointScene::set_straddle_point(int64_t point) {
  const bool valid = tree_ && tree_->has_rotation() && point < tree_->slots.numel();
  straddle_point_ = valid ? point : -1;
  recolour();
}

void PointScene::set_receptive_field(int64_t node, const torch::Tensor& erwin,
                                     const torch::Tensor& khop) {
  if (!tree_ || node < 0 || node >= points_->pos.size(0)) return;
  field_erwin_ = erwin.to(torch::kBool).contiguous();
  field_khop_ = khop.defined() ? khop.to(torch::kBool).contiguous() : torch::Tensor();
  marker_data_->ShallowCopy(vertices(rows(points_->pos, torch::tensor({node}))));
  marker_->VisibilityOn();
  recolour();
}

void PointScene::clear_receptive_field() {
  field_erwin_ = torch::Tensor();
  field_khop_ = torch::Tensor();
  marker_->VisibilityOff();
  recolour();
}

void PointScene::colour_receptive_field() {
  const bool* erwin = field_erwin_.data_ptr<bool>();
  const bool* khop = field_khop_.defined() ? field_khop_.data_ptr<bool>() : nullptr;
  static const std::uint8_t kColours[4][3] = {
      {70, 72, 78}, {255, 160, 64}, {64, 160, 255}, {255, 255, 255}};  // -, Erwin, MPNN, both
  for (Layer* layer : {original_.get(), rotated_.get()}) {
    if (!layer) continue;
    std::uint8_t* rgb = layer->colours->GetPointer(0);
    for (int64_t i = 0; i < field_erwin_.numel(); ++i) {
      const int kind = (erwin[i] ? 1 : 0) + (khop && khop[i] ? 2 : 0);
      std::memcpy(rgb + 3 * i, kColours[kind], 3);
    }
    layer->colours_changed();
  }
}

void PointScene::recolour() {
  if (!tree_) return;
  if (field_erwin_.defined()) {
    colour_receptive_field();
    return;
  }
  const bool by_field = colouring_ == Colouring::Field && field_values_.defined() &&
                        field_values_.numel() == points_->pos.size(0);
  const std::vector<Rgb> ordered = ordered_ball_colours();
  if (by_field) {
    colour_by_field();
  } else {
    original_->colour(tree_->slots, level_, ordered);
    if (rotated_) rotated_->colour(tree_->rotated_slots, level_, ordered);
  }
  if (straddle_point_ >= 0) dim_outside_straddle_ball();
  original_->colours_changed();
  if (rotated_) rotated_->colours_changed();
}

// Dims every point outside the chosen rotated ball towards light grey.
void PointScene::dim_outside_straddle_ball() {
  straddle_ball_ = tree_->ball_of(straddle_point_, level_, true);
  straddle_ball_points_ = 0;
  const int64_t* rotated = tree_->rotated_slots.data_ptr<int64_t>();
  std::uint8_t* rgb = original_->colours->GetPointer(0);
  for (int64_t i = 0; i < tree_->slots.numel(); ++i) {
    if ((rotated[i] >> level_) == straddle_ball_) {
      ++straddle_ball_points_;
      continue;
    }
    for (int c = 0; c < 3; ++c)
      rgb[3 * i + c] = static_cast<std::uint8_t>(200 + rgb[3 * i + c] / 10);
  }
}

void PointScene::update_level_props() {
  const bool ready = tree_ != nullptr;
  const BallGeometry* geometry = ready ? &tree_->geometry[level_] : nullptr;
  const int64_t balls = ready ? geometry->radii.size(0) : 0;

  spheres_->SetVisibility(ready && show_spheres_ && level_ > 0 && balls <= kMaxSpheres);
  centres_->SetVisibility(ready && show_centres_);
  padding_->SetVisibility(ready && show_padding_);
  hulls_->SetVisibility(wants_hulls() && hulls_by_level_.count(level_));
  if (hulls_->GetVisibility() && hulls_level_ != level_) {
    hulls_data_->ShallowCopy(hulls_by_level_.at(level_));
    hulls_level_ = level_;
  }
  if (!ready || !(show_spheres_ || show_centres_)) return;  // built only when shown
  // A centre stands for 2^level points: coarser levels draw larger centres.
  centres_->GetProperty()->SetPointSize(static_cast<float>(std::clamp<int64_t>(4 + level_, 5, 18)));

  auto centres = vertices(to_vtk_points(geometry->centres.contiguous()));
  auto colours = rgb_array(balls, "ball");
  const torch::Tensor ids = torch::arange(balls, torch::kInt64);
  const std::vector<Rgb> ordered = ordered_ball_colours();
  if (ordered.empty())
    colour_points_by_ball(ids, 0, colours->GetPointer(0));
  else
    colour_points_by_table(ids, 0, ordered, colours->GetPointer(0));
  centres->GetPointData()->SetScalars(colours);
  centres_data_->ShallowCopy(centres);

  auto spheres = vtkSmartPointer<vtkPolyData>::New();
  spheres->SetPoints(centres->GetPoints());
  auto radius = vtkSmartPointer<vtkFloatArray>::New();
  radius->SetName("radius");
  radius->SetNumberOfValues(balls);
  std::memcpy(radius->GetPointer(0), geometry->radii.contiguous().data_ptr<float>(),
              sizeof(float) * balls);
  spheres->GetPointData()->AddArray(radius);
  spheres->GetPointData()->SetScalars(colours);
  spheres_data_->ShallowCopy(spheres);
}

bool PointScene::wants_hulls() const {
  return tree_ && show_hulls_ && level_ > 0 && tree_->ball_count(level_) <= kMaxHulls;
}

int64_t PointScene::missing_hulls_level() const {
  return wants_hulls() && !hulls_by_level_.count(level_) ? level_ : -1;
}

void PointScene::set_hulls(const BallHulls& hulls) {
  if (hulls.tree != tree_) return;
  auto data = vtkSmartPointer<vtkPolyData>::New();
  data->ShallowCopy(hulls.cells);
  data->SetPoints(vtk_points_);
  hulls_by_level_[hulls.level] = data;
  update_level_props();
}

bool PointScene::has_preview() const { return original_ && original_->preview; }

void PointScene::set_preview(bool on) {
  preview_ = on && has_preview();
  for (Layer* layer : {original_.get(), rotated_.get()})
    if (layer) layer->show_preview(preview_);
}

void PointScene::add_to(vtkRenderer* renderer, vtkRenderer* on_top, bool rotated) const {
  if (vtkActor* points = points_actor(rotated)) renderer->AddActor(points);
  const Layer* layer = rotated ? rotated_.get() : original_.get();
  if (layer && layer->preview) renderer->AddActor(layer->preview);
  renderer->AddActor(spheres_);
  renderer->AddActor(hulls_);
  renderer->AddActor(padding_);
  on_top->AddActor(centres_);
  on_top->AddActor(marker_);
}

vtkActor* PointScene::points_actor(bool rotated) const {
  const Layer* layer = rotated ? rotated_.get() : original_.get();
  return layer ? layer->actor.Get() : nullptr;
}

}  // namespace erwin::ui
