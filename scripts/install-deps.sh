#!/usr/bin/env bash
# Installs every Debian 12 package Lookalike needs to build, test and run.
# Idempotent: apt-get skips what is already there. Run as root or with sudo.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache git
  # Qt 6.4: Widgets, Sql (+ SQLite driver), Concurrent, Test, Charts
  qt6-base-dev qt6-base-dev-tools libqt6sql6-sqlite qt6-charts-dev libqt6opengl6-dev libgl-dev
  # judgments in a shared PostgreSQL database: the Qt driver, and the server the tests start
  # (a throw-away cluster, tests/pg/pg-cluster.sh)
  libqt6sql6-psql postgresql-15
  # LibTorch 1.13 and an optimised BLAS for it. libopenblas0-openmp uses OpenMP,
  # like LibTorch, so their thread pools do not fight; the reference BLAS that
  # libtorch-dev would otherwise pull in is ~30x slower.
  libtorch-dev libopenblas0-openmp
  # the reference BLAS: tst_crosskernel and the *_reference tests check that the neighbour
  # lists are the same under it as under OpenBLAS's kernels (it is never the default)
  libblas3 liblapack3
  # image decoding, nearest neighbours, tokenizer
  libopencv-core-dev libopencv-imgproc-dev libopencv-imgcodecs-dev
  libfaiss-dev libsentencepiece-dev
  # libFuzzer targets (fuzz/, the `fuzz` preset): clang, its fuzzer and sanitizer runtimes,
  # llvm-symbolizer for readable crash stacks
  clang libclang-rt-14-dev llvm
  # headless GUI runs (screenshots) and fonts for offscreen rendering
  xvfb xauth fonts-dejavu-core
  # the browser test of the HTML report (tst_evaluationreport renders it headless to PNG and PDF)
  chromium
)

export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Make sure libblas.so.3 / liblapack.so.3 resolve to OpenBLAS (OpenMP flavour),
# not the reference implementation.
arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
for lib in libblas.so.3 liblapack.so.3; do
  alt="/usr/lib/${arch}/openblas-openmp/${lib}"
  if [ -e "$alt" ]; then
    $SUDO update-alternatives --set "${lib}-${arch}" "$alt" >/dev/null
  fi
done
