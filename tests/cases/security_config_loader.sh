#!/bin/sh
# ctest-labels: slow
# Issue 13, finding 2: a loader named by configuration is executed (to identify it, then to run programs), so the
# configuration file and the loader must pass util/trust.h's rule: owned by root or the effective user, writable by
# nobody else, in directories that are too. Root running with another user's HOME (`sudo -E`, `su` without `-`,
# replayed as root with that environment) ignores that user's config.toml, and a root-owned config.toml naming a
# loader in a user's directory has that loader ignored, each with one warning; the program still runs, through the
# system's loader. The same configuration used by its own user works as before.
# Before the fix: root executed /home/USER/ld-linux-x86-64.so.2 (run --print named it).
set -u
. "$(dirname "$0")/lib/case.sh"
. "$(dirname "$0")/lib/security.sh"

security_setup config gcc patchelf
host_loader=/lib64/ld-linux-x86-64.so.2
[ -e "$host_loader" ] || case_skip "no $host_loader"
export ELFRUN_NO_CACHE=1
unset XDG_CONFIG_HOME

security_add_user alice || case_skip "useradd failed"
alice_home=$(getent passwd "$alice" | cut -d: -f6)
cp "$fixtures/probe-x86_64" probe-no-interp &&
  patchelf --set-interpreter /nonexistent/ld-linux-x86-64.so.2 probe-no-interp && chmod 755 probe-no-interp || exit 1
alice_loader=$alice_home/ld-linux-x86-64.so.2
security_as "$alice" sh -c 'cp "$1" "$2" && mkdir -p ~/.config/elfrun &&
  printf "[[loader]]\npath = \"%s\"\n" "$2" >~/.config/elfrun/config.toml' sh "$host_loader" "$alice_loader" || exit 1
home_before=$(security_listing "$alice_home")

# run_as_root NAME WARNING ENV...: the program runs through the system's loader, never alice's, with one warning.
run_as_root() {
  name=$1 warning=$2
  shift 2
  printed=$(env "$@" "$elfrun" run --print ./probe-no-interp 2>err)
  case $printed in
    "$alice_loader"*) case_fail "$name: root would execute $alice_loader: $printed" ;;
  esac
  grep -q "warning: ignoring $warning" err || case_fail "$name: no warning \"ignoring $warning\": $(cat err)"
  env "$@" "$elfrun" loaders >out 2>err
  grep -q "^$alice_loader" out && case_fail "$name: loaders lists $alice_loader"
  env "$@" PROBE_STATUS=4 "$elfrun" run ./probe-no-interp >out 2>err
  status=$?
  [ "$status" -eq 4 ] || case_fail "$name: the program did not run (status $status): $(cat err)"
  echo "$name: run --print: $(printf '%s' "$printed" | cut -d' ' -f1); $(head -1 err)"
}

# 1. root with alice's HOME: her configuration is not read at all.
run_as_root "alice's config.toml" "configuration $alice_home/.config/elfrun/config.toml" HOME="$alice_home"

# 2. root's own configuration naming alice's loader: that loader is ignored.
mkdir -p rootconfig/elfrun && printf '[[loader]]\npath = "%s"\n' "$alice_loader" >rootconfig/elfrun/config.toml
run_as_root "root's config naming alice's loader" "loader $alice_loader" HOME=/root XDG_CONFIG_HOME="$work/rootconfig"

# 3. A loader of root's in a group-writable directory.
mkdir -m 775 shared && cp "$host_loader" shared/ld-linux-x86-64.so.2 &&
  printf '[[loader]]\npath = "%s"\n' "$work/shared/ld-linux-x86-64.so.2" >rootconfig/elfrun/config.toml
printed=$(env HOME=/root XDG_CONFIG_HOME="$work/rootconfig" "$elfrun" run --print ./probe-no-interp 2>err)
case $printed in "$work/shared/"*) case_fail "a loader in a group-writable directory was chosen: $printed" ;; esac
grep -q "is writable by group or others" err || case_fail "group-writable loader directory: no warning: $(cat err)"

[ "$(security_listing "$alice_home")" = "$home_before" ] || case_fail "something in $alice_home changed"

# 4. alice herself: her configuration and loader are hers to use.
printed=$(security_as "$alice" env HOME="$alice_home" "$elfrun" run --print ./probe-no-interp 2>err)
case $printed in
  "$alice_loader"*) ;;
  *) case_fail "alice's own configuration: her loader is not used: $printed $(cat err)" ;;
esac
[ -s err ] && case_fail "alice's own configuration drew a warning: $(cat err)"

[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
