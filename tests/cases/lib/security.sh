# Helpers for the security_*.sh cases (issue 13): unprivileged users created and removed by the case, and a listing
# of a directory with hashes to show what an elfrun run as root did or did not touch. Source after case.sh.
#     security_add_user VAR   creates a fresh user with a home directory, sets VAR to its name (removed by
#                             security_cleanup, which the case's EXIT trap calls)
#     security_as USER CMD... runs CMD as USER keeping the environment (runuser, as `su` without `-` does)
#     security_listing DIR    one line per entry under DIR: type, owner, mode, name, sha256 of a regular file
#     security_setup NAME TOOL...   the common start of a case with users: an x86-64 host, root, the tools, elfrun,
#                             the fixtures ($fixtures/probe-x86_64), and a fresh world-readable work directory $work
#                             (removed, with the users, on exit) made the current directory

security_users=""

security_add_user() {
  security_user=elfrun-t$$-$(( $(printf '%s' "$security_users" | wc -w) + 1 ))
  useradd --create-home --shell /bin/sh "$security_user" >/dev/null 2>&1 || return 1
  security_users="$security_users $security_user"
  eval "$1=\$security_user"
}

security_cleanup() {
  for security_user in $security_users; do
    [ -n "$security_user" ] && userdel --remove "$security_user" >/dev/null 2>&1
  done
  security_users=""
}

security_as() {
  security_user=$1
  shift
  runuser -u "$security_user" -- "$@"
}

security_listing() {
  (cd "$1" && find . -mindepth 1 -printf '%y %U %m %p\n' | sort -k4 | while read -r type owner mode name; do
    if [ "$type" = f ]; then
      echo "$type $owner $mode $name $(sha256sum <"$name" | cut -d' ' -f1)"
    else
      echo "$type $owner $mode $name"
    fi
  done)
}

security_setup() {
  security_name=$1
  shift
  [ "$(uname -m)" = x86_64 ] || case_skip "the probe is an x86-64 program; the host is $(uname -m)"
  case_need_root "creating users"
  case_need_tools useradd userdel runuser sha256sum "$@"
  case_need_elfrun
  fixtures=$build_dir/fixtures
  sh "$source_dir/tests/fixtures/build-fixtures.sh" "$fixtures" >/dev/null 2>&1
  [ -x "$fixtures/probe-x86_64" ] || { echo "FAIL: tests/fixtures/build-fixtures.sh did not build probe-x86_64"; exit 1; }
  work=$(mktemp -d "${TMPDIR:-/tmp}/elfrun-security-$security_name.XXXXXX") || exit 1
  trap 'security_cleanup; rm -rf "$work"' EXIT
  chmod 755 "$work"
  cd "$work" || exit 1
}
