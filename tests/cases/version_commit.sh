#!/bin/sh
# `elfrun --version` says the version of CMakeLists.txt (which debian/changelog must carry too) and, built from a git
# checkout, the commit it was configured from: HEAD's, with "-dirty" exactly when tracked files differ from HEAD
# (untracked build products do not count). A commit re-runs the configure step, so a build after it names it.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
line=$("$elfrun" --version)
echo "elfrun --version: $line"
version=$(sed -n 's/^project(elfrun VERSION \([0-9.]*\).*/\1/p' "$source_dir/CMakeLists.txt")
case_expect "$line" "elfrun $version (" "elfrun --version"
changelog=$(sed -n '1s/^elfrun (\([^)]*\)).*/\1/p' "$source_dir/debian/changelog")
[ "$changelog" = "$version" ] || case_fail "debian/changelog says $changelog, CMakeLists.txt $version"
top=$(git -C "$source_dir" rev-parse --show-toplevel 2>/dev/null)
if [ -n "$top" ] && [ "$top" = "$(cd "$source_dir" && pwd -P)" ]; then
  head=$(git -C "$source_dir" rev-parse --short=12 HEAD)
  if git -C "$source_dir" diff-index --quiet HEAD --; then
    case_expect "$line" "(commit $head)" "elfrun --version of a clean checkout"
  else
    case_expect "$line" "(commit $head-dirty)" "elfrun --version of a checkout with changes"
  fi
else
  case_expect "$line" "unknown commit" "elfrun --version outside a git checkout"
fi
[ "$case_failures" -eq 0 ] || exit 1
