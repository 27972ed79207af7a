// Tests of diagnose() (src/diagnose/) on files written here: ElfBuilder images and scripts in a temporary directory,
// with the machine's facts given in DiagnoseOptions (kernel machine, release and config, the CPU's x86 ISA levels,
// a binfmt_misc directory), so that situations this machine cannot be put in — a kernel without x32 or IA32
// emulation, an older CPU, a registered qemu handler — are checked too. The integration cases (tests/cases/why_*.sh)
// build the rest with real toolchains.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "diagnose/findings.h"
#include "elf_builder.h"
#include "loader_test_support.h"

namespace elfrun::diagnose {
namespace {

using test::ElfBuilder;
using test::TempDir;
using test::write_file;

template <typename Image>
std::string write_program(const TempDir& dir, const std::string& name, const Image& image, mode_t mode = 0755) {
  std::string path = dir / name;
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(image.bytes.data()), static_cast<std::streamsize>(image.bytes.size()));
  ::chmod(path.c_str(), mode);
  return path;
}

std::string write_script(const TempDir& dir, const std::string& name, const std::string& text) {
  std::string path = dir / name;
  write_file(path, text);
  ::chmod(path.c_str(), 0755);
  return path;
}

// Facts of an x86-64 machine with everything, which each test changes as it needs.
DiagnoseOptions x86_64_machine(const TempDir& dir) {
  DiagnoseOptions options;
  options.kernel_machine = "x86_64";
  options.kernel_release = "6.1.0-18-amd64";
  options.kernel_config = "CONFIG_IA32_EMULATION=y\nCONFIG_X86_X32_ABI=y\n";
  options.kernel_command_line = "";
  options.x86_isa_levels = 0xf;
  options.binfmt_misc = dir / "no-binfmt-misc";
  return options;
}

std::vector<std::string> codes(const Diagnosis& diagnosis) {
  std::vector<std::string> list;
  for (const Finding& finding : diagnosis.findings) list.push_back(finding.code);
  return list;
}

const Finding* find(const Diagnosis& diagnosis, const std::string& code) {
  for (const Finding& finding : diagnosis.findings) {
    if (finding.code == code) return &finding;
  }
  return nullptr;
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(Diagnose, X32WithoutX32Support) {
  TempDir dir;
  auto program = write_program(dir, "x32", ElfBuilder<test::Elf32LE>().type(ET_EXEC).machine(EM_X86_64).build());
  auto options = x86_64_machine(dir);
  options.kernel_config = "CONFIG_IA32_EMULATION=y\n# CONFIG_X86_X32_ABI is not set\n";
  Diagnosis diagnosis = diagnose(program, options);
  EXPECT_FALSE(diagnosis.runs);
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "x32-disabled");
  EXPECT_TRUE(contains(diagnosis.summary,
                       "is a 32-bit x86-64 program and this x86_64 kernel has no x32 ABI "
                       "support — execve fails with \"Exec format error\""))
      << diagnosis.summary;
  EXPECT_EQ(diagnosis.findings[0].evidence, std::vector<std::string>{"CONFIG_X86_X32_ABI is not set (the kernel "
                                                                     "config given)"});

  options.kernel_config = "CONFIG_X86_X32_ABI=y\n";
  diagnosis = diagnose(program, options);
  EXPECT_TRUE(diagnosis.runs) << diagnosis.summary;
  EXPECT_EQ(codes(diagnosis), std::vector<std::string>{"static-program"});
}

TEST(Diagnose, I386WithIa32EmulationOffOnTheCommandLine) {
  TempDir dir;
  auto program = write_program(dir, "i386", ElfBuilder<test::Elf32LE>().type(ET_EXEC).machine(EM_386).build());
  auto options = x86_64_machine(dir);
  options.kernel_command_line = "quiet ia32_emulation=0";
  Diagnosis diagnosis = diagnose(program, options);
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "ia32-disabled");
  EXPECT_EQ(diagnosis.findings[0].evidence, std::vector<std::string>{"the kernel was booted with ia32_emulation=0"});
  // On an i686 kernel it is native.
  options.kernel_machine = "i686";
  EXPECT_TRUE(diagnose(program, options).runs);
}

TEST(Diagnose, MachineNoEmulatorCanRun) {
  TempDir dir;
  auto program = write_program(dir, "ia64", ElfBuilder<test::Elf64LE>().type(ET_EXEC).machine(EM_IA_64).build());
  Diagnosis diagnosis = diagnose(program, x86_64_machine(dir));
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "machine-unsupported");
  EXPECT_TRUE(contains(diagnosis.summary,
                       "this x86_64 kernel cannot run it, binfmt_misc is not mounted, so no "
                       "handler can take it, and qemu-user has no emulator for it"))
      << diagnosis.summary;
  EXPECT_FALSE(diagnosis.run_command);
}

