#pragma once
// What the Studio shows, as values: the data source and cloud, the tree level, view and rotation,
// what is drawn at the level, how points are drawn and coloured, the overlays and the camera.
// Everything that changes the picture goes through the setters here, whether it comes from a
// panel, a menu, the command line or a test (Polyscope's persistent values, f3d's one options
// object); the window listens and applies each change. Qt-free: listeners are plain callbacks,
// called synchronously after a value really changed.
//
// Every value can also be set and read by name ("level", "7"), which is what the command line
// does (--level 7): options() lists the names, their help and the values they take, so that the
// command line offers exactly what the state can set. Out-of-range values are refused with
// std::invalid_argument naming the option and its range; nothing changes then.
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace erwin::ui {

enum class TreeView { Original, Rotated, SideBySide, Overlay };

// How points are coloured: by ball (distinct colours for neighbouring balls), by the ball's
// position in the tree's order through the colour map, which shows how the tree orders space
// (paper §3.1: consecutive balls are close), or by a per-point field of the data.
enum class Colouring { Ball, BallOrder, Field };

// A field's colour range: its minimum to maximum, its 1st to 99th percentile (outliers do not
// flatten the rest), symmetric about zero (signed fields, with a diverging map), or given.
enum class RangeMode { Auto, Percentile, Symmetric, Fixed };

enum class ColourMap { Viridis, CoolWarm, Rainbow, Greys };

// A clip plane (ParaView's clip, Polyscope's slice plane): what lies on the side the normal points
// to is kept. A NaN origin stands for the centre of the data's bounds.
struct ClipPlane {
  bool on = false;
  std::array<double, 3> origin{NAN, NAN, NAN}, normal{1, 0, 0};
  bool operator==(const ClipPlane& other) const;
};

// A VTK camera: where it is, what it looks at, and which way is up.
struct CameraPose {
  std::array<double, 3> position{0, 0, 1}, focal_point{0, 0, 0}, view_up{0, 1, 0};
  bool operator==(const CameraPose&) const = default;
};

// Where a model's encoder levels sit in the ball tree (paper §3.2: level i attends within balls of
// ball_sizes[i] nodes, each node pooled from stride_0 ... stride_{i-1} points).
struct ModelLevel {
  int64_t ball_size = 0;        // nodes per ball at this encoder level
  int64_t points_per_node = 1;  // product of the strides before it
  int tree_level = -1;          // the tree depth of a ball of ball_size x points_per_node slots
};
// The model levels of a configuration's ball sizes and strides.
std::vector<ModelLevel> model_levels(const std::vector<int64_t>& ball_sizes,
                                     const std::vector<int64_t>& strides);

class StudioState {
 public:
  enum class Setting {
    Source,
    Cloud,
    Time,
    Playing,
    Level,
    View,
    Angle,
    Spheres,
    Hulls,
    Centres,
    Padding,
    PointSize,
    PointsAsSpheres,
    Colouring,
    ColourMap,
    Range,
    Model,
    Clip,
    Legend,
    Axes,
    ScaleBar,
    Camera,
  };
  using Listener = std::function<void(Setting)>;

  // Largest point size in pixels, and the rotation angle's range (SPEC §2: 0 disables it).
  static constexpr double kMaxPointSize = 50.0;
  static constexpr double kMaxAngle = 180.0;

  // `listener` hears every change from now on; the returned id removes it again.
  int subscribe(Listener listener);
  void unsubscribe(int id);

  // What the data allows, told by the window when a tree is shown: levels 0..deepest, clouds and
  // time steps 0..count-1, the fields it can be coloured by. Until then (-1, 0, 0, {}) any
  // non-negative level, cloud 0 and time 0 are accepted.
  struct Limits {
    int deepest_level = -1;
    int64_t cloud_count = 0, frame_count = 0;
    std::vector<std::string> fields;
  };
  void set_limits(Limits limits);
  const Limits& limits() const { return limits_; }

  const std::string& source() const { return source_; }
  int64_t cloud() const { return cloud_; }
  int64_t time() const { return time_; }  // the frame of a time series
  bool playing() const { return playing_; }
  int level() const { return level_; }
  TreeView view() const { return view_; }
  double angle() const { return angle_; }
  bool spheres() const { return spheres_; }
  bool hulls() const { return hulls_; }
  bool centres() const { return centres_; }
  bool padding() const { return padding_; }
  double point_size() const { return point_size_; }  // pixels; 0: chosen for the cloud's size
  bool points_as_spheres() const { return points_as_spheres_; }
  Colouring colouring() const { return colouring_; }
  ColourMap colour_map() const { return colour_map_; }
  const std::string& field() const { return field_; }  // Colouring::Field: which
  RangeMode range_mode() const { return range_mode_; }
  double range_low() const { return range_low_; }  // RangeMode::Fixed
  double range_high() const { return range_high_; }
  // A run or model configuration (JSON) whose encoder levels the level control marks; "" none.
  const std::string& model_config() const { return model_config_; }
  const std::vector<ModelLevel>& model() const { return model_; }
  const ClipPlane& clip() const { return clip_; }
  bool legend() const { return legend_; }
  bool axes() const { return axes_; }
  bool scale_bar() const { return scale_bar_; }
  // The camera as last set or reported; has_camera() is false until then (the view is reset).
  const CameraPose& camera() const { return camera_; }
  bool has_camera() const { return has_camera_; }

  void set_source(const std::string& source);
  void set_cloud(int64_t cloud);
  void set_time(int64_t frame);
  void set_playing(bool on);
  void set_level(int level);
  void set_view(TreeView view);
  void set_angle(double degrees);
  void set_spheres(bool on);
  void set_hulls(bool on);
  void set_centres(bool on);
  void set_padding(bool on);
  void set_point_size(double pixels);
  void set_points_as_spheres(bool on);
  void set_colouring(Colouring colouring);
  void set_colour_map(ColourMap map);
  // Colours by this field (one of limits().fields): Colouring::Field.
  void set_field(const std::string& name);
  void set_range(RangeMode mode, double low = 0.0, double high = 1.0);  // low < high for Fixed
  // Reads the configuration's ball sizes and strides; std::invalid_argument naming the file.
  void set_model_config(const std::string& path);
  // std::invalid_argument for a zero or non-finite normal, or an infinite origin.
  void set_clip(const ClipPlane& clip);
  void set_legend(bool on);
  void set_axes(bool on);
  void set_scale_bar(bool on);
  void set_camera(const CameraPose& camera);
  // Forgets the camera (the window then resets the view to fit the data).
  void reset_camera();

  // The settable names, as the command line offers them.
  struct Option {
    std::string name;        // "level"
    std::string value_name;  // "level"; empty for an on/off switch
    std::string help;
    bool on_by_default = false;  // switches only: the command line offers --no-<name>
  };
  static const std::vector<Option>& options();
  // Sets option `name` from text ("7", "rotated", "on"); std::invalid_argument names the option
  // and what it accepts.
  void set(std::string_view name, std::string_view value);
  std::string get(std::string_view name) const;

  static std::vector<std::string> view_names();        // in TreeView order
  static std::vector<std::string> colouring_names();   // in Colouring order
  static std::vector<std::string> colour_map_names();  // in ColourMap order
  static std::vector<std::string> range_names();       // Auto, Percentile, Symmetric

 private:
  template <class T>
  void assign(T& value, const T& wanted, Setting setting);
  void notify(Setting setting);

  std::vector<std::pair<int, Listener>> listeners_;
  int next_listener_ = 0;
  Limits limits_;

  std::string source_;
  int64_t cloud_ = 0;
  int64_t time_ = 0;
  bool playing_ = false;
  int level_ = 0;
  TreeView view_ = TreeView::Original;
  double angle_ = 45.0;
  bool spheres_ = false, hulls_ = false, centres_ = false, padding_ = false;
  double point_size_ = 0.0;
  bool points_as_spheres_ = true;
  Colouring colouring_ = Colouring::Ball;
  ColourMap colour_map_ = ColourMap::Viridis;
  std::string field_;
  RangeMode range_mode_ = RangeMode::Auto;
  double range_low_ = 0.0, range_high_ = 1.0;
  std::string model_config_;
  std::vector<ModelLevel> model_;
  ClipPlane clip_;
  bool legend_ = true, axes_ = true, scale_bar_ = true;
  CameraPose camera_;
  bool has_camera_ = false;
};

}  // namespace erwin::ui
