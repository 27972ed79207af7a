#!/bin/sh
# Every command elfrun prints for a person to paste is quoted by one function (util::shell_quote, issue 13 finding 4).
# Files with hostile names (quotes, $(), backticks, newlines, tabs, escape sequences, spaces, leading dashes) and a
# #! line holding '$(touch${IFS}MARKER)' get each kind of fix `why` prints (interpreter runs, chmod, the CRLF sed,
# the #! sed, sh and "1i #!/bin/sh" for a text file, `elfrun run` and patchelf for a missing loader) and the
# `run --print` line; each is checked to be printed exactly as --json gives it, then pasted with `sh -c` in a copy of
# the directory: it must do what it says (the script runs, the mode or the #! line changes, the program prints Hello
# World) and nothing else — no marker file anywhere, no other file created in the directory.
set -u
. "$(dirname "$0")/lib/case.sh"
case_need_elfrun
case_need_tools python3 gcc patchelf sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin"
ln -s "$elfrun" "$work/bin/elfrun"
PATH=$work/bin:$PATH NO_COLOR=1 python3 - "$elfrun" "$work" <<'PYEOF' || case_fail "pasted commands (above)"
import json, os, shutil, stat, subprocess, sys

elfrun, work = sys.argv[1:]
marker_dir = os.path.join(work, "markers")
os.mkdir(marker_dir)
mark = marker_dir + "/m"
# A name holds no '/': what it would touch lands in the directory, which is checked too.
names = [
    "it's $(touch m1) `touch m2`",
    "-x a",
    "--help",
    "new\nline\ttab",
    "esc\x1b[31m;touch m3",
    "'$(touch${IFS}m4)'",
    "semi; touch m5 #",
    "trailing\n",
]
failures = 0

def fail(message):
    global failures
    failures += 1
    print("FAIL:", message)

def why(directory, name):
    human = subprocess.run([elfrun, "why", "./" + name], cwd=directory, capture_output=True).stdout
    report = json.loads(subprocess.run([elfrun, "why", "--json", "./" + name], cwd=directory,
                                       capture_output=True).stdout.decode("utf-8", "surrogateescape"))
    fixes = []
    if report.get("run_command"):
        fixes.append(report["run_command"])
    blocking = [f for f in report["findings"] if f["severity"] == "blocking"]
    if blocking:
        fixes += blocking[0]["fixes"]
    for fix in fixes:
        # The printed line is the JSON one, byte for byte (quoted newlines raw, nothing else escaped inside quotes).
        if ("\n  " + fix + "\n").encode("utf-8", "surrogateescape") not in human:
            fail(f"{name!r}: fix {fix!r} not printed as is in:\n{human.decode(errors='replace')}")
    return fixes

def paste(directory, name, fix, check):
    trial = os.path.join(work, "trial")
    shutil.rmtree(trial, ignore_errors=True)
    shutil.copytree(directory, trial, symlinks=True)
    before = set(os.listdir(trial))
    run = subprocess.run(["sh", "-c", fix], cwd=trial, capture_output=True)
    after = set(os.listdir(trial))
    problem = check(trial, run)
    print(f"    pasted {fix!r}: status {run.returncode}, {problem or 'ok'}")
    if problem:
        fail(f"{name!r}: {fix!r}: {problem} (stderr {run.stderr!r})")
    if after != before:
        fail(f"{name!r}: {fix!r} changed the directory: {sorted(after ^ before)!r}")
    if os.listdir(marker_dir):
        fail(f"{name!r}: {fix!r} ran an injected command: {os.listdir(marker_dir)}")
        for entry in os.listdir(marker_dir):
            os.unlink(os.path.join(marker_dir, entry))

def content(trial, name):
    with open(os.path.join(trial, name), "rb") as f:
        return f.read()

def expect_output(text):
    return lambda trial, run: None if run.stdout == text else f"printed {run.stdout!r}, expected {text!r}"

def scenario(label, name, data, mode, checks):
    directory = os.path.join(work, "case")
    shutil.rmtree(directory, ignore_errors=True)
    os.mkdir(directory)
    path = os.path.join(directory, name)
    if isinstance(data, bytes):
        with open(path, "wb") as f:
            f.write(data)
    else:
        shutil.copy(data, path)
    os.chmod(path, mode)
    fixes = why(directory, name)
    print(f"{label} {name!r}: {len(fixes)} fixes")
    seen = set()
    for fix in fixes:
        for prefix, check in checks:
            if fix.startswith(prefix):
                paste(directory, name, fix, check)
                seen.add(prefix)
                break
        else:
            fail(f"{label} {name!r}: no check for the fix {fix!r}")
    for prefix, _ in checks:
        if prefix not in seen:
            fail(f"{label} {name!r}: no fix starting with {prefix!r} among {fixes!r}")

ran = expect_output(b"ran\n")
hello = expect_output(b"Hello World\n")
subprocess.run(["gcc", "-o", os.path.join(work, "lost-loader"), "-x", "c", "-",
                "-Wl,--dynamic-linker=/nonexistent/ld-linux-x86-64.so.2"], check=True,
               input=b'#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n')

for name in names:
    scenario("not executable", name, b"#!/bin/sh\necho ran\n", 0o644, [
        ("/bin/sh ", ran),
        ("chmod +x ", lambda t, r, n=name: None if os.stat(os.path.join(t, n)).st_mode & 0o111 else "not executable"),
    ])
    scenario("crlf", name, b"#!/bin/sh\r\necho ran\r\n", 0o755, [
        ("sed -i 's/\\r$//' ", lambda t, r, n=name: None if content(t, n) == b"#!/bin/sh\necho ran\n"
         else f"content {content(t, n)!r}"),
    ])
    sh = shutil.which("sh")
    scenario("interpreter elsewhere", name,
             b"#!/nonexistent'$(touch${IFS}" + mark.encode() + b"6)'/sh\necho ran\n", 0o755, [
        (sh + " ", ran),
        ("sed -i ", lambda t, r, n=name: None if content(t, n) == b"#!" + sh.encode() + b"\necho ran\n"
         else f"content {content(t, n)!r}"),
    ])
    scenario("no #! line", name, b"echo ran\n", 0o755, [
        ("sh ", ran),
        ("sed -i '1i #!/bin/sh' ", lambda t, r, n=name: None if content(t, n) == b"#!/bin/sh\necho ran\n"
         else f"content {content(t, n)!r}"),
    ])
    scenario("missing loader", name, os.path.join(work, "lost-loader"), 0o755, [
        ("elfrun run ", hello),
        ("patchelf --set-interpreter ", lambda t, r, n=name: None if subprocess.run(
            [os.path.join(t, n)], capture_output=True).stdout == b"Hello World\n" else "does not run after patchelf"),
    ])

# run --print: the argv of the exec, pasted, gives the program the same arguments.
args = names + ["", "*", "~", "a b"]
printed = subprocess.run([elfrun, "run", "--print", "/usr/bin/printf", "[%s]"] + args, capture_output=True).stdout
expected = b"".join(b"[" + a.encode() + b"]" for a in args)
print("run --print:", printed)
paste(work + "/bin", "run --print", printed.decode().rstrip("\n"), expect_output(expected))
sys.exit(1 if failures else 0)
PYEOF
[ "$case_failures" -eq 0 ] || exit 1
echo "ok"