TEST(Diagnose, ABinfmtMiscHandlerRunsAForeignMachine) {
  TempDir dir;
  auto program = write_program(dir, "arm64", ElfBuilder<test::Elf64LE>().type(ET_EXEC).machine(EM_AARCH64).build());
  auto options = x86_64_machine(dir);
  options.binfmt_misc = dir / "binfmt_misc";
  write_file(dir / "binfmt_misc/status", "enabled\n");
  write_file(dir / "binfmt_misc/qemu-aarch64",
             "enabled\ninterpreter /bin/sh\nflags: OCF\noffset 0\n"
             "magic 7f454c460201010000000000000000000200b700\nmask ffffffffffffff00fffffffffffffffffeffffff\n");
  Diagnosis diagnosis = diagnose(program, options);
  EXPECT_TRUE(diagnosis.runs) << diagnosis.summary;
  const Finding* handler = find(diagnosis, "binfmt-misc");
  ASSERT_NE(handler, nullptr);
  EXPECT_TRUE(contains(handler->verdict, "this x86_64 kernel hands it to /bin/sh (binfmt_misc entry qemu-aarch64)"));
}

TEST(Diagnose, CpuWithoutTheIsaLevelTheProgramNeeds) {
  TempDir dir;
  constexpr uint32_t kIsaNeeded = 0xc0008002;
  auto program =
      write_program(dir, "v3", ElfBuilder<test::Elf64LE>().type(ET_EXEC).gnu_property(kIsaNeeded, 1u << 2).build());
  auto options = x86_64_machine(dir);
  options.x86_isa_levels = 0x3;  // baseline and v2
  Diagnosis diagnosis = diagnose(program, options);
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "cpu-isa-level");
  EXPECT_TRUE(contains(diagnosis.summary, "needs x86-64-v3 (its GNU property note), this CPU offers up to x86-64-v2"))
      << diagnosis.summary;
  options.x86_isa_levels = 0xf;
  diagnosis = diagnose(program, options);
  EXPECT_TRUE(diagnosis.runs);
  EXPECT_NE(find(diagnosis, "cpu-isa-level-ok"), nullptr);
}

TEST(Diagnose, KernelOlderThanTheAbiNote) {
  TempDir dir;
  auto program = write_program(dir, "new", ElfBuilder<test::Elf64LE>().type(ET_EXEC).abi_tag(0, 99, 0, 0).build());
  auto options = x86_64_machine(dir);
  Diagnosis diagnosis = diagnose(program, options);
  // A static program: which glibc it has, and so whether it checks, cannot be told.
  EXPECT_TRUE(diagnosis.runs);
  const Finding* finding = find(diagnosis, "kernel-too-old");
  ASSERT_NE(finding, nullptr);
  EXPECT_EQ(finding->severity, Severity::warning);
  EXPECT_TRUE(contains(finding->verdict,
                       "is built for Linux 99.0.0 or newer (its ABI note), this kernel is "
                       "6.1.0-18-amd64 — static glibc before 2.36 stops at start"))
      << finding->verdict;
  options.kernel_release = "99.1";
  EXPECT_EQ(find(diagnose(program, options), "kernel-too-old"), nullptr);
}

TEST(Diagnose, AProgramForAnotherSystem) {
  TempDir dir;
  auto program = write_program(dir, "bsd", ElfBuilder<test::Elf64LE>().type(ET_EXEC).os_abi(ELFOSABI_FREEBSD).build());
  Diagnosis diagnosis = diagnose(program, x86_64_machine(dir));
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "elf-other-os");
  EXPECT_TRUE(contains(diagnosis.summary, "is a program for FreeBSD, not Linux")) << diagnosis.summary;
}

TEST(Diagnose, NotExecutableAndMissingFiles) {
  TempDir dir;
  auto program = write_program(dir, "plain", ElfBuilder<test::Elf64LE>().type(ET_EXEC).build(), 0644);
  Diagnosis diagnosis = diagnose(program, x86_64_machine(dir));
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "not-executable");
  EXPECT_TRUE(contains(diagnosis.summary, "is not executable for you (mode -rw-r--r--)")) << diagnosis.summary;
  EXPECT_EQ(diagnosis.findings[0].fixes[0], "chmod +x " + program);

  ASSERT_EQ(::symlink((dir / "nowhere").c_str(), (dir / "link").c_str()), 0);
  diagnosis = diagnose(dir / "link", x86_64_machine(dir));
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "file-missing");
  EXPECT_EQ(diagnosis.summary, dir / "link" + " does not exist: " + dir / "link" + " is a symbolic link to " +
                                   dir / "nowhere" + ", which does not exist");

  diagnosis = diagnose(dir / "no/such/dir/prog", x86_64_machine(dir));
  EXPECT_EQ(diagnosis.summary,
            dir / "no/such/dir/prog" + " does not exist: the directory " + dir / "no" + " does not exist");
  diagnosis = diagnose(dir.path(), x86_64_machine(dir));
  EXPECT_EQ(diagnosis.findings[0].code, "not-regular-file");
}

