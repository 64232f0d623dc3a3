#include "erwin/ui/engine/studio_state.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "erwin/config.h"
#include "erwin/training/run_config.h"

namespace erwin::ui {
namespace {

[[noreturn]] void refuse(std::string_view name, std::string_view value, const std::string& what) {
  throw std::invalid_argument("--" + std::string(name) + " " + std::string(value) + ": " + what);
}

std::string join(const std::vector<std::string>& words) {
  std::string joined;
  for (const std::string& word : words) joined += (joined.empty() ? "" : ", ") + word;
  return joined;
}

template <class Number>
Number parse_number(std::string_view name, std::string_view text) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty())
    refuse(name, text, "not a number");
  return value;
}

bool parse_switch(std::string_view name, std::string_view text) {
  if (text == "on" || text == "true" || text == "1" || text == "yes") return true;
  if (text == "off" || text == "false" || text == "0" || text == "no") return false;
  refuse(name, text, "must be on or off");
}

template <class Enum>
Enum parse_choice(std::string_view name, std::string_view text,
                  const std::vector<std::string>& choices) {
  const auto found = std::find(choices.begin(), choices.end(), text);
  if (found == choices.end()) refuse(name, text, "must be one of " + join(choices));
  return static_cast<Enum>(found - choices.begin());
}

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// "px,py,pz,fx,fy,fz,ux,uy,uz": position, focal point, view up.
CameraPose parse_camera(std::string_view name, std::string_view text) {
  std::array<double, 9> numbers{};
  size_t at = 0;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const size_t comma = i + 1 < numbers.size() ? text.find(',', at) : text.size();
    if (comma == std::string_view::npos)
      refuse(name, text, "needs 9 numbers: position, focal point, view up");
    numbers[i] = parse_number<double>(name, text.substr(at, comma - at));
    if (!std::isfinite(numbers[i])) refuse(name, text, "numbers must be finite");
    at = comma + 1;
  }
  CameraPose pose;
  std::copy_n(numbers.begin(), 3, pose.position.begin());
  std::copy_n(numbers.begin() + 3, 3, pose.focal_point.begin());
  std::copy_n(numbers.begin() + 6, 3, pose.view_up.begin());
  return pose;
}

std::string format_camera(const CameraPose& pose) {
  std::string text;
  for (const auto* vector : {&pose.position, &pose.focal_point, &pose.view_up})
    for (double value : *vector) text += (text.empty() ? "" : ",") + format_number(value);
  return text;
}

// "off"; "x", "y", "z": the plane through the data's centre with that normal; or
// "ox,oy,oz,nx,ny,nz".
ClipPlane parse_clip(std::string_view name, std::string_view text) {
  ClipPlane clip;
  if (text == "off") return clip;
  clip.on = true;
  if (text == "x" || text == "y" || text == "z") {
    clip.normal = {text == "x" ? 1.0 : 0.0, text == "y" ? 1.0 : 0.0, text == "z" ? 1.0 : 0.0};
    return clip;
  }
  std::array<double, 6> numbers{};
  size_t at = 0;
  for (size_t i = 0; i < numbers.size(); ++i) {
    const size_t comma = i + 1 < numbers.size() ? text.find(',', at) : text.size();
    if (comma == std::string_view::npos)
      refuse(name, text, "must be off, x, y, z or 6 numbers: origin, normal");
    numbers[i] = parse_number<double>(name, text.substr(at, comma - at));
    at = comma + 1;
  }
  std::copy_n(numbers.begin(), 3, clip.origin.begin());
  std::copy_n(numbers.begin() + 3, 3, clip.normal.begin());
  return clip;
}

std::string format_clip(const ClipPlane& clip) {
  if (!clip.on) return "off";
  if (std::isnan(clip.origin[0]))
    for (int axis = 0; axis < 3; ++axis)
      if (clip.normal[axis] == 1.0 && clip.normal[(axis + 1) % 3] == 0.0 &&
          clip.normal[(axis + 2) % 3] == 0.0)
        return std::string(1, "xyz"[axis]);
  std::string text;
  for (const auto* vector : {&clip.origin, &clip.normal})
    for (double value : *vector) text += (text.empty() ? "" : ",") + format_number(value);
  return text;
}

