#!/usr/bin/python3
"""One built scenario per rule of the loader's search, each judged twice: the real loader's own list must be what the
scenario asserts (so the scenario tests what its name says), and `elfrun deps --format ldd` must print that same
list (and the same error, and exit 0, 1 or 2 as documented).

Groups (--group, several allowed; default all):
  glibc   the glibc rules, with /lib64/ld-linux-x86-64.so.2 --list (and /lib/ld-linux.so.2 for i386)
  musl    musl programs built with musl-gcc, against /lib/ld-musl-x86_64.so.1 --list
  formats --format json and dot, and the exit statuses

Fixtures are built with gcc (and gcc -m32, musl-gcc, patchelf) in a fresh temporary directory. Test libraries are
linked with -nostdlib so that each list holds just what the scenario is about; a few scenarios use libc on purpose.
Exit: 0 all pass, 1 a failure, 77 a tool is missing (1 under CI=true).
"""

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ADDRESS = re.compile(r" \(0x[0-9a-fA-F]+\)$")
MISSING = re.compile(r"error while loading shared libraries: .*: cannot open shared object file")
LD64 = "/lib64/ld-linux-x86-64.so.2"
LD32 = "/lib/ld-linux.so.2"
MUSL = "/lib/ld-musl-x86_64.so.1"
VDSO64 = "linux-vdso.so.1"
VDSO32 = "linux-gate.so.1"


class Skip(Exception):
    pass


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LD_") and k not in ("GLIBC_TUNABLES", "QEMU_LD_PREFIX")}
    env["LC_ALL"] = "C"
    env.update(extra or {})
    return env


