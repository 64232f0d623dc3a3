#include "erwin/ui/overlay_panels.h"

#include <imgui.h>

#include "erwin/ui/ball_colours.h"
#include "erwin/ui/scene_tree.h"

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

}  // namespace

void draw_overlay_panels(const OverlayState& state) {
  if (!state.busy_text.empty()) {
    ImGui::SetNextWindowPos(ImVec2(ImGui::GetIO().DisplaySize.x * 0.5f, 12.f), ImGuiCond_Always,
                            ImVec2(0.5f, 0.f));
    ImGui::Begin("working", nullptr, kPanel | ImGuiWindowFlags_NoTitleBar);
    ImGui::Text("%s ...", state.busy_text.c_str());
    ImGui::End();
  }
  if (!state.tree) return;
  ImGui::SetNextWindowPos(ImVec2(10.f, 10.f), ImGuiCond_FirstUseEver);
  ImGui::Begin("Tree", nullptr, kPanel);
  nodes_per_level_panel(state);
  ImGui::End();
  if (state.hovered_point < 0) return;
  ImGui::SetNextWindowPos(ImVec2(10.f, 300.f), ImGuiCond_FirstUseEver);
  ImGui::Begin("Hovered point", nullptr, kPanel);
  hovered_point_panel(state);
  ImGui::End();
}

}  // namespace erwin::ui
