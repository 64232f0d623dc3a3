#include "erwin/ui/engine/resource_paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace erwin::ui {
namespace {

QStringList candidates() {
  QStringList dirs;
  const QString env = qEnvironmentVariable("ERWIN_RESOURCE_DIR");
  if (!env.isEmpty()) dirs << env;
  const QString app = QCoreApplication::applicationDirPath();
  dirs << app + "/../resources" << app + "/../share/erwin-studio/resources"
       << app + "/../../resources" << QStringLiteral(ERWIN_SOURCE_RESOURCE_DIR);
  return dirs;
}

}  // namespace

QString resource_directory() {
  for (const QString& dir : candidates())
    if (QFileInfo(dir + "/configs").isDir()) return QDir(dir).canonicalPath();
  return {};
}

QStringList run_config_files() {
  const QString root = resource_directory();
  if (root.isEmpty()) return {};
  const QDir configs(root + "/configs");
  QStringList files;
  for (const QString& name : configs.entryList({"*.json"}, QDir::Files, QDir::Name))
    files << configs.absoluteFilePath(name);
  return files;
}

}  // namespace erwin::ui
