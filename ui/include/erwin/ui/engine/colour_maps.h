#pragma once
// The colour maps offered for scalar fields, as 256-entry VTK lookup tables.
#include <vtkSmartPointer.h>

#include <QStringList>
#include <vector>

#include "erwin/ui/engine/ball_colours.h"
#include "erwin/ui/engine/studio_state.h"

class vtkLookupTable;

namespace erwin::ui {

QStringList colour_map_names();  // in enum order (StudioState::colour_map_names)

// Fills `table` with `map` over [low, high].
void fill_lookup_table(vtkLookupTable* table, ColourMap map, double low, double high);

// `count` colours evenly spaced along `map`, from its low end to its high end.
std::vector<Rgb> sample_colour_map(ColourMap map, int64_t count);

}  // namespace erwin::ui