TEST(Diagnose, ScriptChainsStopAtFiveInterpreters) {
  TempDir dir;
  std::string previous = "/bin/sh";
  for (int i = 0; i < 6; ++i) {
    std::string name = "s" + std::to_string(i);
    write_script(dir, name, "#!" + previous + "\necho ok\n");
    previous = dir / name;
  }
  auto options = x86_64_machine(dir);
  // s4 -> s3 -> s2 -> s1 -> s0 -> /bin/sh: five scripts, as deep as Linux goes.
  Diagnosis fine = diagnose(dir / "s4", options);
  EXPECT_TRUE(fine.runs) << fine.summary;
  EXPECT_EQ(fine.summary, dir / "s4" + " will run: it is a script for " + dir / "s3" + ", which runs");
  // s5: one more.
  Diagnosis deep = diagnose(dir / "s5", options);
  EXPECT_FALSE(deep.runs);
  ASSERT_FALSE(deep.findings.empty());
  EXPECT_EQ(deep.findings[0].code, "script-interpreter-fails");
  EXPECT_TRUE(contains(deep.summary, "Too many levels of symbolic links")) << deep.summary;
}

TEST(Diagnose, CrlfScript) {
  TempDir dir;
  auto script = write_script(dir, "dos.sh", "#!/bin/sh\r\necho hi\r\n");
  Diagnosis diagnosis = diagnose(script, x86_64_machine(dir));
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "script-crlf");
  EXPECT_TRUE(contains(diagnosis.summary, "the kernel looks for the interpreter \"/bin/sh\\r\""));
  EXPECT_EQ(diagnosis.findings[0].fixes[0],
            "sed -i 's/\\r$//' " + script + "   # remove the carriage returns (dos2unix does it too)");
}

TEST(Diagnose, TextWithoutAShebangAndDamagedElf) {
  TempDir dir;
  auto text = write_script(dir, "plain.txt", "echo hello\n");
  Diagnosis diagnosis = diagnose(text, x86_64_machine(dir));
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "not-elf");
  EXPECT_EQ(diagnosis.findings[0].fixes[0], "sh " + text + "   # run it as a shell script");

  auto image = ElfBuilder<test::Elf64LE>().type(ET_EXEC).build();
  image.edit_ehdr([](auto& e) { e.e_phoff = 0x100000; });
  auto damaged = write_program(dir, "damaged", image);
  diagnosis = diagnose(damaged, x86_64_machine(dir));
  ASSERT_TRUE(diagnosis.input_error);
  EXPECT_TRUE(contains(*diagnosis.input_error, "is a damaged ELF file: program header table: e_phoff 0x100000"))
      << *diagnosis.input_error;
  EXPECT_EQ(diagnosis.findings[0].code, "elf-malformed");
}

TEST(Diagnose, InterpretersThatDoNotFit) {
  TempDir dir;
  auto options = x86_64_machine(dir);
  // A 32-bit loader for a 64-bit program: the kernel's ELIBBAD.
  write_program(dir, "ld32.so", ElfBuilder<test::Elf32LE>().dynamic().build());
  auto wrong =
      write_program(dir, "wrong", ElfBuilder<test::Elf64LE>().interpreter(dir / "ld32.so").needed("libc.so.6").build());
  Diagnosis diagnosis = diagnose(wrong, options);
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "interpreter-wrong-arch");
  EXPECT_TRUE(contains(diagnosis.summary,
                       "is a 32-bit i386 file, the program is 64-bit x86-64 — the kernel refuses "
                       "it with ELIBBAD"))
      << diagnosis.summary;
  // A program as the interpreter.
  write_program(dir, "prog-as-loader", ElfBuilder<test::Elf64LE>().interpreter("/lib64/ld-linux-x86-64.so.2").build());
  auto odd = write_program(dir, "odd", ElfBuilder<test::Elf64LE>().interpreter(dir / "prog-as-loader").build());
  diagnosis = diagnose(odd, options);
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "interpreter-not-a-loader");
  // A text file as the interpreter.
  write_script(dir, "text-loader", "not a loader\n");
  auto text = write_program(dir, "text", ElfBuilder<test::Elf64LE>().interpreter(dir / "text-loader").build());
  diagnosis = diagnose(text, options);
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "interpreter-not-elf");
  // An interpreter without execute permission.
  write_program(dir, "ld-noexec.so", ElfBuilder<test::Elf64LE>().dynamic().build(), 0644);
  auto locked = write_program(dir, "locked", ElfBuilder<test::Elf64LE>().interpreter(dir / "ld-noexec.so").build());
  diagnosis = diagnose(locked, options);
  ASSERT_FALSE(diagnosis.findings.empty());
  EXPECT_EQ(diagnosis.findings[0].code, "interpreter-not-executable");
}

TEST(Diagnose, SeverityNames) {
  EXPECT_EQ(severity_name(Severity::blocking), "blocking");
  EXPECT_EQ(severity_name(Severity::warning), "warning");
  EXPECT_EQ(severity_name(Severity::info), "info");
}

}  // namespace
}  // namespace elfrun::diagnose
