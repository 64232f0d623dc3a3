#pragma once
// Looking at rendered images in ui tests.
#include <QImage>
#include <QSet>

namespace erwin::test {

// The colours of every `step`-th pixel in each direction.
inline QSet<QRgb> colours_of(const QImage& image, int step = 1) {
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += step)
    for (int x = 0; x < image.width(); x += step) colours.insert(image.pixel(x, y));
  return colours;
}

inline int distinct_colours(const QImage& image, int step = 2) {
  return static_cast<int>(colours_of(image, step).size());
}

}  // namespace erwin::test