// One row per settable name: how to read it from text and how to write it as text.
struct NamedSetting {
  StudioState::Option option;
  std::function<void(StudioState&, std::string_view name, std::string_view value)> set;
  std::function<std::string(const StudioState&)> get;
};

NamedSetting on_off(std::string name, std::string help, bool on_by_default,
                    void (StudioState::*setter)(bool), bool (StudioState::*getter)() const) {
  return {{std::move(name), "", std::move(help), on_by_default},
          [setter](StudioState& state, std::string_view n, std::string_view value) {
            (state.*setter)(parse_switch(n, value));
          },
          [getter](const StudioState& state) { return (state.*getter)() ? "on" : "off"; }};
}

const std::vector<NamedSetting>& named_settings() {
  static const std::vector<NamedSetting> settings = {
      {{"cloud", "index", "Cloud of a file of several clouds, from 0."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         s.set_cloud(parse_number<int64_t>(n, v));
       },
       [](const StudioState& s) { return std::to_string(s.cloud()); }},
      {{"time", "step", "Time step of a time series (EAGLE, MD, .pvd), from 0."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         s.set_time(parse_number<int64_t>(n, v));
       },
       [](const StudioState& s) { return std::to_string(s.time()); }},
      on_off("play", "Play the time series.", false, &StudioState::set_playing,
             &StudioState::playing),
      {{"level", "level", "Ball-tree level to colour by (balls of 2^level slots)."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         s.set_level(parse_number<int>(n, v));
       },
       [](const StudioState& s) { return std::to_string(s.level()); }},
      {{"view", "view", "Which tree: " + join(StudioState::view_names()) + "."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         s.set_view(parse_choice<TreeView>(n, v, StudioState::view_names()));
       },
       [](const StudioState& s) { return StudioState::view_names()[int(s.view())]; }},
      {{"rotate", "degrees",
        "Rotation angle of the rotated tree in degrees, 0 to 180 (default 45; 0: none)."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         s.set_angle(parse_number<double>(n, v));
       },
       [](const StudioState& s) { return format_number(s.angle()); }},
      on_off("spheres", "Draw the balls of the level as spheres.", false, &StudioState::set_spheres,
             &StudioState::spheres),
      on_off("hulls", "Draw the convex hull of every ball of the level.", false,
             &StudioState::set_hulls, &StudioState::hulls),
      on_off("centres", "Draw the pooled nodes (ball centres) of the level.", false,
             &StudioState::set_centres, &StudioState::centres),
      on_off("padding", "Mark the padding slots.", false, &StudioState::set_padding,
             &StudioState::padding),
      {{"point-size", "pixels",
        "Point size in pixels, 1 to 50 (0: chosen for the number of points)."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         s.set_point_size(parse_number<double>(n, v));
       },
       [](const StudioState& s) { return format_number(s.point_size()); }},
      on_off("spheres-points", "Draw points as lit spheres (depth reads as shading).", true,
             &StudioState::set_points_as_spheres, &StudioState::points_as_spheres),
      {{"colour-by", "colouring",
        "Point colours: ball, ball-order (the tree's order through the colour map) or a field "
        "of the data by name (pressure, velocity, velocity:x, ...)."},
       [](StudioState& s, std::string_view, std::string_view v) {
         if (v == "ball" || v == "ball-order")
           s.set_colouring(v == "ball" ? Colouring::Ball : Colouring::BallOrder);
         else
           s.set_field(std::string(v));
       },
       [](const StudioState& s) {
         return s.colouring() == Colouring::Field
                    ? s.field()
                    : StudioState::colouring_names()[int(s.colouring())];
       }},
      {{"colour-map", "map", "Colour map: " + join(StudioState::colour_map_names()) + "."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         s.set_colour_map(parse_choice<ColourMap>(n, v, StudioState::colour_map_names()));
       },
       [](const StudioState& s) { return StudioState::colour_map_names()[int(s.colour_map())]; }},
      {{"range", "range",
        "Colour range of a field: auto (min to max), percentile (1st to 99th), symmetric (about "
        "zero) or low,high."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         const std::vector<std::string> names = StudioState::range_names();
         const auto named = std::find(names.begin(), names.end(), v);
         if (named != names.end()) {
           s.set_range(static_cast<RangeMode>(named - names.begin()));
           return;
         }
         const size_t comma = v.find(',');
         if (comma == std::string_view::npos)
           refuse(n, v, "must be one of " + join(names) + " or low,high");
         s.set_range(RangeMode::Fixed, parse_number<double>(n, v.substr(0, comma)),
                     parse_number<double>(n, v.substr(comma + 1)));
       },
       [](const StudioState& s) {
         return s.range_mode() == RangeMode::Fixed
                    ? format_number(s.range_low()) + "," + format_number(s.range_high())
                    : StudioState::range_names()[int(s.range_mode())];
       }},
      {{"model", "config",
        "A run or model configuration (JSON): the level control marks its encoder levels."},
       [](StudioState& s, std::string_view, std::string_view v) {
         s.set_model_config(std::string(v));
       },
       [](const StudioState& s) { return s.model_config(); }},
      {{"clip", "plane",
        "Clip plane: off; x, y or z (through the data's centre, keeping the positive side); or "
        "ox,oy,oz,nx,ny,nz. Drag it in the view."},
       [](StudioState& s, std::string_view n, std::string_view v) { s.set_clip(parse_clip(n, v)); },
       [](const StudioState& s) { return format_clip(s.clip()); }},
      on_off("legend", "Show what the colours mean.", true, &StudioState::set_legend,
             &StudioState::legend),
      on_off("axes", "Show the orientation axes.", true, &StudioState::set_axes,
             &StudioState::axes),
      on_off("scale-bar", "Show a scale bar.", true, &StudioState::set_scale_bar,
             &StudioState::scale_bar),
      {{"camera", "px,py,pz,fx,fy,fz,ux,uy,uz",
        "Camera position, focal point and view-up vector (default: fit the data)."},
       [](StudioState& s, std::string_view n, std::string_view v) {
         s.set_camera(parse_camera(n, v));
       },
       [](const StudioState& s) { return s.has_camera() ? format_camera(s.camera()) : ""; }},
  };
  return settings;
}

