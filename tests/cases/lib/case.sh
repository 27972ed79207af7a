# Shared shell helpers for the integration cases (POSIX sh: ctest runs each case with `sh`). Source it:
#     . "$source_dir/tests/cases/lib/case.sh"
# It sets source_dir, build_dir, elfrun and elfrun_binary (from ELFRUN_SOURCE_DIR, ELFRUN_BUILD_DIR, ELFRUN and
# ELFRUN_BINARY, which ctest gives: the command to run, and the file itself, which differ under qemu-i386) and
# defines:
#     case_skip WHY           "skipped: WHY", exit 77 (under CI=true a skip is a failure: exit 1)
#     case_need_tools T...    case_skip unless every tool is on PATH (or is an executable path)
#     case_need_root WHAT     case_skip unless running as root
#     case_need_elfrun        FAIL unless the built elfrun exists
#     case_with_proc ROOT CMD...  runs CMD with ROOT/proc mounted, as on a real system, and unmounted afterwards
#     case_fail MESSAGE       prints "FAIL: MESSAGE" and counts it in $case_failures
#     case_expect TEXT PART [WHAT]  case_fail "expected \"PART\" in WHAT" unless TEXT contains PART (WHAT: "the output")
#     case_expect_parts TEXT "PART;PART..." [WHAT]  case_expect TEXT PART [WHAT] for each ';'-separated PART
#     case_expect_exit NAME STATUS PATTERN COMMAND...  runs COMMAND (stdout to ./out, stderr to ./err); case_fail
#                             unless it exits STATUS and its stderr matches the shell pattern PATTERN

: "${source_dir:=${ELFRUN_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}}"
: "${build_dir:=${ELFRUN_BUILD_DIR:-$source_dir/build/default}}"
: "${elfrun:=${ELFRUN:-$build_dir/elfrun}}"
# The elfrun file itself: $elfrun may be a wrapper that runs it under qemu-i386 (cmake/i386_emulator.cmake).
: "${elfrun_binary:=${ELFRUN_BINARY:-$elfrun}}"
case_failures=0

# case_i386_runner: prints what runs an i386 program on this host: nothing when the kernel runs i386 programs itself,
# "qemu-i386" when it does not (IA32 emulation off) or when ELFRUN_I386_VIA_QEMU=1 asks for the emulated way on any
# kernel. (Called as $(case_i386_runner), it cannot export anything: a caller that gets "qemu-i386" exports
# ELFRUN_KERNEL_RUNS_I386=0 itself, so that elfrun's answer is the one qemu gives.)
case_i386_runner() {
  if [ "${ELFRUN_I386_VIA_QEMU:-}" = 1 ] || ! /lib/ld-linux.so.2 --version >/dev/null 2>&1; then
    echo qemu-i386
  fi
}

case_skip() {
  echo "skipped: $*"
  if [ "${CI:-}" = true ]; then
    echo "FAIL: under CI=true nothing may be skipped ($*)"
    exit 1
  fi
  exit 77
}

case_need_tools() {
  for case_tool in "$@"; do
    command -v "$case_tool" >/dev/null 2>&1 ||
      case_skip "$case_tool is not installed (scripts/bootstrap installs what the cases need)"
  done
}

case_need_root() {
  [ "$(id -u)" -eq 0 ] || case_skip "$1 needs root"
}

case_need_elfrun() {
  if [ ! -x "$elfrun" ]; then
    echo "FAIL: no elfrun binary at $elfrun (build it first)"
    exit 1
  fi
}

case_fail() {
  echo "FAIL: $*"
  case_failures=$((case_failures + 1))
}

case_expect() {
  case $1 in
    *"$2"*) ;;
    *) case_fail "expected \"$2\" in ${3:-the output}" ;;
  esac
}

# The parts are ';'-separated so that an expectation table can hold several per line (fixtures_run, info_fixtures).
case_expect_parts() {
  case_rest=$2
  while [ -n "$case_rest" ]; do
    case_part=${case_rest%%;*}
    case $case_rest in *";"*) case_rest=${case_rest#*;} ;; *) case_rest="" ;; esac
    case_expect "$1" "$case_part" "${3:-the output}"
  done
}

# case_with_proc ROOT COMMAND [ARGS...]: a chroot into ROOT sees /proc as on a real system. The mount is made only
# in a private mount namespace (unshare), invisible to everyone else and gone with the command; never on the host
# (the host's /proc was once unmounted by a test's cleanup). Without unshare --mount the case is skipped (exit 77).
case_with_proc() {
  case_root=${1:?case_with_proc: no root}
  shift
  case $case_root in
    / | /proc | /proc/* | /dev | /dev/* | /sys | /sys/*) case_fail "case_with_proc: refusing the root $case_root" && return 1 ;;
  esac
  if ! { command -v unshare >/dev/null 2>&1 && unshare --mount --propagation private true 2>/dev/null; }; then
    echo "skipped: mounting /proc in $case_root needs unshare --mount (a private mount namespace)"
    return 77
  fi
  unshare --mount --propagation private sh -c '
    root=$1
    shift
    mount -t proc proc "$root/proc" || exit 125
    "$@"' case_with_proc "$case_root" "$@"
}

# case_in_private_binfmt_misc COMMAND [ARGS...]: runs COMMAND in a user namespace of its own (unshare -Ur --mount)
# whose binfmt_misc (Linux >= 6.7 gives every user namespace one) is mounted at /proc/sys/fs/binfmt_misc: what it
# registers there is seen by that namespace only and goes away with it; nothing is registered for the machine. The
# case is skipped (exit 77) where such a binfmt_misc cannot be mounted.
case_in_private_binfmt_misc() {
  if ! unshare -Ur --mount sh -c 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc' 2>/dev/null; then
    case_skip "binfmt_misc cannot be mounted in a new user namespace here (Linux >= 6.7 and user namespaces needed)"
  fi
  unshare -Ur --mount sh -c '
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || {
      echo "FAIL: cannot mount binfmt_misc in the namespace"
      exit 1
    }
    "$@"' case_in_private_binfmt_misc "$@"
}

case_expect_exit() {
  case_name=$1
  case_expected=$2
  case_pattern=$3
  shift 3
  "$@" >out 2>err
  case_exit_status=$?
  [ "$case_exit_status" -eq "$case_expected" ] ||
    case_fail "$case_name: exit status $case_exit_status, expected $case_expected (stderr: $(cat err))"
  # shellcheck disable=SC2254
  case $(cat err) in
    $case_pattern) ;;
    *) case_fail "$case_name: the message \"$(cat err)\" does not match \"$case_pattern\"" ;;
  esac
  echo "$case_name: status $case_exit_status: $(cat err)"
}
