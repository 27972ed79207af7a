#!/usr/bin/env python3
"""`elfrun loaders` against an independent look at the machine (tests/cases/loaders_discovery.sh runs this).

The oracle: every file with a loader's name in the standard places (the directories the issue lists), which readelf
says is an ELF file without PT_INTERP and without DT_NEEDED, is a loader; its identity is (st_dev, st_ino) after
symlinks. Class, byte order and machine come from `readelf -h`; the version from running the loader itself (glibc's
`--version`, musl's banner), under qemu-user for foreign machines when qemu is installed.

Checked: the JSON parses and every entry has exactly the documented keys with the right types; every loader of the
oracle is listed exactly once (symlinked duplicates are one entry: each identity once, each path once, aliases of
an entry all the same file); class, byte order, machine, flavour, version and --argv0 agree with the oracle; a
cross root's loader has that root; each entry says where it came from: "standard place", "--search DIR" for a copy
planted under --search (two levels deep; a symlink planted there to the host loader is an alias, not an entry; a
non-ELF file with a loader's name is not listed), "config FILE" for a [[loader]] and a [[root]] of the
configuration. The text output names the same loaders with one "found:" line each.
"""
import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

LOADER_PATTERNS = ["ld-linux*.so.*", "ld64.so.*", "ld.so.1", "ld-musl-*.so.1", "ld-*.so", "ld-linux*.so"]
DOCUMENTED_KEYS = {
    "path": str, "aliases": list, "flavour": str, "version": str, "class": int, "byte_order": str, "machine": int,
    "machine_name": str, "abi": str, "system_dirs": list, "argv0": bool, "root": (str, type(None)),
    "library_dirs": list, "source": str, "needs_qemu": (str, type(None)),
}
# readelf -h "Machine:" text -> e_machine, for the machines of this machine's roots.
READELF_MACHINES = {
    "Advanced Micro Devices X86-64": 62, "Intel 80386": 3, "AArch64": 183, "ARM": 40, "RISC-V": 243,
    "IBM S/390": 22, "PowerPC64": 21,
}
QEMU = {62: None, 3: None, 183: "qemu-aarch64", 40: "qemu-arm", 243: "qemu-riscv64", 22: "qemu-s390x",
        21: "qemu-ppc64"}

failures = []


def fail(message):
    failures.append(message)
    print("FAIL: " + message)


def looks_like_loader(name):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in LOADER_PATTERNS)


def identity(path):
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


def readelf_facts(path):
    """(class, byte_order, machine, is_loader) from readelf, or None when it is not an ELF file."""
    header = subprocess.run(["readelf", "-hlWd", path], capture_output=True, text=True, errors="replace",
                            env=dict(os.environ, LC_ALL="C"))
    if "ELF Header:" not in header.stdout:
        return None
    text = header.stdout
    elf_class = 64 if re.search(r"Class:\s+ELF64", text) else 32
    byte_order = "big" if "big endian" in text else "little"
    machine_text = re.search(r"Machine:\s+(.*)", text).group(1).strip()
    machine = READELF_MACHINES.get(machine_text, -1)
    is_loader = not re.search(r"^\s+INTERP\s", text, re.M) and "(NEEDED)" not in text
    return elf_class, byte_order, machine, is_loader


def standard_directories():
    dirs = ["/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32"]
    for base in ["/lib", "/usr/lib"]:
        if os.path.isdir(base):
            dirs += [os.path.join(base, n) for n in sorted(os.listdir(base)) if "-linux-" in n]
    for name in sorted(os.listdir("/usr")):
        if "-linux" in name:
            dirs += ["/usr/%s/%s" % (name, lib) for lib in ["lib", "lib64", "lib32", "libx32"]]
    return [d for d in dirs if os.path.isdir(d)]


def loader_version(path, machine, root):
    """What the loader says its version is when run, or None when it cannot be run here."""
    command = [path, "--version"]
    if QEMU.get(machine):
        qemu = shutil.which(QEMU[machine])
        if not qemu:
            return None
        command = [qemu, "-L", root or "/", path, "--version"]
    elif machine not in QEMU:
        return None
    try:
        result = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=60)
    except OSError:
        return None
    said = result.stdout + result.stderr
    match = re.search(r"release version (\d+\.\d+)", said) or re.search(r"^Version (\S+)", said, re.M)
    return match.group(1) if match else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--elfrun", required=True)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="elfrun-loaders-")
    try:
        run_checks(args.elfrun, work)
    finally:
        if not failures:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print("(kept %s)" % work)
    print("loaders_check: %d failures" % len(failures))
    return 1 if failures else 0


