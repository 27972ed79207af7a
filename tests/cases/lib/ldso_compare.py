#!/usr/bin/python3
"""Differential test of `elfrun deps --format ldd` against the real loader's `--list`, file by file.

Finds every dynamically linked ELF file (a PT_DYNAMIC segment) of the given directories that the loader under test
serves (its class and machine), asks the loader once per file (`LOADER --list FILE`, through chroot or qemu-user for a
root), asks elfrun once per batch of files (`elfrun deps [--root ROOT] --format ldd F1 F2 ...`, which prints a
"F:" line before each, as ldd does), and compares line for line after removing the load addresses " (0x...)".
Where the loader fails (non-zero status or anything on stderr) elfrun is run again on that file alone and the stderr
messages are compared too (elfrun's "elfrun: " prefix removed). Prints the counts of each set and every difference as
a unified diff; exits 1 when any file differs or a command cannot be run, 0 when all agree.

Used by tests/cases/deps_vs_ldso_*.sh; each case says which loader, root and directories.
"""

import argparse
import concurrent.futures
import difflib
import os
import re
import struct
import subprocess
import sys

ADDRESS = re.compile(r" \(0x[0-9a-fA-F]+\)$")
PT_DYNAMIC = 2
PT_INTERP = 3
RELOCATING = re.compile(r"^Error relocating .*: symbol not found$")
MISSING = re.compile(r"error while loading shared libraries: .*: cannot open shared object file")


