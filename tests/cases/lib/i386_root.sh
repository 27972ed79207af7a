# How the cases enter the i386 reference root (scripts/make-i386-root), on top of case.sh. Source both.
#
# On a kernel that runs i386 programs the root is entered as SPEC.md's reference case says: a private mount
# namespace (unshare --mount), an overlay of the shared root, /proc mounted, chroot. On a kernel that does not (IA32
# emulation off), or when ELFRUN_I386_VIA_QEMU=1 asks for it on any kernel, it is entered through a user namespace
# of its own (unshare -Ur --mount --pid --fork; Linux >= 6.7 gives it a binfmt_misc instance of its own) whose
# binfmt_misc hands i386 programs to qemu-i386-static (flag F: the interpreter is opened at registration, so it works
# inside the chroot): the mission's machine with its 32-bit half emulated, x86-64 programs still native. Nothing is
# ever registered for the whole machine, and everything goes away with the namespace.
#
#     i386_root_via_qemu ROOT      true when the root is to be entered the emulated way
#     i386_root_unshare ROOT SCRIPT ARGS...   runs `sh SCRIPT ARGS...` in the right kind of namespace for ROOT
#     i386_root_unshare_all_ids ROOT SCRIPT ARGS...   the same, but the emulated way's user namespace maps every uid
#                                  and gid 0-65535 to itself (not only root), for a case that checks owners or
#                                  changes user in the root (chroot --userspec); needs root on the host
#     i386_root_binfmt MERGED      inside it: registers qemu-i386-static for i386 programs (when emulated), makes
#                                  MERGED/proc/sys/fs/binfmt_misc show it (MERGED/proc must be mounted first) and
#                                  binds the host's /dev/null and friends over the root's (nodev in a user namespace)
#     i386_elfrun                  sets elfrun_i386 to an i386 elfrun of this source: the one under test when it is
#                                  i386, else $ELFRUN_I386 (scripts/test sets it after the i386 preset), else one
#                                  built here with the i386 preset's flags in $build_dir/i386-elfrun
#     i386_root_check_emulated MERGED   FAILs unless i386 programs in the root really go through qemu (uname -m of
#                                  the root's own uname says i686 there, x86_64 natively) and x86-64 ones do not
#     i386_root_private PATH...    inside it, before any mount: exits 1 unless this shell is in a mount namespace
#                                  other than the one i386_root_unshare started from, and every PATH is a non-empty
#                                  path that is not /, /proc, /dev, /sys or below them (so that no mount or umount
#                                  made with it can reach the host's; the host's /proc was unmounted once that way)

# qemu's i386 entry (qemu's scripts/qemu-binfmt-conf.sh): ELF32, little-endian, ET_EXEC or ET_DYN, EM_386.
i386_root_magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x03\x00'
i386_root_mask='\xff\xff\xff\xff\xff\xfe\xfe\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'

# The mount namespace the case started in, recorded before any unshare: i386_root_private compares with it.
: "${ELFRUN_HOST_MOUNT_NS:=$(readlink /proc/self/ns/mnt 2>/dev/null)}"
export ELFRUN_HOST_MOUNT_NS

