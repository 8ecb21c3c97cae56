#!/usr/bin/env bash
# Builds the Salas packages from one release build:
#   packaging/build.sh deb    → target/debian/salas_<version>-1_<arch>.deb
#   packaging/build.sh rpm    → target/generate-rpm/salas-<version>-1.<arch>.rpm
#   packaging/build.sh all    → both
# Needs the packagers once: cargo install cargo-deb cargo-generate-rpm --locked
set -euo pipefail
what=${1:-}
case "$what" in
    deb | rpm | all) ;;
    *) echo "usage: $0 deb|rpm|all" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/.."

# The man page is kept as roff source; packages ship it compressed, as policy wants.
mkdir -p target/packaging
gzip -9 --no-name <packaging/man/salas.1 >target/packaging/salas.1.gz

# `strip = true` in [profile.release]: cargo-generate-rpm does not strip by itself.
cargo build --release --locked
if [ "$what" = deb ] || [ "$what" = all ]; then
    cargo deb --no-build --locked
fi
if [ "$what" = rpm ] || [ "$what" = all ]; then
    cargo generate-rpm
fi
out=${CARGO_TARGET_DIR:-target}
ls -l "$out"/debian/*.deb "$out"/generate-rpm/*.rpm 2>/dev/null || true