def run(command, env=None, cwd=None):
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, env=env, cwd=cwd, timeout=120)
    return (done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"))


class Scenarios:
    def __init__(self, elfrun, top):
        self.elfrun = elfrun
        self.t = top
        self.failures = 0
        self.passes = 0
        self.current = ""

    # ---------------------------------------------------------------- building
    def path(self, relative):
        full = os.path.join(self.t, relative)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        return full

    def cc(self, compiler, out, source, flags):
        out = self.path(out)
        src = out + ".c"
        with open(src, "w") as f:
            f.write(source)
        code, _, err = run([compiler, "-o", out, src] + flags)
        if code != 0:
            raise RuntimeError(f"{compiler} failed for {out}:\n{err}")
        os.unlink(src)
        return out

    @staticmethod
    def link_flags(needed, rpath, runpath):
        flags = ["-Wl,--no-as-needed"]
        if rpath is not None:
            flags += ["-Wl,--disable-new-dtags", "-Wl,-rpath," + rpath]
        if runpath is not None:
            flags += ["-Wl,--enable-new-dtags", "-Wl,-rpath," + runpath]
        # Linking a library by its path records its SONAME as DT_NEEDED (or the path when it has none).
        return flags + list(needed)

    def lib(self, out, soname=None, needed=(), rpath=None, runpath=None, compiler="gcc", flags=(), libc=False):
        """A shared library with one function; DT_SONAME soname (default: the file name)."""
        name = os.path.basename(out)
        symbol = re.sub(r"\W", "_", name)
        soname = name if soname is None else soname
        lib_flags = ["-shared", "-fPIC"] + ([] if libc else ["-nostdlib"])
        if soname:
            lib_flags.append("-Wl,-soname," + soname)
        return self.cc(compiler, out, f"int fn_{symbol}(void) {{ return 0; }}\n",
                       lib_flags + list(flags) + self.link_flags(needed, rpath, runpath))

    def prog(self, out, needed=(), rpath=None, runpath=None, compiler="gcc", flags=(), libc=False):
        """A program whose DT_NEEDED are the given libraries (it is never run: ld.so --list does not run it)."""
        if libc:
            source, prog_flags = "int main(void) { return 0; }\n", []
        else:
            source, prog_flags = "void _start(void) {}\n", ["-nostdlib"]
        return self.cc(compiler, out, source, prog_flags + list(flags) + self.link_flags(needed, rpath, runpath))

    def patchelf(self, arguments):
        code, _, err = run(["patchelf"] + arguments)
        if code != 0:
            raise RuntimeError(f"patchelf {' '.join(arguments)} failed:\n{err}")

    # ---------------------------------------------------------------- judging
    def fail(self, message):
        print(f"FAIL: {self.current}: {message}")
        self.failures += 1

    def loader_list(self, loader, file, env, cwd, loader_options):
        """The loader's answer: `--list`, or trace mode (as ldd runs it) when --list stops at a missing library."""
        code, out, err = run([loader] + loader_options + ["--list", file], env=clean_env(env), cwd=cwd)
        if code != 0 and MISSING.search(err):
            code, out, err = run([loader] + loader_options + [file],
                                 env=clean_env(dict(env or {}, LD_TRACE_LOADED_OBJECTS="1")), cwd=cwd)
            code = 1  # elfrun's status for "something is missing"
        strip = lambda text: [ADDRESS.sub("", line) for line in text.splitlines()]
        return code, strip(out), strip(err)

    def elfrun_ldd(self, file, env=None, cwd=None, options=()):
        # An ASan build of elfrun refuses to start when LD_PRELOAD puts a library before its runtime.
        elfrun_env = clean_env(env)
        elfrun_env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"),
                                                            "verify_asan_link_order=0"]))
        code, out, err = run([self.elfrun, "deps", "--format", "ldd"] + list(options) + [file], env=elfrun_env,
                             cwd=cwd)
        # LD_PRELOAD is read by elfrun as the program's would be, but elfrun's own loader reads it too: an i386
        # elfrun cannot preload the test's x86-64 libraries and says so. That line is about elfrun's own process.
        err_lines = [line[len("elfrun: "):] if line.startswith("elfrun: ") else line for line in err.splitlines()
                     if not re.match(r"ERROR: ld\.so: object '.*' from LD_PRELOAD cannot be preloaded", line)]
        return code, out.splitlines(), err_lines

    def check(self, title, file, expected, env=None, cwd=None, loader=LD64, loader_options=(), elfrun_options=(),
              status=0, stderr=None, stderr_prefix_only=False):
        """expected: the lines of the list without their tab and address; stderr: the expected error lines."""
        self.current = title
        expected = ["\t" + line for line in expected]
        loader_options, elfrun_options = list(loader_options), list(elfrun_options)
        t_code, t_out, t_err = self.loader_list(loader, file, env, cwd, loader_options)
        e_code, e_out, e_err = self.elfrun_ldd(file, env, cwd, elfrun_options)
        ok = True

        def differ(what, a, b, a_name, b_name):
            print(f"FAIL: {title}: {what}")
            print("\n".join(difflib.unified_diff(a, b, fromfile=a_name, tofile=b_name, lineterm="")))
            self.failures += 1

        if t_out != expected:
            differ("the real loader does not list what this scenario asserts", expected, t_out, "asserted",
                   f"{loader} --list")
            ok = False
        if e_out != t_out:
            differ("elfrun deps --format ldd differs from the real loader", t_out, e_out, f"{loader} --list",
                   "elfrun deps --format ldd")
            ok = False
        if stderr is not None:
            want = stderr
            got_t, got_e = t_err, e_err
            if stderr_prefix_only:
                got_t, got_e = t_err[:len(want)], e_err[:len(want)]
            if got_t != want:
                differ("the real loader's error is not the asserted one", want, t_err, "asserted", "loader stderr")
                ok = False
            if got_e != want:
                differ("elfrun's error differs", want, e_err, "asserted (the loader's words)", "elfrun stderr")
                ok = False
        elif e_err:
            differ("elfrun printed an unexpected error", [], e_err, "nothing", "elfrun stderr")
            ok = False
        if e_code != status:
            self.fail(f"elfrun deps exited {e_code}, expected {status}")
            ok = False
        if (t_code != 0) != (status != 0):
            self.fail(f"the real loader exited {t_code}, and the scenario expects {'failure' if status else 'success'}")
            ok = False
        if ok:
            self.passes += 1
            print(f"ok: {title}")

    def assert_true(self, title, condition, detail=""):
        self.current = title
        if condition:
            self.passes += 1
            print(f"ok: {title}")
        else:
            self.fail(detail or "assertion failed")

    # ---------------------------------------------------------------- facts of this machine's loader
    def loader_help(self):
        if not hasattr(self, "_help"):
            self._help = run([LD64, "--help"])[1]
        return self._help

    def hwcaps_supported(self, name):
        return re.search(r"^\s+" + re.escape(name) + r" \(supported, searched\)", self.loader_help(), re.M) is not None

    def platform(self):
        found = re.search(r"^\s+(\S+) \(AT_PLATFORM", self.loader_help(), re.M)
        return found.group(1) if found else "x86_64"

    def system_dirs(self):
        return re.findall(r"^\s+(/\S*) \(system search path\)", self.loader_help(), re.M)

    # ================================================================ glibc scenarios
    def glibc(self):
        t = self.t

        # RPATH over LD_LIBRARY_PATH over RUNPATH (elf/dl-load.c _dl_map_object: RPATH chain, LD_LIBRARY_PATH,
        # RUNPATH, cache, system dirs).
        for d in ("order/rpath", "order/llp", "order/runpath"):
            self.lib(f"{d}/liborder.so")
        p_rpath = self.prog("order/prog-rpath", [f"{t}/order/rpath/liborder.so"], rpath=f"{t}/order/rpath")
        p_runpath = self.prog("order/prog-runpath", [f"{t}/order/runpath/liborder.so"], runpath=f"{t}/order/runpath")
        llp = {"LD_LIBRARY_PATH": f"{t}/order/llp"}
        self.check("RPATH wins over LD_LIBRARY_PATH", p_rpath, [VDSO64, f"liborder.so => {t}/order/rpath/liborder.so"],
                   env=llp)
        self.check("LD_LIBRARY_PATH wins over RUNPATH", p_runpath,
                   [VDSO64, f"liborder.so => {t}/order/llp/liborder.so"], env=llp)
        self.check("--library-path is LD_LIBRARY_PATH", p_runpath,
                   [VDSO64, f"liborder.so => {t}/order/llp/liborder.so"],
                   loader_options=["--library-path", f"{t}/order/llp"],
                   elfrun_options=["--library-path", f"{t}/order/llp"])
        self.check("RUNPATH when nothing else has it", p_runpath,
                   [VDSO64, f"liborder.so => {t}/order/runpath/liborder.so"])

        # RPATH of the parent's parent: prog (RPATH d1:d3) -> libgpa (d1, RPATH d2) -> libgpb (d2) -> libgpc (d3).
        gpc = self.lib("grand/d3/libgpc.so")
        gpb = self.lib("grand/d2/libgpb.so", needed=[gpc])
        gpa = self.lib("grand/d1/libgpa.so", needed=[gpb], rpath=f"{t}/grand/d2")
        prog = self.prog("grand/prog", [gpa], rpath=f"{t}/grand/d1:{t}/grand/d3")
        self.check("RPATH of the requester's grandparent (the loader chain up to the program)", prog,
                   [VDSO64, f"libgpa.so => {t}/grand/d1/libgpa.so", f"libgpb.so => {t}/grand/d2/libgpb.so",
                    f"libgpc.so => {t}/grand/d3/libgpc.so"])

        # The requester's own RPATH before its parent's: libdep is in both; the library's own directory wins.
        self.lib("own/parent/libowndep.so")
        dep = self.lib("own/own/libowndep.so")
        mid = self.lib("own/mid/libownmid.so", needed=[dep], rpath=f"{t}/own/own")
        prog = self.prog("own/prog", [mid], rpath=f"{t}/own/parent:{t}/own/mid")
        self.check("the requester's own RPATH before its parent's", prog,
                   [VDSO64, f"libownmid.so => {t}/own/mid/libownmid.so", f"libowndep.so => {t}/own/own/libowndep.so"])

        # RUNPATH is not inherited (a RPATH is): libri_b sits only in the program's RUNPATH directory.
        rib = self.lib("runinh/r/libri_b.so")
        ria = self.lib("runinh/r/libri_a.so", needed=[rib])
        prog = self.prog("runinh/prog-runpath", [ria], runpath=f"{t}/runinh/r")
        self.check("RUNPATH is not inherited by the libraries", prog,
                   [VDSO64, f"libri_a.so => {t}/runinh/r/libri_a.so", "libri_b.so => not found"], status=1)
        prog = self.prog("runinh/prog-rpath", [ria], rpath=f"{t}/runinh/r")
        self.check("RPATH is inherited by the libraries", prog,
                   [VDSO64, f"libri_a.so => {t}/runinh/r/libri_a.so", f"libri_b.so => {t}/runinh/r/libri_b.so"])
        # A RUNPATH in the requester hides the RPATH of its whole loader chain (elf/dl-load.c: the RPATH chain is
        # searched only when the requester has no DT_RUNPATH).
        rib2 = self.lib("runhide/rp/libhide_b.so")
        hida = self.lib("runhide/ra/libhide_a.so", needed=[rib2], runpath=f"{t}/runhide/nowhere")
        prog = self.prog("runhide/prog", [hida], rpath=f"{t}/runhide/ra:{t}/runhide/rp")
        self.check("a requester with RUNPATH ignores the program's RPATH", prog,
                   [VDSO64, f"libhide_a.so => {t}/runhide/ra/libhide_a.so", "libhide_b.so => not found"], status=1)

        # $ORIGIN through a symlink: the directory of the path as opened, symlinks not resolved.
        self.lib("origin/link/lib/liborigin.so")
        real_prog = self.prog("origin/real/bin/prog", [f"{t}/origin/link/lib/liborigin.so"],
                              runpath="$ORIGIN/../lib")
        os.makedirs(f"{t}/origin/link/bin", exist_ok=True)
        os.symlink("../../real/bin/prog", f"{t}/origin/link/bin/prog")
        self.check("$ORIGIN of a program reached through a symlink is the symlink's directory",
                   f"{t}/origin/link/bin/prog", [VDSO64, f"liborigin.so => {t}/origin/link/bin/../lib/liborigin.so"])
        self.check("$ORIGIN of the same program by its real path", real_prog, [VDSO64, "liborigin.so => not found"],
                   status=1)
        symdep = self.lib("origin/libdir/liboridep.so")
        store = self.lib("origin/store/liborisym.so", needed=[symdep], runpath="$ORIGIN")
        os.symlink("../store/liborisym.so", f"{t}/origin/libdir/liborisym.so")
        prog = self.prog("origin/prog2", [store], runpath=f"{t}/origin/libdir")
        self.check("$ORIGIN of a library opened through a symlink is the symlink's directory", prog,
                   [VDSO64, f"liborisym.so => {t}/origin/libdir/liborisym.so",
                    f"liboridep.so => {t}/origin/libdir/liboridep.so"])

        # $LIB and $PLATFORM, bare and in braces.
        lib_dir = self.system_dirs()[0].lstrip("/") if self.system_dirs() else "lib"
        platform = self.platform()
        dst_lib = self.lib(f"dst/{lib_dir}/libdstlib.so")
        dst_plat = self.lib(f"dst/{platform}/libdstplat.so")
        prog = self.prog("dst/prog", [dst_lib, dst_plat], rpath=f"{t}/dst/$LIB:{t}/dst/${{PLATFORM}}")
        self.check(f"$LIB ({lib_dir}) and ${{PLATFORM}} ({platform}) in RPATH", prog,
                   [VDSO64, f"libdstlib.so => {t}/dst/{lib_dir}/libdstlib.so",
                    f"libdstplat.so => {t}/dst/{platform}/libdstplat.so"])
        prog = self.prog("dst/prog-runpath", [dst_lib, dst_plat], runpath=f"{t}/dst/${{LIB}}:{t}/dst/$PLATFORM")
        self.check("${LIB} and $PLATFORM in RUNPATH", prog,
                   [VDSO64, f"libdstlib.so => {t}/dst/{lib_dir}/libdstlib.so",
                    f"libdstplat.so => {t}/dst/{platform}/libdstplat.so"])

        # DF_1_NODEFLIB: no cache, no system directories for the requester's DT_NEEDED; its libraries search as usual.
        # GNU ld 2.40 and lld ignore -z nodeflib here ("warning: -z nodeflib ignored"), so patchelf sets the flag.
        libm = "/lib/x86_64-linux-gnu/libm.so.6"
        if os.path.exists(libm):
            prog = self.prog("nodeflib/prog", [libm])
            self.patchelf(["--no-default-lib", prog])
            self.check("NODEFLIB: the cache and system directories are not searched", prog,
                       [VDSO64, "libm.so.6 => not found"], status=1)
            self.check("NODEFLIB: LD_LIBRARY_PATH still is", prog,
                       [VDSO64, f"libm.so.6 => {libm}", "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6", LD64],
                       env={"LD_LIBRARY_PATH": "/lib/x86_64-linux-gnu"})
            nd = self.lib("nodeflib/libnd.so", needed=[libm])
            self.patchelf(["--no-default-lib", nd])
            prog = self.prog("nodeflib/prog2", [nd], runpath=f"{t}/nodeflib")
            self.check("NODEFLIB of a library applies to its own DT_NEEDED", prog,
                       [VDSO64, f"libnd.so => {t}/nodeflib/libnd.so", "libm.so.6 => not found"], status=1)

        # A DT_NEEDED with a '/' is opened as it is, and a later request for its SONAME reuses it.
        slash = self.lib("slash/d/libslash.so.1")
        user = self.lib("slash/user/libslashuser.so", needed=[slash])
        os.unlink(slash)
        slash = self.lib("slash/d/libslash.so.1")  # rebuilt: same file, kept where only the '/' name reaches it
        prog = self.prog("slash/prog", [slash, user], runpath=f"{t}/slash/user")
        self.patchelf(["--replace-needed", "libslash.so.1", slash, prog])
        self.check("a '/' DT_NEEDED is opened as is and reused by its SONAME later", prog,
                   [VDSO64, slash, f"libslashuser.so => {t}/slash/user/libslashuser.so"])

        # A candidate of the wrong class or machine is skipped and the search goes on.
        self.lib("wrong/c32/libwrong.so", compiler="gcc", flags=["-m32"])
        aarch64_lib = "/usr/aarch64-linux-gnu/lib/libm.so.6"
        os.makedirs(f"{t}/wrong/arm", exist_ok=True)
        if os.path.exists(aarch64_lib):
            shutil.copy(aarch64_lib, f"{t}/wrong/arm/libwrong.so")
        good = self.lib("wrong/c64/libwrong.so")
        prog = self.prog("wrong/prog", [good])
        self.check("wrong-class and wrong-machine candidates are skipped", prog,
                   [VDSO64, f"libwrong.so => {t}/wrong/c64/libwrong.so"],
                   env={"LD_LIBRARY_PATH": f"{t}/wrong/c32:{t}/wrong/arm:{t}/wrong/c64"})
        code, out, _ = run([self.elfrun, "deps", "--format", "json", prog],
                           env=clean_env({"LD_LIBRARY_PATH": f"{t}/wrong/c32:{t}/wrong/arm:{t}/wrong/c64"}))
        rejected = []
        try:
            for obj in json.loads(out)[0]["objects"]:
                rejected += [(r["path"], r["reason"]) for r in obj.get("rejected", [])]
        except (ValueError, KeyError, IndexError) as error:
            self.fail(f"--format json: {error}")
        self.assert_true("the JSON names the rejected candidates and why",
                         any(p == f"{t}/wrong/c32/libwrong.so" and "class" in r.lower() for p, r in rejected)
                         and (not os.path.exists(aarch64_lib) or
                              any(p == f"{t}/wrong/arm/libwrong.so" and "machine" in r.lower() for p, r in rejected)),
                         f"rejected: {rejected}")
        # The same from the i386 side: a 64-bit candidate first.
        lib32 = self.lib("wrong32/c32/libwrong32.so", flags=["-m32"])
        self.lib("wrong32/c64/libwrong32.so")
        prog32 = self.prog("wrong32/prog", [lib32], flags=["-m32"])
        self.check("i386: a 64-bit candidate is skipped", prog32,
                   [VDSO32, f"libwrong32.so => {t}/wrong32/c32/libwrong32.so"], loader=LD32,
                   env={"LD_LIBRARY_PATH": f"{t}/wrong32/c64:{t}/wrong32/c32"})

        # A garbage file or a byte-swapped ELF first on the path stops the loader, with its own message.
        good = self.lib("fatal/good/libfatal.so")
        prog = self.prog("fatal/prog", [good])
        with open(self.path("fatal/garbage/libfatal.so"), "w") as f:
            f.write("this is not an ELF file, just text that is long enough to fill an ELF header\n" * 4)
        with open(self.path("fatal/short/libfatal.so"), "w") as f:
            f.write("short\n")
        s390x_lib = "/usr/s390x-linux-gnu/lib/libm.so.6"
        os.makedirs(f"{t}/fatal/directory/libfatal.so", exist_ok=True)
        for kind, message in (("garbage", "invalid ELF header"), ("short", "file too short"),
                              ("directory", "cannot read file data: Error 21")):
            self.check(f"a {kind} file first on the path is fatal", prog, [],
                       env={"LD_LIBRARY_PATH": f"{t}/fatal/{kind}:{t}/fatal/good"}, status=1,
                       stderr=[f"{prog}: error while loading shared libraries: {t}/fatal/{kind}/libfatal.so: "
                               f"{message}"])
        # A library whose header says big-endian but whose e_machine still reads as x86-64 (EI_DATA flipped).
        with open(good, "rb") as f:
            swapped = bytearray(f.read())
        swapped[5] = 2  # EI_DATA = ELFDATA2MSB
        with open(self.path("fatal/swapped/libfatal.so"), "wb") as f:
            f.write(swapped)
        self.check("an ELF of the wrong byte order first on the path is fatal", prog, [],
                   env={"LD_LIBRARY_PATH": f"{t}/fatal/swapped:{t}/fatal/good"}, status=1,
                   stderr=[f"{prog}: error while loading shared libraries: {t}/fatal/swapped/libfatal.so: "
                           "ELF file data encoding not little-endian"])
        # A real big-endian library (s390x): its e_machine, read little-endian, is not x86-64, and Debian 12's
        # ld.so skips it as a wrong machine before it looks at the byte order.
        if os.path.exists(s390x_lib):
            os.makedirs(f"{t}/fatal/s390x", exist_ok=True)
            shutil.copy(s390x_lib, f"{t}/fatal/s390x/libfatal.so")
            self.check("a big-endian s390x library first on the path is skipped (Debian 12's ld.so)", prog,
                       [VDSO64, f"libfatal.so => {t}/fatal/good/libfatal.so"],
                       env={"LD_LIBRARY_PATH": f"{t}/fatal/s390x:{t}/fatal/good"})

        # glibc-hwcaps: a copy in glibc-hwcaps/x86-64-v2 is preferred when the CPU has v2.
        plain = self.lib("hwcaps/libhw.so")
        v2 = self.lib("hwcaps/glibc-hwcaps/x86-64-v2/libhw.so")
        prog = self.prog("hwcaps/prog", [plain])
        chosen = v2 if self.hwcaps_supported("x86-64-v2") else plain
        self.check(f"glibc-hwcaps/x86-64-v2 copy ({'supported' if chosen == v2 else 'not supported'} here)", prog,
                   [VDSO64, f"libhw.so => {chosen}"], env={"LD_LIBRARY_PATH": f"{t}/hwcaps"})
        self.check("--hwcaps none: no glibc-hwcaps subdirectory (a foreign root's default)", prog,
                   [VDSO64, f"libhw.so => {plain}"], env={"LD_LIBRARY_PATH": f"{t}/hwcaps"},
                   loader_options=["--glibc-hwcaps-mask", "none"], elfrun_options=["--hwcaps", "none"])

        # An empty path element is the current directory: the loader opens the bare name, relative to the current
        # directory, and lists it by that name alone. ';' separates LD_LIBRARY_PATH elements too.
        self.lib("empty/cwd/libempty.so")
        prog = self.prog("empty/prog", [f"{t}/empty/cwd/libempty.so"])
        for value in (f"{t}/empty/none::{t}/empty/none2", f":{t}/empty/none", f"{t}/empty/none;;{t}/empty/x"):
            self.check(f"an empty element in LD_LIBRARY_PATH={value!r} is the current directory", prog,
                       [VDSO64, "libempty.so"], env={"LD_LIBRARY_PATH": value}, cwd=f"{t}/empty/cwd")
        prog = self.prog("empty/prog-runpath", [f"{t}/empty/cwd/libempty.so"], runpath=f"{t}/empty/none:")
        self.check("an empty element in RUNPATH is the current directory", prog,
                   [VDSO64, "libempty.so"], cwd=f"{t}/empty/cwd")
        self.check("LD_LIBRARY_PATH with ';'", prog, [VDSO64, f"libempty.so => {t}/empty/cwd/libempty.so"],
                   env={"LD_LIBRARY_PATH": f"{t}/empty/none;{t}/empty/cwd"})

        # Preload order: LD_PRELOAD first, then --preload, then the DT_NEEDED in breadth-first order.
        for n in (1, 2, 3):
            self.lib(f"preload/libpre{n}.so")
        need = self.lib("preload/libpreneed.so")
        prog = self.prog("preload/prog", [need])
        env = {"LD_LIBRARY_PATH": f"{t}/preload", "LD_PRELOAD": "libpre3.so"}
        self.check("preload order: LD_PRELOAD, then --preload, then DT_NEEDED", prog,
                   [VDSO64, f"libpre3.so => {t}/preload/libpre3.so", f"libpre1.so => {t}/preload/libpre1.so",
                    f"libpre2.so => {t}/preload/libpre2.so", f"libpreneed.so => {t}/preload/libpreneed.so"],
                   env=env, loader_options=["--preload", "libpre1.so:libpre2.so"],
                   elfrun_options=["--preload", "libpre1.so:libpre2.so"])
        self.check("a preloaded DT_NEEDED library is loaded once, where the preload put it", prog,
                   [VDSO64, f"libpreneed.so => {t}/preload/libpreneed.so", f"libpre1.so => {t}/preload/libpre1.so"],
                   env={"LD_LIBRARY_PATH": f"{t}/preload", "LD_PRELOAD": f"libpreneed.so libpre1.so"})

        # A cycle: libcyca needs libcycb, which needs libcyca.
        cyca = self.lib("cycle/libcyca.so")
        cycb = self.lib("cycle/libcycb.so", needed=[cyca])
        cyca = self.lib("cycle/libcyca.so", needed=[cycb])
        prog = self.prog("cycle/prog", [cyca], rpath=f"{t}/cycle")
        self.check("a dependency cycle ends", prog,
                   [VDSO64, f"libcyca.so => {t}/cycle/libcyca.so", f"libcycb.so => {t}/cycle/libcycb.so"])

        # Breadth-first order, with libc and the loader itself (the loader's line goes after its requester).
        bfa2 = self.lib("bfs/libbfa2.so", libc=True)
        bfa = self.lib("bfs/libbfa.so", needed=[bfa2], libc=True)
        bfb = self.lib("bfs/libbfb.so", libc=True)
        prog = self.prog("bfs/prog", [bfa, bfb], rpath=f"{t}/bfs", libc=True)
        self.check("breadth-first order with libc", prog,
                   [VDSO64, f"libbfa.so => {t}/bfs/libbfa.so", f"libbfb.so => {t}/bfs/libbfb.so",
                    "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6", f"libbfa2.so => {t}/bfs/libbfa2.so", LD64])

    # ================================================================ musl
    def musl(self):
        t = self.t
        b = self.lib("musl/b/libmb.so", compiler="musl-gcc", libc=True)
        b2 = self.lib("musl/r/libmb.so", compiler="musl-gcc", libc=True)
        a = self.lib("musl/r/libma.so", needed=[b2], compiler="musl-gcc", libc=True)
        prog = self.prog("musl/prog", [a], runpath=f"{t}/musl/r", compiler="musl-gcc", libc=True)
        self.check("musl: RUNPATH of the program serves its libraries too", prog,
                   [MUSL, f"libma.so => {t}/musl/r/libma.so", f"libc.so => {MUSL}",
                    f"libmb.so => {t}/musl/r/libmb.so"], loader=MUSL)
        self.check("musl: LD_LIBRARY_PATH comes first", prog,
                   [MUSL, f"libma.so => {t}/musl/r/libma.so", f"libc.so => {MUSL}",
                    f"libmb.so => {t}/musl/b/libmb.so"], loader=MUSL, env={"LD_LIBRARY_PATH": f"{t}/musl/b"})
        prog = self.prog("musl/prog-missing", [a], compiler="musl-gcc", libc=True)
        self.check("musl: a missing library", prog, [MUSL, f"libc.so => {MUSL}"], loader=MUSL, status=1,
                   stderr=[f"Error loading shared library libma.so: No such file or directory (needed by {prog})"],
                   stderr_prefix_only=True)
        prog = self.prog("musl/prog-sys", [], compiler="musl-gcc", libc=True)
        self.check("musl: a program that needs only libc", prog, [MUSL, f"libc.so => {MUSL}"], loader=MUSL)

    # ================================================================ formats and exit statuses
    def formats(self):
        t = self.t
        found = self.lib("fmt/lib/libfmtok.so")
        missing = self.lib("fmt/gone/libfmtgone.so")
        prog = self.prog("fmt/prog", [found, missing], runpath=f"{t}/fmt/lib")
        os.unlink(missing)
        code, out, err = run([self.elfrun, "deps", "--format", "json", prog], env=clean_env())
        try:
            document = json.loads(out)
            entry = document[0]
            keys_ok = {"file", "loader", "objects", "edges", "problems"} <= set(entry)
            loader_ok = {"path", "found", "flavour", "version", "system_dirs"} <= set(entry["loader"])
            object_keys = {"name", "path", "host_path", "soname", "found_by", "search", "class", "machine", "tried",
                           "rejected", "requested_by"}
            names = {o["name"]: o for o in entry["objects"]}
            objects_ok = all(object_keys <= set(o) for o in entry["objects"] if o["found_by"] not in
                             ("not-found", "vdso"))
            self.assert_true("--format json is valid JSON with its keys", keys_ok and loader_ok and objects_ok,
                             f"keys: {sorted(entry)}, loader: {sorted(entry['loader'])}")
            self.assert_true("--format json: how each library was found",
                             names["libfmtok.so"]["path"] == f"{t}/fmt/lib/libfmtok.so"
                             and names["libfmtok.so"]["search"] == "runpath"
                             and names["libfmtgone.so"]["found_by"] == "not-found"
                             and any("libfmtgone.so" in p for p in entry["problems"])
                             and entry["loader"]["flavour"] == "glibc" and entry["loader"]["path"] == LD64,
                             json.dumps(entry, indent=1)[:3000])
            self.assert_true("--format json exits 1 when a library is missing", code == 1, f"status {code}")
        except (ValueError, KeyError, IndexError, TypeError) as error:
            self.fail(f"--format json: {error}: {out[:2000]} {err}")

        code, out, err = run([self.elfrun, "deps", "--format", "dot", prog], env=clean_env())
        dot = shutil.which("dot")
        if dot:
            done = subprocess.run([dot, "-Tsvg"], input=out.encode(), capture_output=True)
            self.assert_true("--format dot is read by Graphviz's dot", done.returncode == 0 and b"<svg" in done.stdout,
                             done.stderr.decode()[:2000])
        # Without Graphviz, a syntax check of what elfrun writes: one digraph, node and edge statements, every
        # edge between declared nodes, the missing library in red.
        lines = out.strip().splitlines()
        nodes = set(re.findall(r"^\s*(n\d+) \[label=", out, re.M))
        edges = re.findall(r"^\s*(n\d+) -> (n\d+)", out, re.M)
        statement = re.compile(r'^\s*(rankdir=LR;|node \[.*\];|n\d+ \[label="([^"\\]|\\.)*"(, [a-z]+=[a-z]+)*\];|'
                               r'n\d+ -> n\d+( \[color=red\])?;)$')
        bad = [line for line in lines[1:-1] if not statement.match(line)]
        self.assert_true("--format dot: a well-formed digraph",
                         code == 1 and lines and lines[0].startswith("digraph ") and lines[-1] == "}" and not bad
                         and edges and all(a in nodes and b in nodes for a, b in edges)
                         and re.search(r'label="libfmtgone.so".*color=red', out) is not None,
                         f"status {code}; unexpected lines: {bad}\n{out}")

        # Exit statuses: 0 all found, 1 something missing or fatal, 2 a file that cannot be read or a usage error.
        ok = self.prog("fmt/prog-ok", [found], runpath=f"{t}/fmt/lib")
        with open(self.path("fmt/garbage/libfmtok.so"), "w") as f:
            f.write("this is not an ELF file, just text that is long enough to fill an ELF header\n" * 4)
        text = self.path("fmt/notes.txt")
        with open(text, "w") as f:
            f.write("plain text, not ELF\n")
        for title, command, expected in (
                ("exit 0 when everything is found", [ok], 0),
                ("exit 1 when a library is missing", [prog], 1),
                ("exit 1 when the loader would stop (garbage on the path)", ["--library-path", f"{t}/fmt/garbage", ok],
                 1),
                ("exit 2 when the file does not exist", [f"{t}/fmt/no-such-file"], 2),
                ("exit 2 when the file is not ELF", [text], 2),
                ("exit 2 for a directory", [f"{t}/fmt"], 2),
                ("exit 2 for an unknown --format", ["--format", "xml", ok], 2),
                ("exit 2 without a FILE", [], 2)):
            for fmt in ("tree", "ldd", "list", "json"):
                if "--format" in command and fmt != "tree":
                    continue
                options = ["--format", fmt] if "--format" not in command else []
                code, out, err = run([self.elfrun, "deps"] + options + command, env=clean_env())
                self.assert_true(f"{title} (--format {fmt})" if options else title, code == expected,
                                 f"status {code}, expected {expected}; stderr: {err.strip()[:500]}")
                if expected == 2 and command and "--format" not in command:
                    self.assert_true(f"{title}: the error names the file (--format {fmt})",
                                     command[-1] in err and err.startswith("elfrun: "), f"stderr: {err!r}")
                if "--format" in command or not command:
                    break


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elfrun", required=True)
    parser.add_argument("--group", action="append", choices=["glibc", "musl", "formats"])
    parser.add_argument("--keep", action="store_true", help="keep the fixtures directory")
    args = parser.parse_args()
    groups = args.group or ["glibc", "musl", "formats"]

    needs = {"glibc": ["gcc", "patchelf", LD64, LD32], "musl": ["musl-gcc", MUSL], "formats": ["gcc", LD64]}
    for group in groups:
        for tool in needs[group]:
            if not (shutil.which(tool) or os.access(tool, os.X_OK)):
                print(f"skipped: {tool} is not installed (scripts/bootstrap installs it)")
                return 1 if os.environ.get("CI") == "true" else 77

    top = tempfile.mkdtemp(prefix="elfrun-deps-scenarios-")
    scenarios = Scenarios(os.path.abspath(args.elfrun), top)
    try:
        for group in groups:
            getattr(scenarios, group)()
    except RuntimeError as error:
        print(f"FAIL: cannot build a fixture: {error}")
        scenarios.failures += 1
    finally:
        if args.keep or scenarios.failures:
            print(f"fixtures kept in {top}")
        else:
            shutil.rmtree(top, ignore_errors=True)
    print(f"deps scenarios: {scenarios.passes} passed, {scenarios.failures} failed")
    return 1 if scenarios.failures else 0


if __name__ == "__main__":
    sys.exit(main())