i386_root_private() {
  i386_root_ns=$(readlink /proc/self/ns/mnt 2>/dev/null)
  if [ -z "$ELFRUN_HOST_MOUNT_NS" ] || [ -z "$i386_root_ns" ] || [ "$i386_root_ns" = "$ELFRUN_HOST_MOUNT_NS" ]; then
    echo "FAIL: refusing to mount: not in a private mount namespace ($i386_root_ns, host $ELFRUN_HOST_MOUNT_NS)"
    exit 1
  fi
  for i386_root_path in "$@"; do
    case $i386_root_path in
      "" | / | /proc | /proc/* | /dev | /dev/* | /sys | /sys/* | //*)
        echo "FAIL: refusing to mount on or below \"$i386_root_path\""
        exit 1
        ;;
    esac
  done
}

# i386_root_overlay ROOT WORK MERGED: MERGED becomes a changeable view of ROOT, which stays untouched: an overlay
# (upper and work directories WORK/upper, WORK/overlay-work, made by the caller), else a copy where overlayfs cannot
# be mounted. Only in a private mount namespace, on sane paths (i386_root_private); exits on failure.
i386_root_overlay() {
  i386_root_private "$1" "$2" "$3"
  if ! mount -t overlay overlay -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/overlay-work" "$3" 2>/dev/null; then
    echo "(no overlayfs here: working on a copy of the root)"
    rmdir "$3" && cp -a "$1" "$3" || exit 1
  fi
}

i386_root_via_qemu() {
  [ "${ELFRUN_I386_VIA_QEMU:-}" = 1 ] && return 0
  [ "${ELFRUN_I386_VIA_QEMU:-}" = 0 ] && return 1
  # The kernel's own answer: the root's /bin/true, exec'd.
  "$1/bin/true" 2>/dev/null && return 1
  return 0
}

i386_root_unshare() {
  i386_root=${1:?i386_root_unshare: no root}
  shift
  if i386_root_via_qemu "$i386_root"; then
    case_need_tools qemu-i386-static
    unshare -Ur --mount --pid --fork --propagation private \
      sh -c 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc' 2>/dev/null ||
      case_skip "binfmt_misc cannot be mounted in a new user namespace here (Linux >= 6.7 and user namespaces needed)"
    ELFRUN_I386_ROOT_EMULATED=1 unshare -Ur --mount --pid --fork --propagation private sh "$@"
  else
    unshare --mount --propagation private true 2>/dev/null || case_skip "unshare --mount is not allowed here"
    ELFRUN_I386_ROOT_EMULATED=0 unshare --mount --propagation private sh "$@"
  fi
}

i386_root_unshare_all_ids() {
  i386_root=${1:?i386_root_unshare_all_ids: no root}
  shift
  i386_root_via_qemu "$i386_root" || {
    i386_root_unshare "$i386_root" "$@"
    return $?
  }
  case_need_tools qemu-i386-static
  unshare -Ur --mount --pid --fork --propagation private \
    sh -c 'mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc' 2>/dev/null ||
    case_skip "binfmt_misc cannot be mounted in a new user namespace here (Linux >= 6.7 and user namespaces needed)"
  # As scripts/make-root's second stage: the namespace waits for its maps, which this shell (root on the host)
  # writes itself (newuidmap would want /etc/subuid entries for root); dpkg's files are root:shadow, root:tty...
  ELFRUN_I386_ROOT_EMULATED=1 unshare --user --mount --pid --fork --propagation private sh -c '
    waited=0
    until [ -n "$(cat /proc/self/uid_map)" ]; do
      [ "$waited" -lt 300 ] || { echo "FAIL: no uid map was written for the namespace"; exit 1; }
      sleep 0.1
      waited=$((waited + 1))
    done
    exec sh "$@"' i386_root_unshare_all_ids "$@" &
  i386_root_namespace=$!
  i386_root_host_user_ns=$(readlink /proc/self/ns/user)
  i386_root_waited=0
  while [ "$(readlink "/proc/$i386_root_namespace/ns/user" 2>/dev/null)" = "$i386_root_host_user_ns" ] &&
    [ "$i386_root_waited" -lt 300 ]; do
    sleep 0.1
    i386_root_waited=$((i386_root_waited + 1))
  done
  printf '0 0 65536\n' >"/proc/$i386_root_namespace/uid_map" &&
    printf '0 0 65536\n' >"/proc/$i386_root_namespace/gid_map" ||
    echo "FAIL: cannot write the user namespace's uid and gid maps"
  wait "$i386_root_namespace"
}

i386_root_binfmt() {
  i386_root_private "${1:-}"
  [ "${ELFRUN_I386_ROOT_EMULATED:-0}" = 1 ] || return 0
  mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc || {
    echo "FAIL: cannot mount binfmt_misc in the user namespace"
    exit 1
  }
  printf '%s' ":elfrun-i386:M::$i386_root_magic:$i386_root_mask:$(command -v qemu-i386-static):F" \
    >/proc/sys/fs/binfmt_misc/register || {
    echo "FAIL: cannot register qemu-i386-static in the namespace's binfmt_misc"
    exit 1
  }
  mount -t binfmt_misc binfmt_misc "$1/proc/sys/fs/binfmt_misc" || {
    echo "FAIL: cannot mount binfmt_misc in the root"
    exit 1
  }
  # A mount made in a user namespace ignores device nodes (nodev): the root's /dev/null would refuse to open. The
  # host's own nodes, bound over them, work (as in rootless containers).
  for i386_root_device in null zero full random urandom tty; do
    [ -e "/dev/$i386_root_device" ] && [ -e "$1/dev/$i386_root_device" ] || continue
    mount --bind "/dev/$i386_root_device" "$1/dev/$i386_root_device" || {
      echo "FAIL: cannot bind /dev/$i386_root_device into the root"
      exit 1
    }
  done
}

i386_root_check_emulated() {
  i386_root_machine=$(chroot "$1" /bin/uname -m 2>&1)
  if [ "${ELFRUN_I386_ROOT_EMULATED:-0}" = 1 ]; then
    echo "entered the emulated way: the root's uname -m says $i386_root_machine (qemu-i386), x86-64 stays native"
    [ "$i386_root_machine" = i686 ] || case_fail "i386 programs in the root do not go through qemu-i386 ($i386_root_machine)"
    [ -e "$1/proc/sys/fs/binfmt_misc/elfrun-i386" ] || case_fail "the root does not see the namespace's binfmt_misc"
  else
    echo "entered natively: the root's uname -m says $i386_root_machine"
  fi
}

# i386_root_with_proc ROOT COMMAND...: case_with_proc (case.sh) for the i386 root, the emulated way when
# i386_root_via_qemu says so: ROOT/proc mounted, binfmt_misc handing i386 programs to qemu-i386-static, the host's
# device nodes bound in, all in a user namespace that vanishes with COMMAND.
i386_root_with_proc() {
  i386_root=${1:?i386_root_with_proc: no root}
  shift
  if ! i386_root_via_qemu "$i386_root"; then
    case_with_proc "$i386_root" "$@"
    return $?
  fi
  case_need_tools qemu-i386-static
  echo "entering $i386_root the emulated way: its i386 programs through qemu-i386-static (binfmt_misc of our own)"
  ELFRUN_I386_ROOT_EMULATED=1 unshare -Ur --mount --pid --fork --propagation private sh -c '
    lib=$1 root=$2
    shift 2
    . "$lib"
    i386_root_private "$root"
    mount -t proc proc "$root/proc" || exit 125
    i386_root_binfmt "$root"
    [ "$(chroot "$root" /bin/uname -m)" = i686 ] || { echo "FAIL: i386 programs in $root do not go through qemu"; exit 1; }
    "$@"' i386_root_with_proc "$source_dir/tests/cases/lib/i386_root.sh" "$i386_root" "$@"
}

i386_elfrun() {
  if i386_is_elf "$elfrun_binary"; then
    elfrun_i386=$elfrun_binary
  elif [ -n "${ELFRUN_I386:-}" ]; then
    elfrun_i386=$ELFRUN_I386
    i386_is_elf "$elfrun_i386" || {
      echo "FAIL: ELFRUN_I386=$elfrun_i386 is not an i386 ELF program"
      exit 1
    }
  else
    case_need_tools cmake ninja
    i386_build=$build_dir/i386-elfrun
    echo "building an i386 elfrun in $i386_build (the i386 preset's flags)"
    if ! { cmake -S "$source_dir" -B "$i386_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DELFRUN_TESTS=OFF \
      -DCMAKE_C_FLAGS=-m32 -DCMAKE_CXX_FLAGS=-m32 -DCMAKE_EXE_LINKER_FLAGS=-m32 >"$build_dir/i386-elfrun.log" 2>&1 &&
      cmake --build "$i386_build" --target elfrun -j2 >>"$build_dir/i386-elfrun.log" 2>&1; }; then
      tail -n 30 "$build_dir/i386-elfrun.log"
      echo "FAIL: could not build an i386 elfrun (log: $build_dir/i386-elfrun.log)"
      exit 1
    fi
    elfrun_i386=$i386_build/elfrun
  fi
  echo "i386 elfrun: $elfrun_i386"
}

i386_is_elf() {
  LC_ALL=C file -bL "$1" | grep -q '^ELF 32-bit LSB .*Intel 80386'
}