const NamedSetting& named(std::string_view name) {
  for (const NamedSetting& setting : named_settings())
    if (setting.option.name == name) return setting;
  throw std::invalid_argument("Erwin Studio has no setting named '" + std::string(name) + "'");
}

}  // namespace

std::vector<ModelLevel> model_levels(const std::vector<int64_t>& ball_sizes,
                                     const std::vector<int64_t>& strides) {
  std::vector<ModelLevel> levels;
  int64_t points_per_node = 1;
  for (size_t i = 0; i < ball_sizes.size(); ++i) {
    if (i > 0) points_per_node *= strides.at(i - 1);
    ModelLevel level{ball_sizes[i], points_per_node, -1};
    const int64_t slots = ball_sizes[i] * points_per_node;
    if (slots > 0 && (slots & (slots - 1)) == 0)
      level.tree_level = static_cast<int>(std::log2(static_cast<double>(slots)) + 0.5);
    levels.push_back(level);
  }
  return levels;
}

namespace {

// A run configuration's model, or a model configuration itself.
ErwinConfig read_model_config(const std::string& path) {
  try {
    return RunConfig::from_json_file(path).model;
  } catch (const std::invalid_argument&) {
    return ErwinConfig::from_json_file(path);
  }
}

}  // namespace

bool ClipPlane::operator==(const ClipPlane& other) const {
  // NaN (the data's centre) equals NaN here.
  const auto same = [](double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); };
  for (int i = 0; i < 3; ++i)
    if (!same(origin[i], other.origin[i]) || normal[i] != other.normal[i]) return false;
  return on == other.on;
}

