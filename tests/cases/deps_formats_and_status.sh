#!/bin/sh
# `elfrun deps`: `elfrun deps --format json` is valid JSON with the documented keys and values,
# `--format dot` is a well-formed Graphviz digraph (read by `dot` when Graphviz is installed, else checked line by
# line) with missing libraries in red, and the exit statuses: 0 all found, 1 something missing or fatal, 2 a FILE that
# cannot be read or parsed or a usage error, in every format (tests/cases/lib/deps_scenarios.py --group formats).
# Fixtures are built in a fresh temporary directory and removed afterwards (kept when something fails).
set -u
. "$(dirname "$0")/lib/case.sh"

[ "$(uname -m)" = x86_64 ] || case_skip "the scenarios build x86-64 programs; the host is $(uname -m)"
case_need_tools /usr/bin/python3 gcc
case_need_elfrun

exec /usr/bin/python3 "$source_dir/tests/cases/lib/deps_scenarios.py" --elfrun "$elfrun" --group formats
