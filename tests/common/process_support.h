#pragma once
// Real processes from the tests: the `erwin` tool as a user runs it, and PyTorch from the
// project's .venv (installed by scripts/setup-deps.sh) to prove that files travel both ways.
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTest>
#include <filesystem>
#include <string>

#include "test_support.h"

namespace erwin::test {

struct Run {
  int exit_code = -1;
  bool crashed = false;  // crashed, or killed after the timeout
  QString out, err;
};

// Waits for a started `process` at most `timeout_ms` (then kills it) and returns how it ended.
inline Run finish_process(QProcess& process, int timeout_ms) {
  Run run;
  if (!process.waitForFinished(timeout_ms)) {
    process.kill();
    process.waitForFinished();
    run.crashed = true;
  } else {
    run.crashed = process.exitStatus() != QProcess::NormalExit;
    run.exit_code = process.exitCode();
  }
  run.out = QString::fromLocal8Bit(process.readAllStandardOutput());
  run.err = QString::fromLocal8Bit(process.readAllStandardError());
  return run;
}

inline Run run_process(const QString& program, const QStringList& args, int timeout_ms = 600000) {
  QProcess process;
  process.start(program, args);
  return finish_process(process, timeout_ms);
}

inline QString describe(const Run& run) {
  return QString("exit %1%2\nstdout:\n%3\nstderr:\n%4")
      .arg(run.exit_code)
      .arg(run.crashed ? " (crashed or timed out)" : "")
      .arg(run.out, run.err);
}

#ifdef ERWIN_CLI_PATH
inline Run run_erwin(const QStringList& args, int timeout_ms = 600000) {
  return run_process(QStringLiteral(ERWIN_CLI_PATH), args, timeout_ms);
}
#endif

// The .venv's interpreter (with torch, numpy, h5py and tensorboard); empty when absent.
inline QString venv_python() {
  const std::string python = source_dir() + "/.venv/bin/python3";
  return std::filesystem::exists(python) ? QString::fromStdString(python) : QString();
}

// Runs Python `code` with `args` (sys.argv[1:]) in the .venv.
inline Run run_python(const QString& code, const QStringList& args = {}, int timeout_ms = 300000) {
  return run_process(venv_python(), QStringList{"-c", code} + args, timeout_ms);
}

}  // namespace erwin::test

#define REQUIRE_SUCCESS(run) \
  QVERIFY2(!(run).crashed && (run).exit_code == 0, qPrintable(erwin::test::describe(run)))

// A clean failure: a normal exit with a non-zero code and a message on stderr naming `needle`.
#define REQUIRE_FAILURE_NAMING(run, needle)                                                    \
  do {                                                                                         \
    QVERIFY2(!(run).crashed && (run).exit_code != 0, qPrintable(erwin::test::describe(run)));  \
    QVERIFY2(                                                                                  \
        (run).err.contains(needle),                                                            \
        qPrintable(QString("stderr lacks '%1'\n%2").arg(needle, erwin::test::describe(run)))); \
  } while (0)

// Fails the test when the .venv's Python is missing: scripts/setup-deps.sh always installs it,
// so its absence is a broken set-up, not a reason to skip.
#define REQUIRE_VENV_PYTHON()                     \
  QVERIFY2(!erwin::test::venv_python().isEmpty(), \
           "the project's .venv/bin/python3 is missing: run scripts/setup-deps.sh")