int StudioState::subscribe(Listener listener) {
  listeners_.emplace_back(next_listener_, std::move(listener));
  return next_listener_++;
}

void StudioState::unsubscribe(int id) {
  std::erase_if(listeners_, [id](const auto& entry) { return entry.first == id; });
}

void StudioState::notify(Setting setting) {
  // A listener may subscribe or unsubscribe others: call a copy.
  const auto listeners = listeners_;
  for (const auto& [id, listener] : listeners) listener(setting);
}

template <class T>
void StudioState::assign(T& value, const T& wanted, Setting setting) {
  if (value == wanted) return;
  value = wanted;
  notify(setting);
}

void StudioState::set_limits(Limits limits) {
  limits_ = std::move(limits);
  // Data without the field coloured by falls back to ball colours.
  const auto& fields = limits_.fields;
  if (colouring_ == Colouring::Field &&
      std::find(fields.begin(), fields.end(), field_) == fields.end()) {
    colouring_ = Colouring::Ball;
    notify(Setting::Colouring);
  }
}

void StudioState::set_source(const std::string& source) {
  assign(source_, source, Setting::Source);
}

namespace {

// "this data has 3 clouds (0..2)", "this data has 1 time step (0)".
std::string count_range(int64_t count, const std::string& thing) {
  return "this data has " + std::to_string(count) + " " + thing +
         (count == 1 ? " (0)" : "s (0.." + std::to_string(count - 1) + ")");
}

}  // namespace

void StudioState::set_cloud(int64_t cloud) {
  const int64_t count = std::max<int64_t>(limits_.cloud_count, 1);
  if (cloud < 0 || cloud >= count)
    refuse("cloud", std::to_string(cloud), count_range(count, "cloud"));
  assign(cloud_, cloud, Setting::Cloud);
}

void StudioState::set_time(int64_t frame) {
  const int64_t count = std::max<int64_t>(limits_.frame_count, 1);
  if (frame < 0 || frame >= count)
    refuse("time", std::to_string(frame), count_range(count, "time step"));
  assign(time_, frame, Setting::Time);
}

void StudioState::set_playing(bool on) { assign(playing_, on, Setting::Playing); }

void StudioState::set_level(int level) {
  if (level < 0) refuse("level", std::to_string(level), "levels start at 0");
  if (limits_.deepest_level >= 0 && level > limits_.deepest_level)
    refuse("level", std::to_string(level),
           "this data's levels are 0.." + std::to_string(limits_.deepest_level));
  assign(level_, level, Setting::Level);
}

void StudioState::set_view(TreeView view) { assign(view_, view, Setting::View); }

void StudioState::set_angle(double degrees) {
  if (!(degrees >= 0.0 && degrees <= kMaxAngle))
    refuse("rotate", format_number(degrees), "the angle lies in 0..180 degrees");
  assign(angle_, degrees, Setting::Angle);
}

void StudioState::set_spheres(bool on) { assign(spheres_, on, Setting::Spheres); }
void StudioState::set_hulls(bool on) { assign(hulls_, on, Setting::Hulls); }
void StudioState::set_centres(bool on) { assign(centres_, on, Setting::Centres); }
void StudioState::set_padding(bool on) { assign(padding_, on, Setting::Padding); }

void StudioState::set_point_size(double pixels) {
  if (!(pixels == 0.0 || (pixels >= 1.0 && pixels <= kMaxPointSize)))
    refuse("point-size", format_number(pixels), "a point size is 1..50 pixels (0: automatic)");
  assign(point_size_, pixels, Setting::PointSize);
}

void StudioState::set_points_as_spheres(bool on) {
  assign(points_as_spheres_, on, Setting::PointsAsSpheres);
}