def run_checks(elfrun, work):
    # The oracle over the standard places.
    expected = {}  # identity -> (path, facts)
    for directory in standard_directories():
        for name in sorted(os.listdir(directory)):
            path = os.path.join(directory, name)
            if not looks_like_loader(name) or not os.path.isfile(path):
                continue
            facts = readelf_facts(path)
            if facts and facts[3]:
                expected.setdefault(identity(path), (path, facts))
    if not any(facts[2] == 62 for _, facts in expected.values()):
        fail("the oracle found no x86-64 loader in the standard places: nothing to compare with")

    # Planted: a copy two levels under --search, a symlink to the host loader, a text file with a loader's name.
    host_loader = os.path.realpath("/lib64/ld-linux-x86-64.so.2")
    search = os.path.join(work, "search")
    os.makedirs(os.path.join(search, "a", "b"))
    planted_copy = os.path.join(search, "a", "b", "ld-linux-x86-64.so.2")
    shutil.copy(host_loader, planted_copy)
    planted_link = os.path.join(search, "ld-linux-x86-64.so.2")
    os.symlink("/lib64/ld-linux-x86-64.so.2", planted_link)
    with open(os.path.join(search, "a", "ld-linux-fake.so.1"), "w") as text:
        text.write("not a loader\n")
    # Configured: a [[loader]] (a musl or glibc copy) and a [[root]] holding a copy of a cross loader.
    configured_source = "/lib/ld-musl-x86_64.so.1" if os.path.exists("/lib/ld-musl-x86_64.so.1") else host_loader
    configured_dir = os.path.join(work, "configured")
    os.makedirs(configured_dir)
    configured = os.path.join(configured_dir, os.path.basename(configured_source))
    shutil.copy(os.path.realpath(configured_source), configured)
    root = os.path.join(work, "root")
    root_loader = None
    for candidate in ["/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1", "/lib/ld-linux.so.2"]:
        if os.path.exists(candidate):
            os.makedirs(os.path.join(root, "lib"))
            root_loader = os.path.join(root, "lib", os.path.basename(candidate))
            shutil.copy(os.path.realpath(candidate), root_loader)
            break
    config_dir = os.path.join(work, "config", "elfrun")
    os.makedirs(config_dir)
    config_file = os.path.join(config_dir, "config.toml")
    with open(config_file, "w") as out:
        out.write('[[loader]]\npath = "%s"\nlibrary_path = ["%s"]\n\n' % (configured, configured_dir))
        if root_loader:
            out.write('[[root]]\npath = "%s"\n' % root)
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(work, "config"), HOME=work, NO_COLOR="1")

    result = subprocess.run([elfrun, "loaders", "--json", "--search", search], capture_output=True, env=env)
    if result.returncode != 0:
        fail("elfrun loaders --json exited %d: %s" % (result.returncode, result.stderr.decode(errors="replace")))
        return
    try:
        entries = json.loads(result.stdout)
    except ValueError as error:
        fail("elfrun loaders --json is not valid JSON: %s" % error)
        return
    if not isinstance(entries, list):
        fail("elfrun loaders --json is not a list")
        return
    print("elfrun loaders --json: %d entries; oracle: %d loaders in the standard places" % (len(entries),
                                                                                          len(expected)))

    by_identity = {}
    seen_paths = set()
    for entry in entries:
        keys = set(entry)
        if keys != set(DOCUMENTED_KEYS):
            fail("entry %s: keys %s, documented %s" % (entry.get("path"), sorted(keys), sorted(DOCUMENTED_KEYS)))
            continue
        for key, kind in DOCUMENTED_KEYS.items():
            if not isinstance(entry[key], kind):
                fail("entry %s: %s is %r" % (entry["path"], key, entry[key]))
        # needs_qemu: the emulator a loader's programs go through on this kernel, null when it runs them itself.
        # A foreign machine always needs its qemu; x86-64 never; i386 only when the kernel refuses i386 (as the
        # ELFRUN_KERNEL_RUNS_I386 switch can force for tests).
        wanted_qemu = QEMU.get(entry["machine"])
        if entry["machine"] == 3:
            wanted_qemu = "qemu-i386" if os.environ.get("ELFRUN_KERNEL_RUNS_I386") == "0" else entry["needs_qemu"]
        if entry["machine"] in QEMU and entry["abi"] != "x32" and entry["needs_qemu"] != wanted_qemu:
            fail("entry %s: needs_qemu is %r, expected %r" % (entry["path"], entry["needs_qemu"], wanted_qemu))
        paths = [entry["path"]] + entry["aliases"]
        for path in paths:
            if path in seen_paths:
                fail("%s is listed twice" % path)
            seen_paths.add(path)
        identities = {identity(path) for path in paths}
        if len(identities) != 1:
            fail("entry %s: its aliases are not all the same file: %s" % (entry["path"], paths))
        file_id = identity(entry["path"])
        if file_id in by_identity:
            fail("%s and %s are the same file but two entries" % (by_identity[file_id]["path"], entry["path"]))
        by_identity[file_id] = entry
        if not entry["source"]:
            fail("entry %s does not say where it came from" % entry["path"])
        facts = readelf_facts(entry["path"])
        if not facts or not facts[3]:
            fail("entry %s is not a loader according to readelf" % entry["path"])
            continue
        elf_class, byte_order, machine, _ = facts
        if (entry["class"], entry["byte_order"], entry["machine"]) != (elf_class, byte_order, machine):
            fail("entry %s: class/byte order/machine %s/%s/%s, readelf says %s/%s/%s" % (
                entry["path"], entry["class"], entry["byte_order"], entry["machine"], elf_class, byte_order,
                machine))
        is_musl = any(os.path.basename(p).startswith("ld-musl-") for p in paths)
        if (entry["flavour"] == "musl") != is_musl:
            fail("entry %s: flavour %s" % (entry["path"], entry["flavour"]))
        version = loader_version(entry["path"], machine, entry["root"])
        if version is not None and version != entry["version"]:
            fail("entry %s: version %s, the loader itself says %s" % (entry["path"], entry["version"], version))
        if entry["flavour"] == "glibc" and version is not None:
            takes_argv0 = tuple(int(x) for x in version.split(".")[:2]) >= (2, 33)
            if entry["argv0"] != takes_argv0:
                fail("entry %s: argv0 %s for glibc %s" % (entry["path"], entry["argv0"], version))

    for file_id, (path, _) in sorted(expected.items(), key=lambda item: item[1][0]):
        entry = by_identity.get(file_id)
        if entry is None:
            fail("the loader %s is not listed" % path)
            continue
        if entry["source"] != "standard place":
            fail("%s: source %r, expected 'standard place'" % (path, entry["source"]))
        match = re.match(r"^(/usr/[^/]*-linux[^/]*)/lib[^/]*/", entry["path"])
        if match and entry["root"] != match.group(1):
            fail("%s: root %r, expected the cross root %s" % (entry["path"], entry["root"], match.group(1)))
        print("  %-55s %s %s %s-bit %s, %s" % (entry["path"], entry["flavour"], entry["version"], entry["class"],
                                              entry["abi"], entry["source"]))

    planted = by_identity.get(identity(planted_copy))
    if planted is None or planted["path"] != planted_copy:
        fail("the copy under --search (%s) is not listed as its own entry" % planted_copy)
    elif planted["source"] != "--search " + search:
        fail("the copy under --search: source %r" % planted["source"])
    host_entry = by_identity.get(identity(host_loader))
    if host_entry is None or planted_link not in host_entry["aliases"]:
        fail("the symlink under --search to the host loader is not an alias of its entry")
    if any("ld-linux-fake" in p for p in seen_paths):
        fail("a text file named like a loader is listed")
    configured_entry = by_identity.get(identity(configured))
    if configured_entry is None or configured_entry["source"] != "config " + config_file:
        fail("the [[loader]] of the configuration is not listed as from %s: %s" % (config_file, configured_entry))
    if root_loader:
        root_entry = by_identity.get(identity(root_loader))
        if root_entry is None or root_entry["source"] != "config " + config_file or root_entry["root"] != root:
            fail("the loader of the configured [[root]] %s is not listed with that root and source: %s" % (
                root, root_entry))

    text = subprocess.run([elfrun, "loaders", "--search", search], capture_output=True, env=env)
    lines = text.stdout.decode(errors="replace").splitlines()
    found_lines = [line for line in lines if line.startswith("    found: ")]
    if text.returncode != 0 or len(found_lines) != len(entries):
        fail("elfrun loaders (text): status %d, %d 'found:' lines for %d loaders" % (
            text.returncode, len(found_lines), len(entries)))
    for entry in entries:
        if not any(line.startswith(entry["path"] + "  ") for line in lines):
            fail("elfrun loaders (text) does not list %s" % entry["path"])


if __name__ == "__main__":
    sys.exit(main())
