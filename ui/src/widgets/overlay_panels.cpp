#include "erwin/ui/widgets/overlay_panels.h"

#include <imgui.h>

#include <cmath>
#include <cstdio>

#include "erwin/ui/engine/ball_colours.h"
#include "erwin/ui/engine/scene_tree.h"

namespace erwin::ui {
namespace {

constexpr ImGuiWindowFlags kPanel = ImGuiWindowFlags_AlwaysAutoResize |
                                    ImGuiWindowFlags_NoFocusOnAppearing |
                                    ImGuiWindowFlags_NoSavedSettings;

ImVec4 colour_of_ball(int64_t ball) {
  const auto rgb = ball_colour(ball);
  return ImVec4(rgb[0] / 255.f, rgb[1] / 255.f, rgb[2] / 255.f, 1.f);
}

void hovered_point_panel(const OverlayState& state) {
  const SceneTree& tree = *state.tree;
  const int64_t i = state.hovered_point;
  const float* p = state.positions + i * state.dimension;
  ImGui::Text("point %lld", static_cast<long long>(i));
  if (state.dimension == 3)
    ImGui::Text("(%.4g, %.4g, %.4g)", p[0], p[1], p[2]);
  else
    ImGui::Text("(%.4g, %.4g)", p[0], p[1]);
  for (const std::string& line : state.hovered_fields) ImGui::TextUnformatted(line.c_str());
  if (!ImGui::BeginTable("balls", tree.has_rotation() ? 4 : 3,
                         ImGuiTableFlags_RowBg | ImGuiTableFlags_SizingFixedFit))
    return;
  ImGui::TableSetupColumn("level");
  ImGui::TableSetupColumn("ball");
  ImGui::TableSetupColumn("radius");
  if (tree.has_rotation()) ImGui::TableSetupColumn("rotated ball");
  ImGui::TableHeadersRow();
  for (int64_t level = 0; level <= tree.max_level; ++level) {
    const int64_t ball = tree.ball_of(i, level);
    ImGui::TableNextRow();
    ImGui::TableNextColumn();
    ImGui::Text(level == state.level ? "> %lld" : "  %lld", static_cast<long long>(level));
    ImGui::TableNextColumn();
    ImGui::TextColored(colour_of_ball(ball), "%lld", static_cast<long long>(ball));
    ImGui::TableNextColumn();
    ImGui::Text("%.4g", tree.geometry[level].radii.data_ptr<float>()[ball]);
    if (tree.has_rotation()) {
      ImGui::TableNextColumn();
      const int64_t rotated = tree.ball_of(i, level, true);
      ImGui::TextColored(colour_of_ball(rotated), "%lld", static_cast<long long>(rotated));
    }
  }
  ImGui::EndTable();
}

void nodes_per_level_panel(const OverlayState& state) {
  const SceneTree& tree = *state.tree;
  ImGui::Text("%s", state.data_name.c_str());
  ImGui::Text("%lld slots, %lld padding, %s tree", static_cast<long long>(tree.ball_count(0)),
              static_cast<long long>(tree.padding_slots),
              state.rotated_view ? "rotated" : "original");
  ImGui::Separator();
  ImGui::TextUnformatted("level   nodes (pooled)   ball size");
  for (int64_t level = 0; level <= tree.max_level; ++level)
    ImGui::Text(level == state.level ? "> %-5lld %-16lld %lld" : "  %-5lld %-16lld %lld",
                static_cast<long long>(level), static_cast<long long>(tree.ball_count(level)),
                1LL << level);
  ImGui::Separator();
  ImGui::Text("frame %.1f ms", state.frame_ms);
}

ImU32 packed(const Rgb& rgb) { return IM_COL32(rgb[0], rgb[1], rgb[2], 255); }

// A colour square in the text line, followed by its meaning.
void swatch(ImU32 colour, const char* text, bool round = false) {
  const float size = ImGui::GetTextLineHeight();
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  if (round)
    draw->AddCircleFilled(ImVec2(at.x + size / 2, at.y + size / 2), size * 0.4f, colour);
  else
    draw->AddRectFilled(at, ImVec2(at.x + size, at.y + size), colour);
  ImGui::Dummy(ImVec2(size, size));
  ImGui::SameLine();
  ImGui::TextUnformatted(text);
}

// A horizontal bar through `colours`, from the first ball (left) to the last.
void colour_bar(const std::vector<Rgb>& colours, float width) {
  const float height = ImGui::GetTextLineHeight();
  const ImVec2 at = ImGui::GetCursorScreenPos();
  ImDrawList* draw = ImGui::GetWindowDrawList();
  const float step = width / static_cast<float>(colours.size());
  for (size_t i = 0; i < colours.size(); ++i)
    draw->AddRectFilled(ImVec2(at.x + step * i, at.y),
                        ImVec2(at.x + step * (i + 1) + 0.5f, at.y + height), packed(colours[i]));
  ImGui::Dummy(ImVec2(width, height));
}

void legend_panel(const OverlayState& state) {
  const SceneTree& tree = *state.tree;
  const long long balls = tree.ball_count(state.level);
  const long long ball_size = 1LL << state.level;
  if (state.receptive_field) {
    ImGui::TextUnformatted("receptive field of the marked point");
    swatch(IM_COL32(255, 160, 64, 255), "Erwin");
    swatch(IM_COL32(64, 160, 255, 255), "MPNN (k hops)");
    swatch(IM_COL32(255, 255, 255, 255), "both");
    swatch(IM_COL32(70, 72, 78, 255), "neither");
    return;
  }
  if (state.colouring == Colouring::Field) {
    ImGui::Text("colour: %s", state.field.c_str());
    colour_bar(state.map_colours, 260.f);
    char low[32], high[32];
    std::snprintf(low, sizeof low, "%.4g", state.field_low);
    std::snprintf(high, sizeof high, "%.4g", state.field_high);
    ImGui::TextUnformatted(low);
    ImGui::SameLine(std::max(ImGui::GetCursorPosX(), 8.f + 260.f - ImGui::CalcTextSize(high).x));
    ImGui::TextUnformatted(high);
  } else if (state.colouring == Colouring::BallOrder) {
    ImGui::Text("colour: ball's place in the tree's order (level %lld)",
                static_cast<long long>(state.level));
    colour_bar(state.map_colours, 260.f);
    ImGui::Text("ball 0%*s ball %lld", 22, "", balls - 1);
  } else {
    ImGui::Text("colour: ball at level %lld", static_cast<long long>(state.level));
    for (int64_t ball = 0; ball < std::min<long long>(balls, 12); ++ball) {
      swatch(packed(ball_colour(ball)), "");
      ImGui::SameLine(0.f, 2.f);
    }
    ImGui::NewLine();
    ImGui::TextUnformatted("neighbouring balls get different colours");
  }
  if (state.colouring != Colouring::Field)
    ImGui::Text("%lld balls of %lld slots", balls, ball_size);
  if (state.straddle_ball >= 0) {
    ImGui::Separator();
    ImGui::Text("bright: rotated ball %lld (%lld points)",
                static_cast<long long>(state.straddle_ball),
                static_cast<long long>(state.straddle_ball_points));
    ImGui::TextUnformatted("its colours: the original balls it straddles");
    ImGui::TextUnformatted("click a point to pick another rotated ball");
  }
  if (state.padding) swatch(IM_COL32(13, 13, 13, 255), "padding slot (copy of a point)", true);
  if (state.centres) swatch(IM_COL32(235, 235, 235, 255), "ball centre (pooled node)", true);
  if (state.spheres) ImGui::TextUnformatted("spheres: each ball's centre and radius");
}

// The scale bar sits in the bottom-right corner: a bar of a round length and its value.
void scale_bar(double visible_height) {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  const double world_per_pixel = visible_height / display.y;
  const double length = scale_bar_length(world_per_pixel * display.x * 0.15);
  const float pixels = static_cast<float>(length / world_per_pixel);
  const ImVec2 right(display.x - 24.f, display.y - 24.f);
  const ImVec2 left(right.x - pixels, right.y);
  ImDrawList* draw = ImGui::GetForegroundDrawList();
  const ImU32 white = IM_COL32(240, 240, 240, 255);
  draw->AddLine(left, right, white, 2.f);
  draw->AddLine(ImVec2(left.x, left.y - 6.f), ImVec2(left.x, left.y + 1.f), white, 2.f);
  draw->AddLine(ImVec2(right.x, right.y - 6.f), ImVec2(right.x, right.y + 1.f), white, 2.f);
  char text[32];
  std::snprintf(text, sizeof text, "%g", length);
  const ImVec2 size = ImGui::CalcTextSize(text);
  draw->AddText(ImVec2((left.x + right.x - size.x) / 2, left.y - size.y - 6.f), white, text);
}

// Side by side: each half names its tree at its top.
void side_by_side_labels(double angle_degrees) {
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  char right[64];
  std::snprintf(right, sizeof right, "rotated tree (%g deg)", angle_degrees);
  ImDrawList* draw = ImGui::GetForegroundDrawList();
  for (const auto& [text, centre] : {std::pair<const char*, float>{"original tree", 0.25f},
                                     std::pair<const char*, float>{right, 0.75f}}) {
    const ImVec2 size = ImGui::CalcTextSize(text);
    const ImVec2 at(display.x * centre - size.x / 2, 12.f);
    draw->AddRectFilled(ImVec2(at.x - 8.f, at.y - 4.f),
                        ImVec2(at.x + size.x + 8.f, at.y + size.y + 4.f), IM_COL32(0, 0, 0, 150),
                        4.f);
    draw->AddText(at, IM_COL32(255, 255, 255, 255), text);
  }
}

}  // namespace

double scale_bar_length(double at_most) {
  const double decade = std::pow(10.0, std::floor(std::log10(at_most)));
  for (double factor : {5.0, 2.0, 1.0})
    if (factor * decade <= at_most) return factor * decade;
  return decade;
}

void draw_overlay_panels(const OverlayState& state) {
  if (!state.busy_text.empty()) {
    ImGui::SetNextWindowPos(ImVec2(ImGui::GetIO().DisplaySize.x * 0.5f, 12.f), ImGuiCond_Always,
                            ImVec2(0.5f, 0.f));
    ImGui::Begin("working", nullptr, kPanel | ImGuiWindowFlags_NoTitleBar);
    ImGui::Text("%s ...", state.busy_text.c_str());
    ImGui::End();
  }
  if (!state.tree) return;
  if (state.visible_height > 0) scale_bar(state.visible_height);
  if (state.side_by_side) side_by_side_labels(state.angle_degrees);
  const ImVec2 display = ImGui::GetIO().DisplaySize;
  // Panels sit in the corners, away from the data in the middle: the tree at the top left (below
  // the side-by-side labels), the legend at the bottom left, the hovered point at the top right.
  ImGui::SetNextWindowPos(ImVec2(10.f, state.side_by_side ? 44.f : 10.f), ImGuiCond_FirstUseEver);
  ImGui::SetNextWindowCollapsed(true, ImGuiCond_FirstUseEver);
  ImGui::Begin("Tree", nullptr, kPanel);
  nodes_per_level_panel(state);
  ImGui::End();
  if (state.legend) {
    ImGui::SetNextWindowPos(ImVec2(10.f, display.y - 10.f), ImGuiCond_Always, ImVec2(0.f, 1.f));
    ImGui::Begin("Legend", nullptr, kPanel | ImGuiWindowFlags_NoMove);
    legend_panel(state);
    ImGui::End();
  }
  if (state.hovered_point < 0) return;
  ImGui::SetNextWindowPos(ImVec2(display.x - 10.f, state.side_by_side ? 44.f : 10.f),
                          ImGuiCond_FirstUseEver, ImVec2(1.f, 0.f));
  ImGui::Begin("Hovered point", nullptr, kPanel);
  hovered_point_panel(state);
  ImGui::End();
}

}  // namespace erwin::ui
