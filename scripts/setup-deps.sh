#!/usr/bin/env bash
# Installs what Erwin Studio needs on Debian 12, skipping what is already there:
# Debian packages (Qt 6, VTK 9.1, Dear ImGui, HDF5, Xvfb, ...) and, in a project-local
# virtual environment (.venv, ignored by git), the PyTorch wheel whose LibTorch we link.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

debian_packages=(
  build-essential cmake ninja-build git python3-venv zlib1g-dev nlohmann-json3-dev
  libbenchmark-dev qt6-base-dev libqt6opengl6-dev libvtk9-dev libimgui-dev libstb-dev libhdf5-dev
  libgl-dev libglx-dev xvfb xauth ccache
  # Validators of the installed desktop file and AppStream metadata (test install.package).
  desktop-file-utils appstream
  # Gloo's headers only: LibTorch holds Gloo itself (README "Data-parallel training").
  libgloo-dev
)

missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "[setup] installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv="$root/.venv"
python_exe="${ERWIN_PYTHON:-python3}"
if ! "$venv/bin/python3" -c 'import torch, numpy' 2>/dev/null; then
  echo "[setup] installing PyTorch (LibTorch for the C++ build) into $venv"
  [ -x "$venv/bin/python3" ] || "$python_exe" -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  "$venv/bin/pip" install --quiet "torch>=2.0,<3" numpy
fi
# What the tests use to prove that files travel to and from Python: h5py opens our HDF5
# exports, tensorboard's reader our event files.
if ! "$venv/bin/python3" -c 'import h5py, tensorboard' 2>/dev/null; then
  echo "[setup] installing h5py and tensorboard into $venv (for the tests)"
  "$venv/bin/pip" install --quiet h5py tensorboard
fi
echo "[setup] dependencies ready"
