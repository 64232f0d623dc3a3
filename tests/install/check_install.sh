#!/usr/bin/env bash
# `cmake --install` of the build into a fresh prefix, then what a packager and a user would check:
# the desktop file and AppStream metadata validate, the icon and resources are in place, both
# programs report the project's version, and a separate CMake project finds ErwinStudio::core
# with find_package, builds against it and runs.
# usage: check_install.sh <build dir> <version> <Torch_DIR>
set -euo pipefail
build="$1" version="$2" torch_dir="$3"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_file() { [ -f "$prefix/$1" ] || fail "not installed: $1"; }

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log"; fail "cmake --install"; }

app_id=org.erwinstudio.ErwinStudio
expect_file "share/applications/$app_id.desktop"
expect_file "share/metainfo/$app_id.metainfo.xml"
expect_file share/icons/hicolor/scalable/apps/erwin-studio.svg
expect_file share/erwin-studio/resources/configs/eagle_smoke.json
expect_file share/erwin-studio/resources/samples/torus_cloud.xyz
expect_file include/erwin/version.h
expect_file lib/cmake/ErwinStudio/ErwinStudioConfig.cmake
expect_file lib/cmake/ErwinStudio/ErwinStudioConfigVersion.cmake

command -v desktop-file-validate >/dev/null || fail "desktop-file-validate missing (desktop-file-utils)"
command -v appstreamcli >/dev/null || fail "appstreamcli missing (appstream)"
desktop-file-validate "$prefix/share/applications/$app_id.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net "$prefix/share/metainfo/$app_id.metainfo.xml" || fail "appstreamcli"
grep -q "^Icon=erwin-studio$" "$prefix/share/applications/$app_id.desktop" || fail "Icon= is not erwin-studio"
# The newest release in the metadata is this version (bump both together).
release="$(grep -o '<release version="[^"]*"' "$prefix/share/metainfo/$app_id.metainfo.xml" |
  head -1 | cut -d'"' -f2)"
[ "$release" = "$version" ] || fail "metainfo's newest release is '$release', the project is $version"

out="$("$prefix/bin/erwin" --version)"
[ "$out" = "erwin $version" ] || fail "erwin --version printed '$out'"
if [ -x "$prefix/bin/erwin-studio" ]; then
  out="$(QT_QPA_PLATFORM=offscreen "$prefix/bin/erwin-studio" --version)"
  [ "$out" = "Erwin Studio $version" ] || fail "erwin-studio --version printed '$out'"
fi

# A user's project: configure with only the prefix (and LibTorch) to search, build, run.
cmake -S "$here/consumer" -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$prefix" -DTorch_DIR="$torch_dir" -DERWIN_EXPECTED_VERSION="$version" \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; fail "consumer configure"; }
cmake --build "$work/consumer" >"$work/build.log" 2>&1 || {
  cat "$work/build.log"; fail "consumer build"; }
sample="$prefix/share/erwin-studio/resources/samples/torus_cloud.xyz"
out="$("$work/consumer/consumer" "$sample")"
echo "consumer: $out"
read -r name got_version points slots extension <<<"$out"
[ "$name $got_version $extension" = "erwin $version .xyz" ] || fail "consumer printed '$out'"
# One point a line (no header, no comments); the tree pads the cloud to the next power of two.
lines="$(grep -c . "$sample")"
expected_slots=2
while [ "$expected_slots" -lt "$lines" ]; do expected_slots=$((expected_slots * 2)); done
[ "$points $slots" = "$lines $expected_slots" ] ||
  fail "consumer's tree: $points points in $slots slots, expected $lines in $expected_slots"
echo "install check passed: $prefix"
