#!/bin/sh
# `elfrun loaders` against an independent look at the machine (tests/cases/lib/loaders_check.py): every loader in the
# standard places (host, multiarch, Debian's cross roots /usr/TRIPLET/lib*) listed exactly once, symlinked duplicates
# as aliases of one entry, class/byte order/machine as readelf says, version as the loader itself says (run natively
# or under qemu-user), a copy planted under --search and the loaders of a configured [[loader]] and [[root]] listed
# with where they came from, --json valid with the documented keys, the text output naming the same loaders.
set -u
. "$(dirname "$0")/lib/case.sh"

case_need_tools /usr/bin/python3 readelf
[ -e /lib64/ld-linux-x86-64.so.2 ] || case_skip "no /lib64/ld-linux-x86-64.so.2 on this host"
case_need_elfrun

exec /usr/bin/python3 "$source_dir/tests/cases/lib/loaders_check.py" --elfrun "$elfrun"
