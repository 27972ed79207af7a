#!/bin/sh
# `elfrun info --json` is one valid JSON array (python3 -m json.tool accepts it) with one object per FILE, in order,
# each carrying the documented keys: "path" as given, "kind", "class", "byte_order", "machine", "machine_name",
# "type", "interpreter", "needed", "soname", "rpath", "runpath" (arrays of the ':'-separated entries, empty ones
# kept), "abi_note", "build_id" (lowercase hex), "stripped"; "error" for a file that cannot be read. The files cover
# an executable, a library, the loader, a script, a text file, a file name with a quote and a newline, and a
# missing file. The values are checked against readelf where it says the same thing.
# Without python3 the case is skipped (77), except under CI=true where it fails.
set -u

. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools python3 readelf gcc

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'int main(void) { return 0; }\n' >"$work/main.c"
# An RPATH with an empty entry (the current directory for glibc) and a RUNPATH-less, SONAME-carrying library.
gcc -o "$work/with-rpath" "$work/main.c" -Wl,--disable-new-dtags,-rpath,'$ORIGIN/lib::/opt/x' || exit 1
gcc -shared -fPIC -o "$work/libx.so.1" "$work/main.c" -Wl,-soname,libx.so.1,--enable-new-dtags,-rpath,/opt/y || exit 1
printf '#!/bin/sh\necho hi\n' >"$work/script.sh"
printf 'just text\n' >"$work/text.txt"
odd="$work/odd \"name
with newline"
cp "$work/text.txt" "$odd"
loader=$(readelf -lW /bin/sh | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')

"$elfrun" info --json "$work/with-rpath" "$work/libx.so.1" "$loader" "$work/script.sh" "$work/text.txt" "$odd" \
  "$work/missing" >"$work/out.json" 2>"$work/err"
status=$?
python3 -m json.tool "$work/out.json" >/dev/null || { echo "FAIL: python3 -m json.tool rejects the output"; exit 1; }

python3 - "$work" "$loader" "$odd" "$status" <<'PYTHON'
import json, subprocess, sys

work, loader, odd, status = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
objects = json.load(open(f"{work}/out.json"))
failures = []
def check(what, got, expected):
    if got != expected:
        failures.append(f"{what}: got {got!r}, expected {expected!r}")

paths = [f"{work}/with-rpath", f"{work}/libx.so.1", loader, f"{work}/script.sh", f"{work}/text.txt", odd,
         f"{work}/missing"]
check("exit status (one file is missing)", status, 2)
check("paths in order", [o["path"] for o in objects], paths)
keys = ["path", "kind", "class", "byte_order", "machine", "machine_name", "type", "interpreter", "needed", "soname",
        "rpath", "runpath", "abi_note", "build_id", "stripped"]
for o in objects[:-1]:
    missing = [k for k in keys if k not in o]
    check(f"keys missing in {o['path']}", missing, [])

exe, lib, ld, script, text, odd_object, missing = objects
check("exe kind", exe["kind"], "pie-executable")
check("exe class", exe["class"], 64)
check("exe byte_order", exe["byte_order"], "little")
check("exe machine", exe["machine"], 62)
check("exe machine_name", exe["machine_name"], "x86-64")
check("exe type", exe["type"], 3)
check("exe needed", exe["needed"], ["libc.so.6"])
check("exe rpath", exe["rpath"], ["$ORIGIN/lib", "", "/opt/x"])
check("exe runpath", exe["runpath"], None)
check("exe soname", exe["soname"], None)
check("exe stripped", exe["stripped"], False)
readelf = subprocess.run(["readelf", "-n", exe["path"]], capture_output=True, text=True).stdout
build_id = [line.split(":")[1].strip() for line in readelf.splitlines() if "Build ID:" in line]
check("exe build_id", exe["build_id"], build_id[0] if build_id else None)
abi = [line.split("OS: ")[1].split(",")[0] + " " + line.split("ABI: ")[1].strip()
       for line in readelf.splitlines() if "OS: " in line and "ABI: " in line]
check("exe abi_note", exe["abi_note"], abi[0] if abi else None)
check("lib kind", lib["kind"], "shared-library")
check("lib soname", lib["soname"], "libx.so.1")
check("lib runpath", lib["runpath"], ["/opt/y"])
check("lib rpath", lib["rpath"], None)
check("lib interpreter", lib["interpreter"], None)
check("loader kind", ld["kind"], "dynamic-loader")
check("loader needed", ld["needed"], [])
check("script kind", script["kind"], "script")
check("script interpreter", script["interpreter"], "/bin/sh")
check("script class", script["class"], None)
check("text kind", text["kind"], "not-elf")
check("text description", text["description"], "text")
check("odd path kept byte for byte", odd_object["path"], odd)
check("missing error", missing.get("error"), "No such file or directory")
if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"PASS: {len(objects)} objects")
PYTHON
