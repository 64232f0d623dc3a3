#include "erwin/ui/engine/rollout_scene.h"

#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkIdTypeArray.h>
#include <vtkLookupTable.h>
#include <vtkPointData.h>
#include <vtkPolyData.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderWindow.h>
#include <vtkRenderer.h>
#include <vtkRendererCollection.h>
#include <vtkScalarBarActor.h>
#include <vtkTextActor.h>
#include <vtkTextProperty.h>

#include <algorithm>

#include "erwin/ui/engine/point_set.h"

namespace erwin::ui {
namespace {

constexpr double kBarsWidth = 0.14;  // fraction of the window for the colour bars
const char* kPanelTitles[RolloutScene::kPanels] = {"predicted", "truth", "error"};

void style_text(vtkTextProperty* text, int size) {
  text->SetFontSize(size);
  text->SetColor(0.95, 0.95, 0.95);
  text->ShadowOn();
  text->BoldOff();
  text->ItalicOff();
}

vtkSmartPointer<vtkCellArray> cells_from(const torch::Tensor& connectivity, int64_t per_cell) {
  const torch::Tensor ids = connectivity.to(torch::kInt64).contiguous().view(-1);
  const int64_t count = ids.numel() / per_cell;
  auto connection = vtkSmartPointer<vtkIdTypeArray>::New();
  connection->SetNumberOfValues(ids.numel());
  std::copy_n(ids.data_ptr<int64_t>(), ids.numel(), connection->GetPointer(0));
  auto offsets = vtkSmartPointer<vtkIdTypeArray>::New();
  offsets->SetNumberOfValues(count + 1);
  for (int64_t i = 0; i <= count; ++i) offsets->SetValue(i, i * per_cell);
  auto cells = vtkSmartPointer<vtkCellArray>::New();
  cells->SetData(offsets, connection);
  return cells;
}

vtkSmartPointer<vtkScalarBarActor> scalar_bar(vtkLookupTable* table) {
  auto bar = vtkSmartPointer<vtkScalarBarActor>::New();
  bar->SetLookupTable(table);
  bar->SetNumberOfLabels(5);
  bar->SetLabelFormat("%.3g");
  bar->SetBarRatio(0.25);
  bar->UnconstrainedFontSizeOn();
  style_text(bar->GetTitleTextProperty(), 15);
  style_text(bar->GetLabelTextProperty(), 13);
  return bar;
}

void set_background(vtkRenderer* renderer) {
  renderer->GradientBackgroundOn();
  renderer->SetBackground(0.10, 0.11, 0.13);
  renderer->SetBackground2(0.22, 0.24, 0.28);
}

}  // namespace

struct RolloutScene::Panel {
  vtkSmartPointer<vtkRenderer> renderer = vtkSmartPointer<vtkRenderer>::New();
  vtkSmartPointer<vtkPolyData> data = vtkSmartPointer<vtkPolyData>::New();
  vtkSmartPointer<vtkFloatArray> scalars = vtkSmartPointer<vtkFloatArray>::New();
  vtkSmartPointer<vtkPolyDataMapper> mapper = vtkSmartPointer<vtkPolyDataMapper>::New();
  vtkSmartPointer<vtkActor> actor = vtkSmartPointer<vtkActor>::New();
  vtkSmartPointer<vtkTextActor> title = vtkSmartPointer<vtkTextActor>::New();

