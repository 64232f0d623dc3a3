#include "erwin/ui/engine/ball_colours.h"

#include <ATen/Parallel.h>

#include <QColor>
#include <cstring>
#include <vector>

namespace erwin::ui {
namespace {

constexpr int64_t kPaletteSize = 4096;  // a power of two: ball & (size - 1)

// Golden-ratio hue steps put consecutive ids ~138 degrees apart; value and saturation alternate
// so that ids whose hues come close again still differ.
Rgb palette_entry(int64_t i) {
  const double golden = 0.6180339887498949;
  const double hue = std::fmod(0.13 + i * golden, 1.0);
  const double saturation = (i % 3 == 0) ? 0.85 : (i % 3 == 1 ? 0.65 : 0.75);
  const double value = (i % 2 == 0) ? 0.95 : 0.78;
  const QColor colour = QColor::fromHsvF(hue, saturation, value);
  return {static_cast<std::uint8_t>(colour.red()), static_cast<std::uint8_t>(colour.green()),
          static_cast<std::uint8_t>(colour.blue())};
}

const std::vector<Rgb>& palette() {
  static const std::vector<Rgb> entries = [] {
    std::vector<Rgb> table(kPaletteSize);
    for (int64_t i = 0; i < kPaletteSize; ++i) table[i] = palette_entry(i);
    return table;
  }();
  return entries;
}

}  // namespace

Rgb ball_colour(int64_t ball) { return palette()[ball & (kPaletteSize - 1)]; }

namespace {

// rgb[3 i ..] = table[(order[i] >> level) & mask], in parallel over the points.
void colour_points(const torch::Tensor& order, int64_t level, const Rgb* table, int64_t mask,
                   std::uint8_t* rgb) {
  TORCH_CHECK(order.scalar_type() == torch::kInt64 && order.is_contiguous(),
              "colour_points_by_ball: order must be contiguous int64");
  const int64_t* slots = order.data_ptr<int64_t>();
  at::parallel_for(0, order.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      std::memcpy(rgb + 3 * i, &table[(slots[i] >> level) & mask], 3);
  });
}

}  // namespace

void colour_points_by_ball(const torch::Tensor& order, int64_t level, std::uint8_t* rgb) {
  colour_points(order, level, palette().data(), kPaletteSize - 1, rgb);
}

void colour_points_by_table(const torch::Tensor& order, int64_t level,
                            const std::vector<Rgb>& table, std::uint8_t* rgb) {
  const int64_t balls = order.numel() == 0 ? 0 : (order.max().item<int64_t>() >> level) + 1;
  TORCH_CHECK(static_cast<int64_t>(table.size()) >= balls, "colour_points_by_table: ", table.size(),
              " colours for ", balls, " balls");
  colour_points(order, level, table.data(), ~int64_t{0}, rgb);
}

}  // namespace erwin::ui
