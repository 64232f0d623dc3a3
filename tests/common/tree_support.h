#pragma once
// Comparing ball trees in tests.
#include <QTest>

#include "erwin/balltree.h"

namespace erwin::test {

// The same tensors slot for slot: tree, mask and every rotated level.
inline void expect_identical_trees(const BallTree& ours, const BallTree& expected) {
  QVERIFY(torch::equal(ours.tree_idx, expected.tree_idx));
  QVERIFY(torch::equal(ours.tree_mask, expected.tree_mask));
  QCOMPARE(ours.tree_idx_rot.size(), expected.tree_idx_rot.size());
  for (size_t level = 0; level < expected.tree_idx_rot.size(); ++level)
    QVERIFY2(torch::equal(ours.tree_idx_rot[level], expected.tree_idx_rot[level]),
             qPrintable(QString("tree_idx_rot.%1").arg(level)));
}

}  // namespace erwin::test