void StudioState::set_colouring(Colouring colouring) {
  if (colouring == Colouring::Field) {  // the field chosen last, or the data's first
    const auto& fields = limits_.fields;
    const bool known = std::find(fields.begin(), fields.end(), field_) != fields.end();
    set_field(known || fields.empty() ? field_ : fields.front());
    return;
  }
  assign(colouring_, colouring, Setting::Colouring);
}

void StudioState::set_colour_map(ColourMap map) { assign(colour_map_, map, Setting::ColourMap); }

void StudioState::set_field(const std::string& name) {
  const std::vector<std::string>& fields = limits_.fields;
  if (std::find(fields.begin(), fields.end(), name) == fields.end())
    refuse("colour-by", name,
           fields.empty() ? "must be one of ball, ball-order (this data has no fields)"
                          : "must be ball, ball-order or a field of this data: " + join(fields));
  if (colouring_ == Colouring::Field && field_ == name) return;
  colouring_ = Colouring::Field;
  field_ = name;
  notify(Setting::Colouring);
}

void StudioState::set_range(RangeMode mode, double low, double high) {
  if (mode == RangeMode::Fixed && !(std::isfinite(low) && std::isfinite(high) && low < high))
    refuse("range", format_number(low) + "," + format_number(high),
           "a fixed range needs finite low < high");
  if (mode != RangeMode::Fixed) low = range_low_, high = range_high_;
  if (range_mode_ == mode && range_low_ == low && range_high_ == high) return;
  range_mode_ = mode;
  range_low_ = low;
  range_high_ = high;
  notify(Setting::Range);
}
void StudioState::set_model_config(const std::string& path) {
  std::vector<ModelLevel> levels;
  if (!path.empty()) {
    try {
      const ErwinConfig config = read_model_config(path);
      config.validate();
      levels = model_levels(config.ball_sizes, config.strides);
    } catch (const std::exception& e) {
      refuse("model", path, e.what());
    }
  }
  model_ = std::move(levels);
  assign(model_config_, path, Setting::Model);
}

void StudioState::set_clip(const ClipPlane& clip) {
  const auto& n = clip.normal;
  const bool finite_normal = std::isfinite(n[0]) && std::isfinite(n[1]) && std::isfinite(n[2]);
  const bool origin_ok =
      std::none_of(clip.origin.begin(), clip.origin.end(), [](double x) { return std::isinf(x); });
  if (!finite_normal || n[0] * n[0] + n[1] * n[1] + n[2] * n[2] == 0.0 || !origin_ok)
    refuse("clip", format_clip(clip), "needs a finite, non-zero normal and a finite origin");
  assign(clip_, clip, Setting::Clip);
}

void StudioState::set_legend(bool on) { assign(legend_, on, Setting::Legend); }
void StudioState::set_axes(bool on) { assign(axes_, on, Setting::Axes); }
void StudioState::set_scale_bar(bool on) { assign(scale_bar_, on, Setting::ScaleBar); }

void StudioState::set_camera(const CameraPose& camera) {
  if (has_camera_ && camera_ == camera) return;
  camera_ = camera;
  has_camera_ = true;
  notify(Setting::Camera);
}

void StudioState::reset_camera() {
  has_camera_ = false;
  notify(Setting::Camera);
}

const std::vector<StudioState::Option>& StudioState::options() {
  static const std::vector<Option> options = [] {
    std::vector<Option> list;
    for (const NamedSetting& setting : named_settings()) list.push_back(setting.option);
    return list;
  }();
  return options;
}

void StudioState::set(std::string_view name, std::string_view value) {
  named(name).set(*this, name, value);
}

std::string StudioState::get(std::string_view name) const { return named(name).get(*this); }

std::vector<std::string> StudioState::view_names() {
  return {"original", "rotated", "side", "overlay"};
}

std::vector<std::string> StudioState::colouring_names() { return {"ball", "ball-order", "field"}; }

std::vector<std::string> StudioState::range_names() { return {"auto", "percentile", "symmetric"}; }

std::vector<std::string> StudioState::colour_map_names() {
  return {"viridis", "cool-warm", "rainbow", "greys"};
}

}  // namespace erwin::ui
