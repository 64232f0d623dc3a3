#include "erwin/ui/ball_colours.h"

#include <ATen/Parallel.h>

#include <QColor>
#include <vector>

namespace erwin::ui {
namespace {

constexpr int64_t kPaletteSize = 4096;  // a power of two: ball & (size - 1)

// Golden-ratio hue steps put consecutive ids ~138 degrees apart; value and saturation alternate
// so that ids whose hues come close again still differ.
std::array<std::uint8_t, 3> palette_entry(int64_t i) {
  const double golden = 0.6180339887498949;
  const double hue = std::fmod(0.13 + i * golden, 1.0);
  const double saturation = (i % 3 == 0) ? 0.85 : (i % 3 == 1 ? 0.65 : 0.75);
  const double value = (i % 2 == 0) ? 0.95 : 0.78;
  const QColor colour = QColor::fromHsvF(hue, saturation, value);
  return {static_cast<std::uint8_t>(colour.red()), static_cast<std::uint8_t>(colour.green()),
          static_cast<std::uint8_t>(colour.blue())};
}

const std::vector<std::array<std::uint8_t, 3>>& palette() {
  static const std::vector<std::array<std::uint8_t, 3>> entries = [] {
    std::vector<std::array<std::uint8_t, 3>> table(kPaletteSize);
    for (int64_t i = 0; i < kPaletteSize; ++i) table[i] = palette_entry(i);
    return table;
  }();
  return entries;
}

}  // namespace

std::array<std::uint8_t, 3> ball_colour(int64_t ball) {
  return palette()[ball & (kPaletteSize - 1)];
}

void colour_points_by_ball(const torch::Tensor& order, int64_t level, std::uint8_t* rgb) {
  TORCH_CHECK(order.scalar_type() == torch::kInt64 && order.is_contiguous(),
              "colour_points_by_ball: order must be contiguous int64");
  const int64_t* slots = order.data_ptr<int64_t>();
  const auto& table = palette();
  at::parallel_for(0, order.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto& colour = table[(slots[i] >> level) & (kPaletteSize - 1)];
      rgb[3 * i] = colour[0];
      rgb[3 * i + 1] = colour[1];
      rgb[3 * i + 2] = colour[2];
    }
  });
}

}  // namespace erwin::ui
