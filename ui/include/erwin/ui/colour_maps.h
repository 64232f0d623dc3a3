#pragma once
// The colour maps offered for scalar fields, as 256-entry VTK lookup tables.
#include <vtkSmartPointer.h>

#include <QStringList>

class vtkLookupTable;

namespace erwin::ui {

enum class ColourMap { Viridis, CoolWarm, Rainbow, Greys };

QStringList colour_map_names();  // in enum order

// Fills `table` with `map` over [low, high].
void fill_lookup_table(vtkLookupTable* table, ColourMap map, double low, double high);

}  // namespace erwin::ui
