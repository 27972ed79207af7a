#!/bin/sh
# `elfrun deps`: musl programs built with musl-gcc against musl's own loader: /lib/ld-musl-x86_64.so.1 --list
# (LD_LIBRARY_PATH first, RUNPATH of the program serving its libraries too, a missing library, libc only), each also
# compared with the list the scenario asserts (tests/cases/lib/deps_scenarios.py --group musl).
# Fixtures are built in a fresh temporary directory and removed afterwards (kept when something fails).
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the scenarios build x86-64 programs; the host is $(uname -m)"
case_need_tools /usr/bin/python3 musl-gcc
case_need_elfrun

exec /usr/bin/python3 "$source_dir/tests/cases/lib/deps_scenarios.py" --elfrun "$elfrun" --group musl
