#!/bin/sh
# ctest-labels: slow
# Differential test against `file` (the tool users know) over every ELF file of /usr/bin, /usr/sbin,
# /usr/lib/x86_64-linux-gnu, /usr/lib32 and the fixtures: the kind `elfrun info` gives must match file's words —
# "pie executable" (pie-executable, or static-pie when file says "static-pie linked"), "shared object"
# (shared-library or dynamic-loader), "executable" (executable with an interpreter, static-executable without),
# "relocatable", "core file" — and so must "stripped" / "not stripped", the interpreter, the build-id and the ABI
# note ("for GNU/Linux 3.2.0"). One documented difference is allowed: an ET_DYN program with PT_INTERP and DT_DEBUG
# but no DF_1_PIE (linked before binutils 2.26, or by Go) is a pie-executable for elfrun, a "shared object" for file,
# which trusts DF_1_PIE alone. Prints the counts and every disagreement. Without file or python3 the case is skipped
# (77), except under CI=true where it fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools file python3
sh "$source_dir/tests/fixtures/build-fixtures.sh" "$build_dir/fixtures" >/dev/null 2>&1 ||
  echo "note: not every fixture could be built (see the fixtures_run case)"

exec python3 - "$elfrun" /usr/bin /usr/sbin /usr/lib/x86_64-linux-gnu /usr/lib32 "$build_dir/fixtures" <<'PYTHON'
import json, os, re, subprocess, sys

elfrun, directories = sys.argv[1], sys.argv[2:]
BATCH = 400

def elf_files(directory):
    found = []
    for root, _, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb") as f:
                    if f.read(4) == b"\x7fELF":
                        found.append(path)
            except OSError:
                pass
    return sorted(found)

def file_says(paths):
    result = subprocess.run(["file", "-N", "-F", "\t", "--", *paths], capture_output=True,
                            env={**os.environ, "LC_ALL": "C"})
    said = {}
    for line in result.stdout.decode("utf-8", "surrogateescape").splitlines():
        path, _, description = line.partition("\t")
        said[path] = description.strip()
    return said

def elfrun_says(paths):
    result = subprocess.run([elfrun, "info", "--json", *paths], capture_output=True)
    return {o["path"]: o for o in json.loads(result.stdout.decode("utf-8", "surrogateescape"))}

def expected_kinds(description, mine):
    if "pie executable" in description:
        return {"static-pie"} if "static-pie linked" in description else {"pie-executable"}
    if "shared object" in description:
        kinds = {"shared-library", "dynamic-loader"}
        # The allowed difference: a program without DF_1_PIE whose DT_DEBUG marks it as one.
        if mine.get("interpreter") and "PIE" not in (mine.get("flags_1") or []):
            kinds.add("pie-executable")
        return kinds
    if "relocatable" in description:
        return {"relocatable"}
    if "core file" in description:
        return {"core"}
    if "executable" in description:
        return {"executable"} if "interpreter" in description else {"static-executable"}
    return {"?"}

total = differing = 0
report = []
for directory in directories:
    if not os.path.isdir(directory):
        continue
    paths = elf_files(directory)
    count = bad = 0
    for start in range(0, len(paths), BATCH):
        batch = paths[start:start + BATCH]
        said, mine_all = file_says(batch), elfrun_says(batch)
        for path in batch:
            description, mine = said.get(path, ""), mine_all.get(path, {})
            count += 1
            problems = []
            if mine.get("error"):
                problems.append(f"elfrun error: {mine['error']}")
            else:
                if mine.get("kind") not in expected_kinds(description, mine):
                    problems.append(f"kind {mine.get('kind')}")
                if "not stripped" in description:
                    stripped = False
                elif re.search(r"\bstripped\b", description):
                    stripped = True
                else:
                    stripped = None
                if stripped is not None and stripped != mine.get("stripped"):
                    problems.append(f"stripped {mine.get('stripped')}")
                match = re.search(r"interpreter ([^,]+)", description)
                if (match.group(1) if match else None) != mine.get("interpreter"):
                    problems.append(f"interpreter {mine.get('interpreter')}")
                match = re.search(r"BuildID\[[^\]]*\]=([0-9a-f]+)", description)
                if (match.group(1) if match else None) != mine.get("build_id"):
                    problems.append(f"build-id {mine.get('build_id')}")
                match = re.search(r"for GNU/Linux ([0-9.]+)", description)
                note = mine.get("abi_note") or ""
                mine_note = note.split(" ", 1)[1] if note.startswith("Linux ") else None
                if (match.group(1) if match else None) != mine_note:
                    problems.append(f"ABI note {note or None}")
            if problems:
                bad += 1
                report.append(f"{path}: elfrun {'; '.join(problems)} | file: {description}")
    print(f"{directory}: {count} ELF files, {count - bad} agree, {bad} differ")
    total += count
    differing += bad
for line in report:
    print("  " + line)
print(f"total: {total} ELF files, {differing} differ")
sys.exit(1 if differing or total == 0 else 0)
PYTHON
