#include "erwin/ui/engine/colour_maps.h"

#include <vtkColorTransferFunction.h>
#include <vtkLookupTable.h>
#include <vtkNew.h>

#include <algorithm>

namespace erwin::ui {
namespace {

constexpr int kEntries = 256;

struct Stop {
  double at, r, g, b;  // colour in 0..255
};

void add_stops(vtkColorTransferFunction* function, std::initializer_list<Stop> stops) {
  for (const Stop& s : stops) function->AddRGBPoint(s.at, s.r / 255, s.g / 255, s.b / 255);
}

void define(vtkColorTransferFunction* function, ColourMap map) {
  switch (map) {
    case ColourMap::Viridis:  // perceptually uniform (matplotlib's default), sampled at 9 stops
      add_stops(function, {{0.000, 68, 1, 84},
                           {0.125, 71, 44, 122},
                           {0.250, 59, 81, 139},
                           {0.375, 44, 113, 142},
                           {0.500, 33, 144, 141},
                           {0.625, 39, 173, 129},
                           {0.750, 92, 200, 99},
                           {0.875, 170, 220, 50},
                           {1.000, 253, 231, 37}});
      return;
    case ColourMap::CoolWarm:  // Moreland's diverging map
      function->SetColorSpaceToDiverging();
      add_stops(function, {{0.0, 59, 76, 192}, {1.0, 180, 4, 38}});
      return;
    case ColourMap::Rainbow:
      function->SetColorSpaceToHSV();
      function->HSVWrapOff();
      function->AddHSVPoint(0.0, 0.667, 1.0, 1.0);
      function->AddHSVPoint(1.0, 0.0, 1.0, 1.0);
      return;
    case ColourMap::Greys:
      add_stops(function, {{0.0, 0, 0, 0}, {1.0, 255, 255, 255}});
      return;
  }
}

}  // namespace

QStringList colour_map_names() {
  QStringList names;
  for (const std::string& name : StudioState::colour_map_names())
    names << QString::fromStdString(name);
  return names;
}

void fill_lookup_table(vtkLookupTable* table, ColourMap map, double low, double high) {
  vtkNew<vtkColorTransferFunction> function;
  define(function, map);
  table->SetNumberOfTableValues(kEntries);
  table->Build();  // a later Build() keeps values inserted after this one
  for (int i = 0; i < kEntries; ++i) {
    double rgb[3];
    function->GetColor(static_cast<double>(i) / (kEntries - 1), rgb);
    table->SetTableValue(i, rgb[0], rgb[1], rgb[2], 1.0);
  }
  table->SetTableRange(low, high < low + 1e-12 ? low + 1e-12 : high);
  table->Modified();
}

std::vector<Rgb> sample_colour_map(ColourMap map, int64_t count) {
  vtkNew<vtkLookupTable> table;
  fill_lookup_table(table, map, 0.0, static_cast<double>(std::max<int64_t>(count - 1, 1)));
  std::vector<Rgb> colours(count);
  for (int64_t i = 0; i < count; ++i) {
    const unsigned char* rgba = table->MapValue(static_cast<double>(i));
    colours[i] = {rgba[0], rgba[1], rgba[2]};
  }
  return colours;
}

}  // namespace erwin::ui
