#!/usr/bin/python3
"""Differential test of `elfrun info --json` against GNU readelf, the reference for the facts both report.

For every ELF file (by magic, symbolic links skipped: their targets are counted where they live) under the given
directories, runs `readelf -h -l -d -n --wide` and `elfrun info --json`, many files per call, and compares class,
byte order, machine, type, interpreter, needed, soname, rpath, runpath and build-id. Prints per directory the files
compared, agreeing and differing, then every disagreement with both values. Exit status 0 when all agree, 1 otherwise.

    info_vs_readelf.py --elfrun PATH [--jobs N] [--require-every-directory] DIR...
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys

# readelf's "Machine:" names (binutils/readelf.c get_machine_name) for the e_machine values a Linux system holds.
# A name missing here is reported as such, never silently accepted.
READELF_MACHINE_NAMES = {
    "Intel 80386": 3,
    "MIPS R3000": 8,
    "PowerPC": 20,
    "PowerPC64": 21,
    "IBM S/390": 22,
    "ARM": 40,
    "Renesas / SuperH SH": 42,
    "Sparc v9": 43,
    "Intel IA-64": 50,
    "Advanced Micro Devices X86-64": 62,
    "AArch64": 183,
    "RISC-V": 243,
    "Linux BPF": 247,
    "LoongArch": 258,
    "Alpha": 0x9026,
    "None": 0,
}

READELF_TYPES = {"NONE": 0, "REL": 1, "EXEC": 2, "DYN": 3, "CORE": 4}

FIELDS = ("class", "byte_order", "machine", "type", "interpreter", "needed", "soname", "rpath", "runpath", "build_id")

# Keeps each command line well under the kernel's argument limit.
BATCH_ARGUMENT_BYTES = 32_000
BATCH_TIMEOUT_SECONDS = 600


def is_elf(path):
    try:
        with open(path, "rb") as file:
            return file.read(4) == b"\x7fELF"
    except OSError:
        return False


def collect_files(directory):
    found = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            if not os.path.islink(path) and os.path.isfile(path) and is_elf(path):
                found.append(path)
    return found


def batches(paths):
    batch, size = [], 0
    for path in paths:
        if batch and size + len(path) + 1 > BATCH_ARGUMENT_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(path)
        size += len(path) + 1
    if batch:
        yield batch


def split_paths(value):
    """A DT_RPATH/DT_RUNPATH string as the JSON array of its ':'-separated entries."""
    return None if value is None else value.split(":")


def parse_readelf_one(text):
    """The facts of one file from its readelf -h -l -d -n --wide output (LC_ALL=C)."""
    facts = {"class": None, "byte_order": None, "machine": None, "type": None, "interpreter": None, "needed": [],
             "soname": None, "rpath": None, "runpath": None, "build_id": None}
    problems = []
    rpath = runpath = None
    build_ids = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("Class:"):
            value = stripped.split(":", 1)[1].strip()
            facts["class"] = {"ELF32": 32, "ELF64": 64}.get(value, value)
        elif stripped.startswith("Data:"):
            value = stripped.split(":", 1)[1].strip()
            facts["byte_order"] = ("little" if "little endian" in value else "big" if "big endian" in value
                                   else value)
        elif stripped.startswith("Machine:"):
            value = stripped.split(":", 1)[1].strip()
            if value in READELF_MACHINE_NAMES:
                facts["machine"] = READELF_MACHINE_NAMES[value]
            elif value.startswith("<unknown>: 0x"):
                facts["machine"] = int(value.split("0x", 1)[1], 16)
            else:
                facts["machine"] = f"readelf name {value!r} (add it to READELF_MACHINE_NAMES)"
        elif stripped.startswith("Type:") and facts["type"] is None:
            value = stripped.split(":", 1)[1].strip()
            word = value.split()[0] if value else ""
            if word in READELF_TYPES:
                facts["type"] = READELF_TYPES[word]
            else:
                match = re.search(r"\(([0-9a-fA-F]+)\)|0x([0-9a-fA-F]+)", value)
                facts["type"] = int(match.group(1) or match.group(2), 16) if match else value
        elif stripped.startswith("[Requesting program interpreter: ") and stripped.endswith("]"):
            facts["interpreter"] = stripped[len("[Requesting program interpreter: "):-1]
        elif "(NEEDED)" in line:
            match = re.search(r"Shared library: \[(.*)\]$", line)
            facts["needed"].append(match.group(1) if match else f"unparsed: {stripped}")
        elif "(SONAME)" in line:
            match = re.search(r"Library soname: \[(.*)\]$", line)
            facts["soname"] = match.group(1) if match else f"unparsed: {stripped}"
        elif "(RPATH)" in line:
            match = re.search(r"Library rpath: \[(.*)\]$", line)
            rpath = match.group(1) if match else f"unparsed: {stripped}"
        elif "(RUNPATH)" in line:
            match = re.search(r"Library runpath: \[(.*)\]$", line)
            runpath = match.group(1) if match else f"unparsed: {stripped}"
        elif "Build ID: " in line:
            build_ids.append(line.split("Build ID: ", 1)[1].strip().lower())
    facts["rpath"] = split_paths(rpath)
    facts["runpath"] = split_paths(runpath)
    if build_ids:
        facts["build_id"] = build_ids[0]
        if len(set(build_ids)) > 1:
            problems.append(f"readelf shows several build-ids: {build_ids}")
    return facts, problems


def run_readelf(paths):
    """Maps each path to (facts, problems) from one readelf call over all of them."""
    env = dict(os.environ, LC_ALL="C")
    result = subprocess.run(["readelf", "-h", "-l", "-d", "-n", "--wide", *paths], capture_output=True, env=env,
                            timeout=BATCH_TIMEOUT_SECONDS)
    text = result.stdout.decode("utf-8", "surrogateescape")
    # With several files readelf starts each one with "\nFile: PATH\n"; with one it prints no header.
    sections = {}
    if len(paths) == 1:
        sections[paths[0]] = text
    else:
        positions = []
        search_from = 0
        for path in paths:
            marker = f"\nFile: {path}\n"
            position = text.find(marker, search_from)
            if position >= 0:
                positions.append((position, position + len(marker), path))
                search_from = position + len(marker)
        for index, (_, body_start, path) in enumerate(positions):
            end = positions[index + 1][0] if index + 1 < len(positions) else len(text)
            sections[path] = text[body_start:end]
    answers = {}
    for path in paths:
        if path in sections:
            answers[path] = parse_readelf_one(sections[path])
        else:
            answers[path] = (None, [f"readelf printed nothing for it: {result.stderr.decode(errors='replace')[:300]}"])
    return answers


def elfrun_json(elfrun, paths):
    """Runs `elfrun info --json` over paths; returns (objects by path, error text)."""
    result = subprocess.run([elfrun, "info", "--json", *paths], capture_output=True, timeout=BATCH_TIMEOUT_SECONDS)
    try:
        objects = json.loads(result.stdout.decode("utf-8", "surrogateescape"))
    except ValueError as error:
        return None, (f"exit status {result.returncode}, output is not JSON ({error}); "
                      f"stderr: {result.stderr.decode(errors='replace')[:300]}")
    if not isinstance(objects, list):
        return None, "the JSON output is not an array"
    return {obj.get("path"): obj for obj in objects if isinstance(obj, dict)}, None


def run_elfrun(elfrun, paths):
    """Returns (each path mapped to its JSON object or to an error string, failures of whole batches). A batch that
    fails as a whole is retried file by file so that a crash is pinned on the file that causes it; the batch failure
    is still reported, since one call over many files must work as well as one call per file."""
    objects, error = elfrun_json(elfrun, paths)
    if objects is None and len(paths) > 1:
        answers = {}
        for path in paths:
            answers.update(run_elfrun(elfrun, [path])[0])
        return answers, [f"elfrun info --json over {len(paths)} files ({paths[0]} ...) failed: {error}"]
    if objects is None:
        return {paths[0]: f"elfrun info --json failed: {error}"}, []
    return {path: objects.get(path, "elfrun printed no object for this path") for path in paths}, []


def elfrun_facts(obj):
    facts = {field: obj.get(field) for field in FIELDS}
    if isinstance(facts["build_id"], str):
        facts["build_id"] = facts["build_id"].lower()
    return facts


def compare(path, readelf_answer, elfrun_answer):
    """The list of disagreements (strings) for one file."""
    readelf_facts, problems = readelf_answer
    differences = list(problems)
    if isinstance(elfrun_answer, str):
        return differences + [elfrun_answer]
    if "error" in elfrun_answer and elfrun_answer["error"]:
        differences.append(f"elfrun reports an error: {elfrun_answer['error']}")
        if readelf_facts is None:
            return differences
    if readelf_facts is None:
        return differences
    mine = elfrun_facts(elfrun_answer)
    for field in FIELDS:
        if mine[field] != readelf_facts[field]:
            differences.append(f"{field}: readelf {json.dumps(readelf_facts[field])}, "
                               f"elfrun {json.dumps(mine[field])}")
    return differences


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--elfrun", required=True)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--require-every-directory", action="store_true",
                        help="fail when a directory is missing or holds no ELF file (CI: bootstrap installs them all)")
    parser.add_argument("directories", nargs="+")
    options = parser.parse_args()

    files_by_directory = {}
    for directory in options.directories:
        files_by_directory[directory] = collect_files(directory) if os.path.isdir(directory) else []
    all_files = [path for files in files_by_directory.values() for path in files]

    readelf_answers, elfrun_answers, batch_failures = {}, {}, []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        readelf_jobs = [pool.submit(run_readelf, batch) for batch in batches(all_files)]
        elfrun_jobs = [pool.submit(run_elfrun, options.elfrun, batch) for batch in batches(all_files)]
        for job in readelf_jobs:
            readelf_answers.update(job.result())
        for job in elfrun_jobs:
            answers, failures = job.result()
            elfrun_answers.update(answers)
            batch_failures += failures

    disagreements = []
    width = max(len(directory) for directory in options.directories)
    print(f"{'directory':<{width}}  {'compared':>8}  {'agreeing':>8}  {'differing':>9}")
    totals = [0, 0, 0]
    for directory, files in files_by_directory.items():
        differing = 0
        for path in files:
            differences = compare(path, readelf_answers[path], elfrun_answers[path])
            if differences:
                differing += 1
                disagreements.append((path, differences))
        counts = [len(files), len(files) - differing, differing]
        totals = [total + count for total, count in zip(totals, counts)]
        note = "" if files else "  (no ELF files: directory missing or empty)"
        print(f"{directory:<{width}}  {counts[0]:>8}  {counts[1]:>8}  {counts[2]:>9}{note}")
    print(f"{'total':<{width}}  {totals[0]:>8}  {totals[1]:>8}  {totals[2]:>9}")

    for failure in batch_failures:
        print(f"\n{failure}")
    if disagreements:
        print(f"\n{len(disagreements)} files where elfrun and readelf disagree:")
        for path, differences in disagreements:
            print(path)
            for difference in differences:
                print(f"    {difference}")
    if disagreements or batch_failures:
        return 1
    if totals[0] == 0:
        print("no ELF files were compared")
        return 1
    empty = [directory for directory, files in files_by_directory.items() if not files]
    if empty and options.require_every_directory:
        print(f"no ELF files in {', '.join(empty)} (run scripts/bootstrap)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