  Panel(vtkLookupTable* table, const char* name) {
    set_background(renderer);
    scalars->SetName("field");
    data->GetPointData()->SetScalars(scalars);
    mapper->SetInputData(data);
    mapper->SetLookupTable(table);
    mapper->UseLookupTableScalarRangeOn();
    mapper->SetScalarModeToUsePointData();
    mapper->InterpolateScalarsBeforeMappingOn();
    actor->SetMapper(mapper);
    title->SetInput(name);
    style_text(title->GetTextProperty(), 16);
    title->GetTextProperty()->SetVerticalJustificationToTop();
    title->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
    title->SetPosition(0.01, 0.97);
    renderer->AddActor(actor);
    renderer->AddActor2D(title);
  }
};

RolloutScene::RolloutScene()
    : bars_(vtkSmartPointer<vtkRenderer>::New()),
      field_table_(vtkSmartPointer<vtkLookupTable>::New()),
      error_table_(vtkSmartPointer<vtkLookupTable>::New()),
      caption_(vtkSmartPointer<vtkTextActor>::New()) {
  for (int i = 0; i < kPanels; ++i)
    panels_[i] =
        std::make_unique<Panel>(i == 2 ? error_table_.Get() : field_table_.Get(), kPanelTitles[i]);
  for (int i = 1; i < kPanels; ++i)
    panels_[i]->renderer->SetActiveCamera(panels_[0]->renderer->GetActiveCamera());
  set_background(bars_);
  field_bar_ = scalar_bar(field_table_);
  error_bar_ = scalar_bar(error_table_);
  error_bar_->SetTitle("error");
  field_bar_->SetPosition(0.08, 0.40);
  field_bar_->SetPosition2(0.84, 0.57);
  error_bar_->SetPosition(0.08, 0.03);
  error_bar_->SetPosition2(0.84, 0.33);
  bars_->AddActor2D(field_bar_);
  bars_->AddActor2D(error_bar_);
  style_text(caption_->GetTextProperty(), 15);
  caption_->GetTextProperty()->SetJustificationToRight();
  caption_->GetTextProperty()->SetVerticalJustificationToTop();
  caption_->GetPositionCoordinate()->SetCoordinateSystemToNormalizedViewport();
  caption_->SetPosition(0.99, 0.97);
  panels_[2]->renderer->AddActor2D(caption_);
  layout();
  update_tables();
}

RolloutScene::~RolloutScene() { hide(); }

void RolloutScene::show_in(vtkRenderWindow* window) {
  if (window_ == window) return;
  hide();
  window_ = window;
  vtkRendererCollection* renderers = window->GetRenderers();
  renderers->InitTraversal();
  while (vtkRenderer* renderer = renderers->GetNextItem()) {
    if (!renderer->GetDraw()) continue;
    renderer->DrawOff();
    silenced_.emplace_back(renderer);
  }
  for (const auto& panel : panels_) window->AddRenderer(panel->renderer);
  window->AddRenderer(bars_);
}

bool RolloutScene::shown() const { return window_.GetPointer() != nullptr; }

void RolloutScene::hide() {
  if (!window_) return;
  for (const auto& panel : panels_) window_->RemoveRenderer(panel->renderer);
  window_->RemoveRenderer(bars_);
  for (const auto& renderer : silenced_)
    if (renderer) renderer->DrawOn();
  silenced_.clear();
  window_ = nullptr;
}

// Rows: the channel and the car are both much longer than high.
void RolloutScene::layout() {
  const double width = 1.0 - kBarsWidth;
  for (int i = 0; i < kPanels; ++i)
    panels_[i]->renderer->SetViewport(0.0, (kPanels - 1 - i) / 3.0, width, (kPanels - i) / 3.0);
  bars_->SetViewport(width, 0.0, 1.0, 1.0);
}

void RolloutScene::set_result(InferenceResultPtr result) {
  result_ = std::move(result);
  field_ = FieldFrames{};  // the previous result's field may have other sizes
  const bool points = !result_->triangles().defined();
  for (const auto& panel : panels_) {
    vtkProperty* property = panel->actor->GetProperty();
    property->SetRenderPointsAsSpheres(points);
    property->SetPointSize(points ? 7.0f : 1.0f);
    property->SetLighting(points);  // flat 2D fields show their exact colours
  }
  frame_ = -1;
  set_frame(0);
  reset_camera();
}

void RolloutScene::set_frame(int64_t frame) {
  if (!result_) return;
  frame = std::clamp<int64_t>(frame, 0, result_->frame_count() - 1);
  if (frame == frame_) return;
  frame_ = frame;
  const torch::Tensor positions = result_->positions()[frame].contiguous();
  const vtkSmartPointer<vtkPoints> points = to_vtk_points(positions);
  const torch::Tensor triangles = result_->triangles();
  const vtkSmartPointer<vtkCellArray> cells =
      triangles.defined() ? cells_from(triangles[frame], 3)
                          : cells_from(torch::arange(positions.size(0), torch::kInt64), 1);
  for (const auto& panel : panels_) {
    panel->data->Initialize();
    panel->data->SetPoints(points);
    triangles.defined() ? panel->data->SetPolys(cells) : panel->data->SetVerts(cells);
    panel->data->GetPointData()->SetScalars(panel->scalars);
  }
  update_scalars();
}

void RolloutScene::set_field(const FieldFrames& frames) {
  field_ = frames;
  // One word a line: the bars' column is narrow.
  field_bar_->SetTitle(QString(field_.name).replace(' ', '\n').toUtf8().constData());
  panels_[0]->title->SetInput(("predicted " + field_.name).toUtf8().constData());
  panels_[1]->title->SetInput(("true " + field_.name).toUtf8().constData());
  panels_[2]->title->SetInput((field_.name == "velocity magnitude"
                                   ? QString("|v predicted - v true|")
                                   : "|error| of " + field_.name)
                                  .toUtf8()
                                  .constData());
  update_scalars();
}

void RolloutScene::update_scalars() {
  if (!field_.predicted.defined() || frame_ < 0) return;
  const torch::Tensor* values[kPanels] = {&field_.predicted, &field_.truth, &field_.error};
  for (int i = 0; i < kPanels; ++i) {
    const torch::Tensor row = (*values[i])[frame_].to(torch::kFloat32).contiguous();
    vtkFloatArray* scalars = panels_[i]->scalars;
    scalars->SetNumberOfValues(row.numel());
    std::copy_n(row.data_ptr<float>(), row.numel(), scalars->GetPointer(0));
    scalars->Modified();
    panels_[i]->data->Modified();
  }
}

void RolloutScene::set_caption(const QString& text) {
  caption_->SetInput(text.toUtf8().constData());
}

void RolloutScene::set_colour_map(ColourMap map) {
  map_ = map;
  update_tables();
}

void RolloutScene::set_range(double low, double high) {
  low_ = low;
  high_ = high;
  update_tables();
}

void RolloutScene::set_error_range(double high) {
  error_high_ = high;
  update_tables();
}

void RolloutScene::update_tables() {
  fill_lookup_table(field_table_, map_, low_, high_);
  fill_lookup_table(error_table_, map_, 0.0, error_high_);
}

std::pair<double, double> RolloutScene::auto_range() const {
  if (!field_.predicted.defined()) return {0.0, 1.0};
  return {field_.truth.min().item<double>(), field_.truth.max().item<double>()};
}

double RolloutScene::auto_error_max() const {
  return field_.error.defined() ? field_.error.max().item<double>() : 1.0;
}

vtkRenderer* RolloutScene::panel(int index) const { return panels_.at(index)->renderer; }

void RolloutScene::reset_camera() {
  if (!result_) return;
  vtkRenderer* renderer = panels_[0]->renderer;
  vtkCamera* camera = renderer->GetActiveCamera();
  const bool flat = result_->positions().size(-1) == 2;
  camera->SetFocalPoint(0, 0, 0);
  camera->SetPosition(0, 0, 1);
  camera->SetViewUp(0, 1, 0);
  camera->SetParallelProjection(flat);
  if (!flat) {
    camera->Elevation(25);
    camera->Azimuth(-35);
    camera->OrthogonalizeViewUp();
  }
  renderer->ResetCamera();
  if (!flat) {
    camera->Zoom(1.35);  // ResetCamera fits the bounding sphere into the panel's height
    return;
  }
  // Fit the 2D domain's bounding box (not its bounding sphere) into the panel.
  double bounds[6];
  renderer->ComputeVisiblePropBounds(bounds);
  const double* viewport = renderer->GetViewport();
  const int* pixels = window_ ? window_->GetSize() : nullptr;
  const double aspect = pixels && pixels[1] > 0 ? (viewport[2] - viewport[0]) * pixels[0] /
                                                      ((viewport[3] - viewport[1]) * pixels[1])
                                                : 2.5;
  const double half_height = 0.5 * (bounds[3] - bounds[2]),
               half_width = 0.5 * (bounds[1] - bounds[0]);
  camera->SetParallelScale(1.08 * std::max(half_height, half_width / aspect));
}

}  // namespace erwin::ui
