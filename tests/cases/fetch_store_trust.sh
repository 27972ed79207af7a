#!/bin/sh
# The store of run --fetch under the trust rule (SPEC.md, util/trust.h; issue 16): a store directory another user
# owns, or that others can write, is ignored with one warning naming it — `store --list` shows nothing of it, `store
# --gc` removes nothing from it, and `run --fetch` of a program that needs a package refuses with 127 instead of
# using or writing into it; `fetch = true` in the configuration does what --fetch does. `store` without --list or --gc is a usage error (2). No network is used: the store is
# refused before apt would run.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_root "chown to another user"
case_need_tools gcc
case_need_elfrun

work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-store-trust.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
chmod 755 "$work"
home=$work/home
store=$home/.local/share/elfrun/store
mkdir -p "$store/libc6_2.99-1_amd64/lib" || exit 1
echo planted >"$store/libc6_2.99-1_amd64/lib/marker"

# A program the machine cannot satisfy: it needs a library the machine does not have (built, linked, removed).
cat >"$work/stub.c" <<'EOF'
int elfrun_absent_symbol(void) { return 0; }
EOF
cat >"$work/use.c" <<'EOF'
#include <stdio.h>
int elfrun_absent_symbol(void);
int main(void) { puts("hello"); return elfrun_absent_symbol(); }
EOF
gcc -shared -fPIC -o "$work/libelfrunabsent.so.1" -Wl,-soname,libelfrunabsent.so.1 "$work/stub.c" &&
  gcc -o "$work/needs-absent" "$work/use.c" "$work/libelfrunabsent.so.1" && rm "$work/libelfrunabsent.so.1" || exit 1

as_user() {
  env -u XDG_CACHE_HOME -u XDG_DATA_HOME -u ELFRUN_NO_CACHE HOME="$home" ELFRUN_FETCH_MIRROR=http://127.0.0.1:9/debian "$@"
}

# 1. Ours: listed.
said=$(as_user "$elfrun" store --list 2>&1)
echo "own store: $said"
case_expect "$said" "libc6 2.99-1 amd64" "store --list of our own store"

# 2. Another user's: ignored with a warning, untouched by --gc.
chown -R nobody "$home/.local/share/elfrun" || exit 1
said=$(as_user "$elfrun" store --list 2>&1)
status=$?
echo "another user's store -> $status: $said"
case_expect "$said" "ignoring store $store" "store --list of another user's store"
case $said in *"libc6 2.99-1"*) case_fail "store --list listed another user's entry" ;; esac
as_user "$elfrun" store --gc >/dev/null 2>&1
[ -f "$store/libc6_2.99-1_amd64/lib/marker" ] || case_fail "store --gc removed an entry of another user's store"
said=$(as_user "$elfrun" run --fetch "$work/needs-absent" 2>&1)
status=$?
echo "run --fetch with another user's store -> $status: $said"
[ "$status" -eq 127 ] || case_fail "run --fetch with another user's store exited $status, expected 127"
case_expect "$said" "ignoring store $store" "run --fetch with another user's store"
[ "$(ls "$store")" = libc6_2.99-1_amd64 ] || case_fail "run --fetch wrote into another user's store: $(ls "$store")"

# `fetch = true` in the configuration is --fetch (and without it, or without --fetch, nothing is fetched).
said=$(as_user "$elfrun" run "$work/needs-absent" 2>&1)
case $said in *"ignoring store"*) case_fail "run without --fetch looked at the store: $said" ;; esac
mkdir -p "$home/.config/elfrun" && echo 'fetch = true' >"$home/.config/elfrun/config.toml" || exit 1
said=$(as_user "$elfrun" run "$work/needs-absent" 2>&1)
status=$?
echo "run with fetch = true -> $status: $said"
[ "$status" -eq 127 ] || case_fail "run with fetch = true exited $status, expected 127"
case_expect "$said" "ignoring store $store" "run with fetch = true in the configuration"
echo 'fetch = "yes"' >"$home/.config/elfrun/config.toml"
said=$(as_user "$elfrun" run "$work/needs-absent" 2>&1)
status=$?
[ "$status" -eq 2 ] || case_fail "fetch = \"yes\" in the configuration: exit $status, expected 2"
case_expect "$said" "fetch must be true or false" "fetch = \"yes\""
rm -rf "$home/.config"

# 3. Ours again but writable by others: ignored too.
chown -R root "$home/.local/share/elfrun" && chmod 777 "$store" || exit 1
said=$(as_user "$elfrun" store --list 2>&1)
echo "group/world-writable store: $said"
case_expect "$said" "ignoring store $store" "store --list of a world-writable store"

# 4. Usage.
as_user "$elfrun" store >/dev/null 2>&1
status=$?
[ "$status" -eq 2 ] || case_fail "store without --list or --gc exited $status, expected 2"
[ "$case_failures" -eq 0 ]
