#!/usr/bin/env python3
"""Makes, in the current directory, the hostile inputs of issue 13 finding 10 (bench/hostile.sh and
tests/cases/security_hostile_inputs.sh share them): rpath10k (10,000 DT_RPATH entries), origin12k (12,000 $ORIGIN
entries), rpathmiss (those 10,000 entries and a library found nowhere), and NAME, a program with COUNT DT_NEEDED
libraries that exist at link time only.

    python3 hostile_inputs.py COUNT NAME
"""
import os
import shutil
import subprocess
import sys

count, name = int(sys.argv[1]), sys.argv[2]
with open("m.c", "w") as f:
    f.write('#include <stdio.h>\nint main(void) { puts("Hello World"); return 0; }\n')
# One -rpath argument holds at most 128 KiB (MAX_ARG_STRLEN): short entries.
rpath = ":".join(f"/n/d{i}" for i in range(10000))
subprocess.run(["gcc", "-o", "rpath10k", "m.c", "-Wl,--disable-new-dtags", "-Wl,-rpath," + rpath], check=True)
origin = ":".join("$ORIGIN" for _ in range(12000))
subprocess.run(["gcc", "-o", "origin12k", "m.c", "-Wl,--disable-new-dtags", "-Wl,-rpath," + origin], check=True)
# rpathmiss: the same 10,000 DT_RPATH entries and a library that is nowhere (110,044 paths tried for it).
with open("gone.c", "w") as f:
    f.write("int gone;\n")
subprocess.run(["gcc", "-shared", "-o", "libgone.so", "gone.c"], check=True)
subprocess.run(["gcc", "-o", "rpathmiss", "m.c", "-L.", "-Wl,--no-as-needed", "-l:libgone.so",
                "-Wl,--disable-new-dtags", "-Wl,-rpath," + rpath], check=True)
os.remove("libgone.so")
os.mkdir("stubs")
with open("s.c", "w") as f:
    f.write("int stub;\n")
subprocess.run(["gcc", "-shared", "-o", "stubs/libstub.so", "s.c"], check=True)
for i in range(count):
    os.link("stubs/libstub.so", f"stubs/libmissing{i}.so")
with open("resp", "w") as f:
    f.write("\n".join(["-o", name, "m.c", "-Lstubs", "-Wl,--no-as-needed"] +
                      [f"-l:libmissing{i}.so" for i in range(count)]))
subprocess.run(["gcc", "@resp"], check=True)
shutil.rmtree("stubs")
