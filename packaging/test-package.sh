#!/usr/bin/env bash
# Builds the Debian package from a configured and built CMake folder and checks it: the file
# list, the dependencies, and that the packaged binary runs from where the package puts it
# (--version, and `demo` finding the shipped model under share/lookalike/models).
#   packaging/test-package.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "test-package: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work/out" > "$work/cpack.log") || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$work"/out/*.deb)
dpkg-deb -c "$deb" | awk '{print $NF}' > "$work/files"
for f in ./usr/bin/lookalike \
         ./usr/lib/lookalike/liblookalike_spm.so \
         ./usr/share/applications/io.github.lookalike.Lookalike.desktop \
         ./usr/share/metainfo/io.github.lookalike.Lookalike.metainfo.xml \
         ./usr/share/icons/hicolor/scalable/apps/lookalike.svg \
         ./usr/share/lookalike/models/siglip-tiny-random/model.safetensors \
         ./usr/share/lookalike/models/siglip-tiny-random/MODEL_CARD.md; do
  grep -qx "$f" "$work/files" || fail "$(basename "$deb") lacks $f"
done
if grep -q '^./usr/bin/tst_\|^./usr/bin/bench_' "$work/files"; then fail "tests or benchmarks are in the package"; fi

depends=$(dpkg-deb -f "$deb" Depends)
for d in libopenblas0-openmp libqt6sql6-sqlite qt6-qpa-plugins libqt6widgets6 libqt6sql6 libtorch libopencv-imgcodecs libsentencepiece; do
  [[ "$depends" == *"$d"* ]] || fail "Depends lacks $d: $depends"
done
[[ "$(dpkg-deb -f "$deb" Package)" == lookalike ]] || fail "package name"

dpkg-deb -x "$deb" "$work/root"
version=$("$work/root/usr/bin/lookalike" --version)
[[ "$version" == "lookalike "* ]] || fail "--version printed '$version'"
"$work/root/usr/bin/lookalike" demo "$work/demo" --no-open --items 60 --queries 6 > "$work/demo.log" 2>&1 \
  || { cat "$work/demo.log" >&2; fail "the packaged lookalike demo failed"; }
grep -q "the demo project is ready" "$work/demo.log" || fail "demo did not finish"
echo "package OK: $(basename "$deb"), $(wc -l < "$work/files") entries, $version"