def elf_facts(path):
    """(class, data, machine, has_dynamic, interpreter) of an ELF file, or None for anything else."""
    try:
        with open(path, "rb") as f:
            header = f.read(64)
            if len(header) < 52 or header[:4] != b"\x7fELF" or header[4] not in (1, 2) or header[5] not in (1, 2):
                return None
            elf_class, data = header[4], header[5]
            order = "<" if data == 1 else ">"
            machine = struct.unpack_from(order + "H", header, 18)[0]
            if elf_class == 2:
                if len(header) < 64:
                    return None
                phoff, = struct.unpack_from(order + "Q", header, 32)
                phentsize, phnum = struct.unpack_from(order + "HH", header, 54)
            else:
                phoff, = struct.unpack_from(order + "I", header, 28)
                phentsize, phnum = struct.unpack_from(order + "HH", header, 42)
            if phnum == 0 or phentsize < (56 if elf_class == 2 else 32) or phnum > 4096:
                return (elf_class, data, machine, False, None)
            f.seek(phoff)
            table = f.read(phentsize * phnum)
            has_dynamic, interpreter = False, None
            for i in range(min(phnum, len(table) // phentsize)):
                entry = table[i * phentsize:(i + 1) * phentsize]
                p_type, = struct.unpack_from(order + "I", entry, 0)
                if p_type == PT_DYNAMIC:
                    has_dynamic = True
                elif p_type == PT_INTERP:
                    if elf_class == 2:
                        offset, = struct.unpack_from(order + "Q", entry, 8)
                        size, = struct.unpack_from(order + "Q", entry, 32)
                    else:
                        offset, = struct.unpack_from(order + "I", entry, 4)
                        size, = struct.unpack_from(order + "I", entry, 16)
                    if 0 < size < 4096:
                        f.seek(offset)
                        interpreter = f.read(size).split(b"\0")[0].decode("utf-8", "replace")
            return (elf_class, data, machine, has_dynamic, interpreter)
    except OSError:
        return None


def collect(directories, elf_class, machine):
    """Regular files (not symlinks: each file once) that are dynamic ELF files of the class and machine."""
    chosen, other = [], 0
    for top in directories:
        if not os.path.isdir(top):
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                if os.path.islink(path) or not os.path.isfile(path):
                    continue
                facts = elf_facts(path)
                if facts is None or not facts[3]:
                    continue
                if facts[0] != elf_class or facts[2] != machine:
                    other += 1
                    continue
                chosen.append((path, facts[4]))
    return chosen, other


def clean_env():
    env = dict(os.environ)
    for name in ("LD_LIBRARY_PATH", "LD_PRELOAD", "LD_AUDIT", "LD_DEBUG", "LD_BIND_NOW", "LD_WARN",
                 "LD_TRACE_LOADED_OBJECTS", "QEMU_LD_PREFIX", "GLIBC_TUNABLES"):
        env.pop(name, None)
    env["LC_ALL"] = "C"
    return env


def strip_addresses(text):
    return [ADDRESS.sub("", line) for line in text.splitlines()]


class Comparison:
    def __init__(self, args):
        self.args = args
        self.root = args.root.rstrip("/") if args.root else ""
        self.env = clean_env()
        self.relocating = {}
        for setting in args.env:
            name, _, value = setting.partition("=")
            self.env[name] = value

    def inside(self, host_path):
        """The path as seen inside the root."""
        if self.root and host_path.startswith(self.root + "/"):
            return host_path[len(self.root):]
        return host_path

    def loader_command(self, host_path, interpreter, template=None):
        interp = interpreter or self.args.default_loader
        values = {"root": self.root or "/", "file": self.inside(host_path), "interp": interp,
                  "host_interp": (self.root + interp) if self.root else interp}
        return [part.format(**values) for part in (template or self.args.loader_command).split()]

    def normalise_truth(self, lines):
        result = []
        for line in lines:
            # qemu-user's own vdso has no SONAME: the loader prints it as a tab and nothing else. It belongs to the
            # emulator, not to the root (and differs between qemu versions), so it is not part of the comparison.
            if self.args.drop_nameless_vdso and line == "\t":
                continue
            # A loader invoked by its host path (qemu-user cannot enter a root for the program it starts) names
            # itself by that path; inside the root it is the PT_INTERP path.
            if self.root and self.args.root_paths_inside:
                # Inside the root the loader would have been started by that path, its l_name and its name in
                # the list would be the same, and elf/rtld.c prints "\tNAME" then instead of "\tNAME => PATH".
                rewritten = re.sub(r"(^\t|=> )" + re.escape(self.root) + "/", r"\1/", line)
                if rewritten != line:
                    name, arrow, path = rewritten.partition(" => ")
                    line = name if arrow and name == "\t" + path else rewritten
            result.append(line)
        return result

    def run_loader(self, item):
        host_path, interpreter = item
        command = self.loader_command(host_path, interpreter)
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, env=self.env,
                                  timeout=self.args.timeout)
        except (OSError, subprocess.TimeoutExpired) as error:
            return host_path, None, [f"cannot run {' '.join(command)}: {error}"], 255, False
        traced = False
        if done.returncode != 0 and MISSING.search(done.stderr.decode("utf-8", "replace")):
            # `ld.so --list` stops at the first library it cannot find (elf/rtld.c: --list sets rtld_mode_list,
            # and elf/dl-load.c fakes a "not found" entry only in rtld_mode_trace). ldd runs the loader in trace
            # mode (LD_TRACE_LOADED_OBJECTS=1, no --list) to get the whole list with "=> not found" lines, and that
            # is what --format ldd prints: the loader in trace mode is the judge of these files.
            # The variable must reach the loader under test, not a wrapper: a dynamically linked chroot or qemu
            # would be traced by the host's loader instead (and print its own libraries). --trace-command puts it
            # inside (chroot ROOT /usr/bin/env LD_TRACE_LOADED_OBJECTS=1 ..., qemu -E ...).
            if self.args.trace_command:
                command = self.loader_command(host_path, interpreter, self.args.trace_command)
                env = self.env
            else:
                command = [part for part in command if part != "--list"]
                env = dict(self.env, LD_TRACE_LOADED_OBJECTS="1")
            try:
                done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, env=env,
                                      timeout=self.args.timeout)
            except (OSError, subprocess.TimeoutExpired) as error:
                return host_path, None, [f"cannot run {' '.join(command)}: {error}"], 255, True
            traced = True
        stdout = self.normalise_truth(strip_addresses(done.stdout.decode("utf-8", "replace")))
        stderr = strip_addresses(done.stderr.decode("utf-8", "replace"))
        status = done.returncode
        relocating = 0
        if self.args.musl_relocation_rule:
            # The named exception "musl-relocates": musl's --list goes on to relocate (ldso/dynlink.c runs
            # reloc_all before its ldd mode exits) and reports each undefined symbol no loaded object defines as
            # "Error relocating FILE: SYMBOL: symbol not found", then exits 127. For a .node module these are the
            # napi_* functions node itself defines when it loads the module. `deps` lists libraries and does not
            # judge symbols (`why` does): those lines are left out, and without any other error the status is 0.
            kept = [line for line in stderr if not RELOCATING.match(line)]
            relocating = len(stderr) - len(kept)
            if relocating:
                stderr = kept
                if status == 127 and not any(line.startswith("Error loading shared library") for line in kept):
                    status = 0
        self.relocating[host_path] = relocating
        if self.root and self.args.root_paths_inside:
            stderr = [line.replace(self.root + "/", "/") for line in stderr]
        return host_path, stdout, stderr, status, traced

    def elfrun_command(self, files):
        command = [self.args.elfrun, "deps"]
        if self.root:
            command += ["--root", self.root]
        return command + ["--format", "ldd", "--"] + files

    def run_elfrun_batch(self, files):
        """{file: stdout lines} for a batch, parsed at the "FILE:" headers (lines without a leading tab)."""
        command = self.elfrun_command(files)
        try:
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, env=self.env,
                                  timeout=self.args.timeout * 20)
        except (OSError, subprocess.TimeoutExpired) as error:
            return {}, f"cannot run elfrun on a batch of {len(files)} files: {error}"
        if done.returncode not in (0, 1, 2):
            return {}, (f"elfrun exited with status {done.returncode} on a batch starting at {files[0]}:\n"
                        + done.stderr.decode("utf-8", "replace")[-2000:])
        results, current = {}, None
        expected = set(files)
        lines = done.stdout.decode("utf-8", "replace").splitlines()
        if len(files) == 1:
            return {files[0]: lines}, None
        for line in lines:
            if not line.startswith("\t") and line.endswith(":") and line[:-1] in expected:
                current = line[:-1]
                results[current] = []
            elif current is not None:
                results[current].append(line)
        return results, None

    def run_elfrun_single(self, host_path):
        command = self.elfrun_command([host_path])
        done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, env=self.env,
                              timeout=self.args.timeout * 5)
        stdout = done.stdout.decode("utf-8", "replace").splitlines()
        stderr = [line[len("elfrun: "):] if line.startswith("elfrun: ") else line
                  for line in done.stderr.decode("utf-8", "replace").splitlines()]
        return stdout, stderr, done.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elfrun", required=True)
    parser.add_argument("--set", action="append", required=True, metavar="NAME=DIR[:DIR...]",
                        help="a set of directories whose files are counted together")
    parser.add_argument("--class", dest="elf_class", type=int, required=True, help="1 (ELFCLASS32) or 2 (ELFCLASS64)")
    parser.add_argument("--machine", type=int, required=True, help="e_machine of the files the loader serves")
    parser.add_argument("--loader-command", required=True,
                        help="the loader's command; {file} is the file (inside the root), {interp} its PT_INTERP "
                             "(or --default-loader), {host_interp} the same on this machine, {root} the root")
    parser.add_argument("--trace-command",
                        help="the loader's command in trace mode (the same placeholders), for a loader started "
                             "through chroot or qemu; default: --loader-command without --list, with "
                             "LD_TRACE_LOADED_OBJECTS=1 in its environment")
    parser.add_argument("--default-loader", required=True, help="the loader for files without PT_INTERP")
    parser.add_argument("--root", help="resolve with elfrun deps --root ROOT")
    parser.add_argument("--root-paths-inside", action="store_true",
                        help="rewrite ROOT/... in the loader's output to /... (a loader started by its host path)")
    parser.add_argument("--drop-nameless-vdso", action="store_true",
                        help="leave out qemu-user's nameless vdso line from the loader's output")
    parser.add_argument("--musl-relocation-rule", action="store_true",
                        help="leave musl --list's \"Error relocating ...: symbol not found\" lines out, and count "
                             "the files that had them (the named exception musl-relocates)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="set for both the loader and elfrun (LD_LIBRARY_PATH, LD_PRELOAD...)")
    parser.add_argument("--jobs", type=int, default=max(2, os.cpu_count() or 2))
    parser.add_argument("--batch", type=int, default=400)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--min-files", type=int, default=1,
                        help="fail when a set has fewer files than this (a set that tests nothing is a defect)")
    args = parser.parse_args()

    comparison = Comparison(args)
    failed = False
    summaries = []
    for spec in args.set:
        name, _, dirs = spec.partition("=")
        files, other = collect([d for d in dirs.split(":") if d], args.elf_class, args.machine)
        paths = [path for path, _ in files]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            batches = [paths[i:i + args.batch] for i in range(0, len(paths), args.batch)]
            elfrun_futures = [pool.submit(comparison.run_elfrun_batch, batch) for batch in batches]
            truths = list(pool.map(comparison.run_loader, files))
            elfrun_out = {}
            for future in elfrun_futures:
                results, problem = future.result()
                if problem:
                    print(f"FAIL: {problem}")
                    failed = True
                elfrun_out.update(results)

        agreeing, differing, traced_count, by_rule = 0, 0, 0, 0
        for host_path, truth_out, truth_err, truth_status, traced in truths:
            traced_count += traced
            if truth_out is None:
                print(f"FAIL: {truth_err[0]}")
                differing += 1
                continue
            ours = elfrun_out.get(host_path)
            ours_err = []
            truth_all, ours_all = list(truth_out), list(ours or [])
            if truth_status != 0 or truth_err or ours is None or ours != truth_out:
                # Compare the whole story: stdout, then stderr, from a run on this file alone.
                # elfrun deps exits 1 when anything is missing or fatal, 0 when all is found.
                ours_single, ours_err, ours_status = comparison.run_elfrun_single(host_path)
                truth_verdict = 1 if truth_status != 0 or traced else 0
                truth_all = truth_out + ["[stderr]"] + truth_err + [f"[exit status {truth_verdict}]"]
                ours_all = ours_single + ["[stderr]"] + ours_err + [f"[exit status {ours_status}]"]
            if truth_all == ours_all:
                agreeing += 1
                if comparison.relocating.get(host_path):
                    by_rule += 1
                continue
            differing += 1
            shown = comparison.inside(host_path)
            diff = difflib.unified_diff(truth_all, ours_all, fromfile=f"loader --list {shown}",
                                        tofile=f"elfrun deps --format ldd {shown}", lineterm="")
            print("\n".join(diff))
        total = len(truths)
        percent = 100.0 * agreeing / total if total else 0.0
        summary = (f"{name}: {total} files, {agreeing} agreeing, {differing} differing ({percent:.2f}% agree)"
                   + (f"; {traced_count} with a missing library, judged by the loader's trace mode"
                      if traced_count else "")
                   + (f"; {other} dynamic ELF files of other classes or machines not compared" if other else "")
                   + (f"; {by_rule} of the agreeing ones only by the rule musl-relocates (undefined symbols "
                      "reported by musl --list left out)" if by_rule else ""))
        summaries.append(summary)
        if differing:
            failed = True
        if total < args.min_files:
            summaries.append(f"FAIL: {name}: only {total} files found (at least {args.min_files} expected)")
            failed = True
    print("\n".join(summaries))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
