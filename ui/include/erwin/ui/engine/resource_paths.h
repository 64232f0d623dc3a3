#pragma once
// Where the Studio finds its shipped resources (run configurations, samples): $ERWIN_RESOURCE_DIR,
// then beside the executable (../resources, ../share/erwin-studio/resources), then the build
// tree's own source directory (build/app/ -> ../../resources and the configured source path).
#include <QString>
#include <QStringList>

namespace erwin::ui {

// The first candidate holding `configs/`; empty when none does.
QString resource_directory();

// The run configurations (*.json) of resource_directory()/configs, absolute paths, sorted.
QStringList run_config_files();

}  // namespace erwin::ui
