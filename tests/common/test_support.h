#pragma once
// Shared helpers for the Qt Test programs: where the reference fixtures are, and skipping
// with a clear message when they are absent.
#include <QTest>
#include <QtGlobal>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "erwin/errors.h"

namespace erwin::test {

inline std::string reference_dir() {
  const QByteArray env = qgetenv("ERWIN_REFERENCE_DIR");
  return env.isEmpty() ? std::string(ERWIN_REFERENCE_DIR) : env.toStdString();
}

inline std::string reference_file(const std::string& name) { return reference_dir() + "/" + name; }

inline std::string source_dir() { return ERWIN_SOURCE_DIR; }

// Runs `action` and requires std::invalid_argument whose message contains `needle`. Use it as
// `expect_invalid_argument(...); if (QTest::currentTestFailed()) return;` or just let it record.
inline void expect_invalid_argument(const std::function<void()>& action,
                                    const std::string& needle) {
  try {
    action();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    QVERIFY2(message.find(needle) != std::string::npos,
             qPrintable(QString("message '%1' lacks '%2'")
                            .arg(QString::fromStdString(message), QString::fromStdString(needle))));
    return;
  }
  QFAIL(qPrintable(QString("accepted, expected std::invalid_argument naming '%1'")
                       .arg(QString::fromStdString(needle))));
}

// Expects `action` to throw erwin::FormatError whose message contains every fragment
// (the file, the member or line, the field).
inline void expect_format_error(const std::function<void()>& action,
                                const std::vector<std::string>& fragments) {
  try {
    action();
  } catch (const erwin::FormatError& e) {
    const std::string message = e.what();
    for (const std::string& fragment : fragments)
      QVERIFY2(
          message.find(fragment) != std::string::npos,
          qPrintable(QString("'%1' does not mention '%2'")
                         .arg(QString::fromStdString(message), QString::fromStdString(fragment))));
    return;
  }
  QFAIL("expected erwin::FormatError");
}

}  // namespace erwin::test

// Skips the current test when a fixture is missing (the fixtures live outside the repository).
#define ERWIN_REQUIRE_FIXTURE(path)                                                             \
  do {                                                                                          \
    if (!std::filesystem::exists(path))                                                         \
      QSKIP(qPrintable(QString("reference fixture not found: %1 (expected ../shared/reference " \
                               "beside the repository)")                                        \
                           .arg(QString::fromStdString(path))));                                \
  } while (0)
