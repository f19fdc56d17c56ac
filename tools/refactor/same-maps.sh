#!/usr/bin/env bash
# Shows that a change leaves compiled maps alone: compiles the bundled examples (tiny-int,
# digits-cnn, deeplab-small and both NIR examples) with the `tessera` of revision BASE and
# with the working tree's, and compares each core map and compile report byte for byte.
#
#   tools/refactor/same-maps.sh [BASE]     # BASE defaults to origin/main, else HEAD~1
#
# BASE is built in a worktree of its own under $TMPDIR (a full release build, several
# minutes); the working tree's binary comes from `swift build -c release`. Exit status 1
# names each file that differs.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
base=${1:-$(git rev-parse --verify -q origin/main || git rev-parse HEAD~1)}
work=$(mktemp -d "${TMPDIR:-/tmp}/same-maps.XXXXXX")
trap 'git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# Each line: output name, then the compile arguments.
examples=(
  "tiny-int.json examples/tiny-int.yaml --target tiny"
  "digits-cnn.json examples/digits-cnn.yaml"
  "deeplab-small.npz examples/deeplab/deeplab-small.yaml"
  "bars-sinabs.npz examples/nir/bars-sinabs.nir --from sinabs"
  "bars-snntorch.npz examples/nir/bars.nir --from snntorch"
)

compile_all() { # binary, output folder
  mkdir -p "$2"
  for line in "${examples[@]}"; do
    read -r out args <<<"$line"
    # shellcheck disable=SC2086
    "$1" compile $args -o "$2/$out" --report "$2/${out%.*}.report.json" >>"$2.log" 2>&1 \
      || { echo "compile failed: $1 compile $args (see $2.log)"; tail -5 "$2.log"; exit 1; }
  done
}

echo "building $base in $work/base"
git worktree add --detach "$work/base" "$base" >/dev/null
ln -s "$(cd "$root/.." && pwd)/shared" "$work/shared" 2>/dev/null || true
(cd "$work/base" && swift build -c release 2>&1 | grep -E "error|Compiling|Build complete" | tail -3)
echo "building the working tree"
swift build -c release 2>&1 | grep -E "error|Build complete" | tail -3

(cd "$work/base" && compile_all "$work/base/.build/release/tessera" "$work/before")
compile_all "$root/.build/release/tessera" "$work/after"

status=0
for f in "$work/before"/*; do
  name=$(basename "$f")
  case $name in *.report.json)
    # The report's compile time differs from run to run; everything else must match.
    if diff <(grep -v '"seconds"' "$f") <(grep -v '"seconds"' "$work/after/$name") >/dev/null; then echo "same   $name"; else echo "DIFFER $name"; status=1; fi
    continue;;
  esac
  if cmp -s "$f" "$work/after/$name"; then echo "same   $name"; else echo "DIFFER $name"; status=1; fi
done
exit $status
