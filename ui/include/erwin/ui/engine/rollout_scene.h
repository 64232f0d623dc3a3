#pragma once
// The rollout player's VTK scene: three panels with one shared camera (predicted, truth, error)
// and a column with the colour bars, the predicted/true bar shared by both panels. EAGLE frames
// are the mesh of that step coloured by the field; ShapeNet-Car shows the car's surface points as
// spheres. The panels are rows (the domains are much longer than high).
//
// show_in() takes a render window over: its other renderers stop drawing until hide().
#include <vtkSmartPointer.h>
#include <vtkWeakPointer.h>

#include <QString>
#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "erwin/ui/engine/colour_maps.h"
#include "erwin/ui/engine/inference_result.h"

class vtkActor;
class vtkLookupTable;
class vtkPolyData;
class vtkRenderWindow;
class vtkRenderer;
class vtkScalarBarActor;
class vtkTextActor;

namespace erwin::ui {

class RolloutScene {
 public:
  static constexpr int kPanels = 3;  // predicted, truth, error

  RolloutScene();
  ~RolloutScene();

  void show_in(vtkRenderWindow* window);
  void hide();
  bool shown() const;

  // A new result: geometry of frame 0, camera reset to fit. The field must be set next.
  void set_result(InferenceResultPtr result);
  void set_field(const FieldFrames& frames);
  void set_frame(int64_t frame);
  int64_t frame() const { return frame_; }
  // The text in the corner of the error panel (step, error measures).
  void set_caption(const QString& text);

  void set_colour_map(ColourMap map);
  void set_range(double low, double high);  // predicted and truth
  void set_error_range(double high);        // error: [0, high]
  // Over all frames: [min, max] of the truth (a wrong prediction saturates), the largest error.
  std::pair<double, double> auto_range() const;
  double auto_error_max() const;

  vtkRenderer* panel(int index) const;
  void reset_camera();

 private:
  struct Panel;
  void layout();
  void update_scalars();
  void update_tables();

  std::array<std::unique_ptr<Panel>, kPanels> panels_;
  vtkSmartPointer<vtkRenderer> bars_;
  vtkSmartPointer<vtkScalarBarActor> field_bar_, error_bar_;
  vtkSmartPointer<vtkLookupTable> field_table_, error_table_;
  vtkSmartPointer<vtkTextActor> caption_;
  vtkWeakPointer<vtkRenderWindow> window_;             // may go first (the viewport owns it)
  std::vector<vtkWeakPointer<vtkRenderer>> silenced_;  // the window's renderers we turned off

  InferenceResultPtr result_;
  FieldFrames field_;
  int64_t frame_ = 0;
  ColourMap map_ = ColourMap::Viridis;
  double low_ = 0, high_ = 1, error_high_ = 1;
};

}  // namespace erwin::ui
