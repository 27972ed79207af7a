#!/usr/bin/env python3
"""Compares `elfrun why` with the real loader, file by file.

usage: why_vs_loader.py ELFRUN LOADER FILE...

For each FILE (judged as if it were a program of this machine: the file where it is, its libraries from the host),
the truth is the host loader's own check, which is what `ldd -r` runs:
    LD_TRACE_LOADED_OBJECTS=1 LD_BIND_NOW=1 LD_WARN=yes LOADER FILE
It prints "NAME => not found" for a missing library, "...: version `V' not found (required by R)" for a missing
version and, once every library is there (it relocates nothing otherwise), "undefined symbol: S[, version V]\t(R)"
or "symbol S version V not defined in file F with link time reference\t(R)" for every symbol no object defines.
`elfrun why --json -v FILE` must name the same libraries, versions and symbols, and exit 1 when the loader reports
a missing library or version (0 when the loader reports nothing at all). `why --fast` is run too, to count the
programs only the symbol check finds.

Prints one line per disagreement, then the counts, as `key=value` lines; exits 1 when any file disagrees.
"""
import json
import os
import re
import subprocess
import sys
import time

VERSION = re.compile(r": version `([^']+)' not found \(required by (.+)\)$")
NOT_FOUND = re.compile(r"^\t(\S+) => not found$")
UNDEFINED = re.compile(r"^undefined symbol: ([^,\t]+)(?:, version (\S+))?\t\((.+)\)$")
NOT_DEFINED = re.compile(r"^symbol (\S+) version (\S+) not defined in file .* with link time reference\t\((.+)\)$")
WHY_SYMBOL = re.compile(r"^undefined symbol: ([^,]+?)(?:, version (\S+))? \((.+)\)$")
WHY_VERSIONS = re.compile(r": version `([^']+)' not found \(required by (.+?)\)(?:, nor (.+?))? — ")
WHY_LIBRARY = re.compile(r"(\S+) \(needed by .+\) is not found")


def loader_says(loader, path):
    env = dict(os.environ, LD_TRACE_LOADED_OBJECTS="1", LD_BIND_NOW="1", LD_WARN="yes")
    env.pop("LD_LIBRARY_PATH", None)
    env.pop("LD_PRELOAD", None)
    done = subprocess.run([loader, path], env=env, capture_output=True, text=True, errors="replace", timeout=60)
    libraries, versions, symbols = set(), set(), set()
    for line in (done.stdout + done.stderr).splitlines():
        if m := NOT_FOUND.match(line):
            libraries.add(m.group(1))
        elif m := VERSION.search(line):
            versions.add((m.group(1), m.group(2)))
        elif m := UNDEFINED.match(line):
            symbols.add((m.group(1), m.group(2) or "", m.group(3)))
        elif m := NOT_DEFINED.match(line):
            symbols.add((m.group(1), m.group(2), m.group(3)))
    static = "not a dynamic executable" in done.stdout + done.stderr or "statically linked" in done.stdout
    return libraries, versions, symbols, static


def why_says(elfrun, path, fast=False):
    argv = [elfrun, "why", "--json", "-v"] + (["--fast"] if fast else []) + [path]
    done = subprocess.run(argv, capture_output=True, text=True, errors="replace", timeout=120)
    libraries, versions, symbols = set(), set(), set()
    try:
        diagnosis = json.loads(done.stdout)
    except ValueError:
        return done.returncode, libraries, versions, symbols
    for finding in diagnosis["findings"]:
        if finding["code"] == "library-missing" and (m := WHY_LIBRARY.search(finding["verdict"])):
            libraries.add(m.group(1))
        elif finding["code"] == "version-missing" and (m := WHY_VERSIONS.search(finding["verdict"])):
            # "...: version `V' not found (required by R), nor V2, V3 — ...": one finding per library.
            for version in [m.group(1)] + (m.group(3).split(", ") if m.group(3) else []):
                versions.add((version, m.group(2)))
        elif finding["code"] == "symbol-undefined":
            for line in finding["evidence"] + finding["details"]:
                if m := WHY_SYMBOL.match(line):
                    symbols.add((m.group(1), m.group(2) or "", m.group(3)))
    return done.returncode, libraries, versions, symbols


def main():
    elfrun, loader, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    counts = dict(files=0, agree=0, differ=0, loader_blocks=0, why_exit1=0, fast_exit1=0, only_symbols_find=0,
                  loader_symbols_only=0)
    seconds = dict(why=0.0, fast=0.0)
    for path in files:
        counts["files"] += 1
        libraries, versions, symbols, static = loader_says(loader, path)
        start = time.monotonic()
        status, why_libraries, why_versions, why_symbols = why_says(elfrun, path)
        seconds["why"] += time.monotonic() - start
        start = time.monotonic()
        fast_status = why_says(elfrun, path, fast=True)[0]
        seconds["fast"] += time.monotonic() - start
        blocks = bool(libraries or versions)
        counts["loader_blocks"] += blocks
        counts["loader_symbols_only"] += bool(symbols) and not blocks
        counts["why_exit1"] += status == 1
        counts["fast_exit1"] += fast_status == 1
        counts["only_symbols_find"] += status == 1 and fast_status == 0
        problems = []
        if status not in (0, 1):
            problems.append(f"why exited {status}")
        if libraries != why_libraries:
            problems.append(f"libraries: loader {sorted(libraries)}, why {sorted(why_libraries)}")
        if versions != why_versions:
            problems.append(f"versions: loader {sorted(versions)}, why {sorted(why_versions)}")
        if symbols != why_symbols:
            problems.append(f"symbols: loader only {sorted(symbols - why_symbols)[:5]}, "
                            f"why only {sorted(why_symbols - symbols)[:5]}")
        if blocks and status != 1:
            problems.append(f"the loader stops, why exits {status}")
        if not (blocks or symbols) and status != 0 and not static:
            problems.append(f"the loader reports nothing, why exits {status}")
        if problems:
            counts["differ"] += 1
            print(f"DIFFER {path}: " + "; ".join(problems))
        else:
            counts["agree"] += 1
    for key, value in counts.items():
        print(f"{key}={value}")
    for key, value in seconds.items():
        print(f"seconds_{key}={value:.2f}")
    return 1 if counts["differ"] else 0


if __name__ == "__main__":
    sys.exit(main())
