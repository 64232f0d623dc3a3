#include "erwin/ui/engine/ball_hulls.h"

#include <vtkCellArray.h>
#include <vtkCellData.h>
#include <vtkPolyData.h>
#include <vtkUnsignedCharArray.h>

#include <vector>

#include "erwin/convex_hull.h"
#include "erwin/ui/engine/ball_colours.h"

namespace erwin::ui {
namespace {

// Triangles of solid hulls, polygons of flat ones (and of all 2D hulls), lines of segments.
vtkSmartPointer<vtkPolyData> hull_cells(const std::vector<ConvexHull>& hulls) {
  auto polys = vtkSmartPointer<vtkCellArray>::New();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  std::vector<int64_t> poly_ball, line_ball;
  for (size_t ball = 0; ball < hulls.size(); ++ball) {
    const ConvexHull& hull = hulls[ball];
    for (const auto& triangle : hull.triangles) {
      const vtkIdType ids[3] = {triangle[0], triangle[1], triangle[2]};
      polys->InsertNextCell(3, ids);
      poly_ball.push_back(static_cast<int64_t>(ball));
    }
    if (!hull.triangles.empty() || hull.vertices.size() < 2) continue;
    const std::vector<vtkIdType> ids(hull.vertices.begin(), hull.vertices.end());
    (ids.size() == 2 ? lines : polys)
        ->InsertNextCell(static_cast<vtkIdType>(ids.size()), ids.data());
    (ids.size() == 2 ? line_ball : poly_ball).push_back(static_cast<int64_t>(ball));
  }
  // VTK orders cell data as verts, lines, polys, strips.
  std::vector<int64_t> cell_ball = line_ball;
  cell_ball.insert(cell_ball.end(), poly_ball.begin(), poly_ball.end());
  auto colours = vtkSmartPointer<vtkUnsignedCharArray>::New();
  colours->SetName("ball");
  colours->SetNumberOfComponents(3);
  colours->SetNumberOfTuples(static_cast<vtkIdType>(cell_ball.size()));
  colour_points_by_ball(torch::tensor(cell_ball, torch::kInt64), 0, colours->GetPointer(0));
  auto data = vtkSmartPointer<vtkPolyData>::New();
  data->SetPolys(polys);
  data->SetLines(lines);
  data->GetCellData()->SetScalars(colours);
  return data;
}

}  // namespace

BallHulls build_ball_hulls(const PointSet& points, SceneTreePtr tree, int64_t level) {
  BallHulls hulls;
  hulls.cells = hull_cells(ball_hulls(points.pos, tree->tree.tree_idx, level));
  hulls.tree = std::move(tree);
  hulls.level = level;
  return hulls;
}

}  // namespace erwin::ui
