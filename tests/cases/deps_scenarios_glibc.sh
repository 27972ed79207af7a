#!/bin/sh
# `elfrun deps`: the glibc search rules, one built scenario per rule (tests/cases/lib/deps_scenarios.py --group glibc):
# RPATH over LD_LIBRARY_PATH over RUNPATH, --library-path, RPATH of the grandparent, the own RPATH before the parent's,
# RUNPATH not inherited and hiding the RPATH chain, $ORIGIN through symlinks, $LIB/$PLATFORM, NODEFLIB, a '/'
# DT_NEEDED reused by SONAME, wrong class/machine skipped, garbage/short/directory/wrong-byte-order candidates fatal
# with the loader's message, glibc-hwcaps/x86-64-v2, empty path elements and ';', preload order, a cycle, breadth-first
# order with libc. Each is compared with the real loader's --list (trace mode where a library is missing) AND with
# the list the scenario asserts, and elfrun's exit status is checked.
# Fixtures are built in a fresh temporary directory and removed afterwards (kept when something fails).
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the scenarios build x86-64 programs; the host is $(uname -m)"
case_need_tools /usr/bin/python3 gcc patchelf
case_need_elfrun

exec /usr/bin/python3 "$source_dir/tests/cases/lib/deps_scenarios.py" --elfrun "$elfrun" --group glibc
