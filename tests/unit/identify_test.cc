// Tests of identify (src/elf/identify.cc): the kind of every shape of ELF file over the four layouts, the libc
// judgement, the interpreter check against files written to a temporary directory, #! lines split as Linux
// fs/binfmt_script.c splits them, core-dump notes, and the descriptions of non-ELF files.
#include "elf/identify.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "elf_builder.h"

namespace elfrun::test {
namespace {

using elf::FileKind;
using elf::FileReport;
using elf::PathProbe;

template <typename ELFT>
class IdentifyTest : public ::testing::Test {
 protected:
  static FileReport identify_ok(const ElfImage<ELFT>& image, const elf::IdentifyOptions& options = {}) {
    auto report = elf::identify(*image.source(), "test", options);
    if (!report) {
      ADD_FAILURE() << "identify failed: " << report.error().message;
      return FileReport{};
    }
    return std::move(*report);
  }
  static FileKind kind_of(const ElfImage<ELFT>& image) { return identify_ok(image).kind; }
};

struct LayoutNames {
  template <typename ELFT>
  static std::string GetName(int) {
    return layout_name<ELFT>();
  }
};

using Layouts = ::testing::Types<Elf32LE, Elf32BE, Elf64LE, Elf64BE>;
TYPED_TEST_SUITE(IdentifyTest, Layouts, LayoutNames);

TYPED_TEST(IdentifyTest, ExecutableWithAndWithoutInterpreter) {
  using Builder = ElfBuilder<TypeParam>;
  EXPECT_EQ(this->kind_of(Builder().type(ET_EXEC).interpreter("/lib/ld.so.1").needed("libc.so.6").build()),
            FileKind::executable);
  EXPECT_EQ(this->kind_of(Builder().type(ET_EXEC).build()), FileKind::static_executable);
}

TYPED_TEST(IdentifyTest, PieExecutable) {
  using Builder = ElfBuilder<TypeParam>;
  // Marked DF_1_PIE, as every linker since binutils 2.26 marks it.
  EXPECT_EQ(this->kind_of(Builder().interpreter("/lib/ld.so.1").needed("libc.so.6").dt_flags_1(DF_1_PIE).build()),
            FileKind::pie_executable);
  // Older PIEs carry no DF_1_PIE, but DT_DEBUG, which linkers give executables only.
  EXPECT_EQ(this->kind_of(Builder().interpreter("/lib/ld.so.1").needed("libc.so.6").dynamic_entry(DT_DEBUG, 0).build()),
            FileKind::pie_executable);
  // A runnable plugin (pam_cap.so): PT_INTERP, no SONAME, no DT_DEBUG.
  EXPECT_EQ(this->kind_of(Builder().interpreter("/lib/ld.so.1").needed("libc.so.6").build()), FileKind::shared_library);
}

TYPED_TEST(IdentifyTest, SharedLibraries) {
  using Builder = ElfBuilder<TypeParam>;
  EXPECT_EQ(this->kind_of(Builder().soname("libz.so.1").needed("libc.so.6").build()), FileKind::shared_library);
  // glibc's libc.so.6 has PT_INTERP (it runs as a program) and a SONAME: still a library.
  EXPECT_EQ(this->kind_of(Builder().interpreter("/lib/ld.so.1").soname("libc.so.6").needed("ld.so.1").build()),
            FileKind::shared_library);
}

TYPED_TEST(IdentifyTest, StaticPie) {
  using Builder = ElfBuilder<TypeParam>;
  FileReport report = this->identify_ok(Builder().dt_flags_1(DF_1_PIE).abi_tag(0, 3, 2, 0).build());
  EXPECT_EQ(report.kind, FileKind::static_pie);
  EXPECT_EQ(report.libc, "glibc");  // the ABI tag of glibc's crt1.o
  // No dynamic section at all: nothing to relocate, the kernel maps it anywhere and jumps in.
  EXPECT_EQ(this->kind_of(Builder().build()), FileKind::static_pie);
}

TYPED_TEST(IdentifyTest, PieWithoutInterpreterButNeedingLibrariesIsWarnedAbout) {
  using Builder = ElfBuilder<TypeParam>;
  FileReport report = this->identify_ok(Builder().dt_flags_1(DF_1_PIE).needed("libc.so.6").build());
  EXPECT_EQ(report.kind, FileKind::pie_executable);
  ASSERT_EQ(report.warnings.size(), 1u);
  EXPECT_EQ(report.warnings[0],
            "it needs shared libraries (DT_NEEDED) but names no interpreter (PT_INTERP): the kernel starts it "
            "without a loader, and nothing loads those libraries");
}

TYPED_TEST(IdentifyTest, DynamicLoader) {
  using Builder = ElfBuilder<TypeParam>;
  FileReport report = this->identify_ok(Builder().soname("ld-linux-x86-64.so.2").entry(0x1ab70).build());
  EXPECT_EQ(report.kind, FileKind::dynamic_loader);
  EXPECT_EQ(report.libc, "glibc");
  // musl's loader has no SONAME; BIND_NOW as musl links it.
  EXPECT_EQ(this->kind_of(Builder().dt_flags(DF_BIND_NOW).entry(0x777ee).build()), FileKind::dynamic_loader);
  // Without an entry point it is just a library that needs nothing.
  auto library = Builder().soname("libnothing.so").build();
  library.edit_ehdr([](auto& ehdr) { ehdr.e_entry = 0; });
  EXPECT_EQ(this->kind_of(library), FileKind::shared_library);
}

TYPED_TEST(IdentifyTest, RelocatableCoreAndOther) {
  using Builder = ElfBuilder<TypeParam>;
  EXPECT_EQ(this->kind_of(Builder().type(ET_REL).program_headers(false).symtab().build()), FileKind::relocatable);
  EXPECT_EQ(this->kind_of(Builder().type(ET_CORE).build()), FileKind::core);
  EXPECT_EQ(this->kind_of(Builder().type(0xfe00).build()), FileKind::other_elf);
}

TYPED_TEST(IdentifyTest, CoreNotesNameTheProcessAndItsSignal) {
  using Builder = ElfBuilder<TypeParam>;
  // NT_PRSTATUS begins with si_signo; NT_PRPSINFO ends with pr_fname[16] and pr_psargs[80].
  std::vector<unsigned char> prstatus(TypeParam::kIs64 ? 336 : 144, 0);
  elf::U32<TypeParam::kOrder> signal(11);
  std::memcpy(prstatus.data(), &signal, 4);
  std::vector<unsigned char> prpsinfo(TypeParam::kIs64 ? 136 : 124, 0);
  std::memcpy(prpsinfo.data() + prpsinfo.size() - 96, "crash", 5);
  std::memcpy(prpsinfo.data() + prpsinfo.size() - 80, "./crash --now ", 14);
  auto image = Builder()
                   .type(ET_CORE)
                   .machine(EM_X86_64)
                   .note("CORE", NT_PRSTATUS, prstatus)
                   .note("CORE", NT_PRPSINFO, prpsinfo)
                   .build();
  FileReport report = this->identify_ok(image);
  ASSERT_EQ(report.kind, FileKind::core);
  ASSERT_TRUE(report.core);
  EXPECT_EQ(report.core->command, "crash");
  EXPECT_EQ(report.core->arguments, "./crash --now");
  EXPECT_EQ(report.core->signal, 11u);
}

TYPED_TEST(IdentifyTest, LibcFromInterpreterNeededOrSoname) {
  using Builder = ElfBuilder<TypeParam>;
  EXPECT_EQ(this->identify_ok(Builder().interpreter("/lib/ld-musl-x86_64.so.1").needed("libc.so").build()).libc,
            "musl");
  EXPECT_EQ(this->identify_ok(Builder().interpreter("/lib64/ld64.so.1").needed("libc.so.6").build()).libc, "glibc");
  EXPECT_EQ(this->identify_ok(Builder().soname("libz.so.1").needed("libc.so.6").build()).libc, "glibc");
  EXPECT_EQ(this->identify_ok(Builder().soname("libfoo.so").build()).libc, "");
  EXPECT_EQ(this->identify_ok(Builder().type(ET_EXEC).build()).libc, "");  // static, no ABI tag: musl or other
}

TYPED_TEST(IdentifyTest, ParseErrorsAreErrors) {
  using Builder = ElfBuilder<TypeParam>;
  auto image = Builder().interpreter("/lib/ld.so.1").build();
  image.truncate(20);
  auto report = elf::identify(*image.source(), "test");
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().message.find("ELF header: the file has 20 bytes"), std::string::npos)
      << report.error().message;
}

// ---- the interpreter check, against real files ----

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "elfrun-identify-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::vector<unsigned char>& bytes, bool executable = true) {
    std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    ::chmod(file.c_str(), executable ? 0755 : 0644);
    return file;
  }
  std::string write(const std::string& name, std::string_view text, bool executable = true) {
    return write(name, std::vector<unsigned char>(text.begin(), text.end()), executable);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TYPED_TEST(IdentifyTest, InterpreterThatFits) {
  using Builder = ElfBuilder<TypeParam>;
  TempDir dir;
  std::string loader = dir.write("ld-linux-test.so.2", Builder().soname("ld-linux-test.so.2").build().bytes);
  elf::PathProber prober;
  FileReport report = this->identify_ok(Builder().interpreter(loader).needed("libc.so.6").build(), {&prober, ""});
  ASSERT_TRUE(report.interpreter);
  EXPECT_TRUE(report.interpreter->fits) << report.interpreter->problem;
  EXPECT_EQ(report.interpreter->probe.state, PathProbe::State::elf);
  EXPECT_EQ(report.interpreter->probe.libc, "glibc");
  EXPECT_EQ(report.interpreter->problem, "");
}

TYPED_TEST(IdentifyTest, InterpreterProblems) {
  using Builder = ElfBuilder<TypeParam>;
  TempDir dir;
  elf::PathProber prober;
  elf::IdentifyOptions options{&prober, ""};
  auto problem_with = [&](const std::string& interpreter) {
    FileReport report = this->identify_ok(Builder().interpreter(interpreter).build(), options);
    EXPECT_TRUE(report.interpreter);
    if (!report.interpreter) return std::string("no check");
    EXPECT_FALSE(report.interpreter->fits);
    return report.interpreter->problem;
  };
  EXPECT_EQ(problem_with(dir.path() + "/absent"), "does not exist");
  EXPECT_EQ(problem_with(dir.write("text", "hello\n")), "is not an ELF file");
  EXPECT_EQ(problem_with(dir.write("script", "#!/bin/sh\n")), "is a script, not an ELF loader");
  EXPECT_EQ(problem_with(dir.path()), "is not a regular file");
  std::string this_arch = TypeParam::kIs64 ? "64-bit" : "32-bit";
  if (TypeParam::kOrder == std::endian::big) this_arch += " big-endian";
  EXPECT_EQ(
      problem_with(dir.write("aarch64", Builder().machine(EM_AARCH64).build().bytes)),
      "is a " + this_arch + " AArch64 file; the program is " + this_arch + (TypeParam::kIs64 ? " x86-64" : " i386"));
  EXPECT_EQ(problem_with(dir.write("program", Builder().interpreter("/lib/ld.so.1").build().bytes)),
            "names an interpreter of its own: a program, not a loader");
  EXPECT_EQ(problem_with(dir.write("library", Builder().needed("libc.so.6").build().bytes)),
            "needs shared libraries of its own: not a loader");
  EXPECT_EQ(problem_with(dir.write("object", Builder().type(ET_REL).build().bytes)),
            "is a relocatable file, not a loader");
  if (::geteuid() != 0) {  // root may execute anything with an x bit, and here there is none
    EXPECT_EQ(problem_with(dir.write("noexec", Builder().build().bytes, false)),
              "is not executable (no execute permission)");
  }
}

TEST(IdentifyInterpreter, OtherClassIsNamed) {
  TempDir dir;
  elf::PathProber prober;
  std::string loader = dir.write("ld-linux.so.2", ElfBuilder<Elf32LE>().soname("ld-linux.so.2").build().bytes);
  auto program = ElfBuilder<Elf64LE>().interpreter(loader).needed("libc.so.6").build();
  auto report = elf::identify(*program.source(), "m64", {&prober, ""});
  ASSERT_TRUE(report);
  ASSERT_TRUE(report->interpreter);
  EXPECT_EQ(report->interpreter->problem, "is a 32-bit i386 file; the program is 64-bit x86-64");
  // The prober read the loader once and remembers it.
  EXPECT_EQ(&prober.probe(loader), &prober.probe(loader));
}

TEST(IdentifyFile, ErrorsDoNotRepeatThePath) {
  auto missing = elf::identify_file("/nonexistent/elfrun-test");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "No such file or directory");
  auto directory = elf::identify_file("/");
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().message, "is a directory");
}

// ---- #! lines ----

elf::ScriptInfo split(std::string_view text) {
  return elf::parse_script_line(elf::ByteView(reinterpret_cast<const unsigned char*>(text.data()), text.size()));
}

TEST(ScriptLine, InterpreterAndOneArgument) {
  auto info = split("#!/bin/sh\necho hi\n");
  EXPECT_EQ(info.error, "");
  EXPECT_EQ(info.interpreter, "/bin/sh");
  EXPECT_FALSE(info.argument);
  EXPECT_FALSE(info.crlf);

  info = split("#! \t/usr/bin/env  python3 -u \t\nprint()\n");
  EXPECT_EQ(info.interpreter, "/usr/bin/env");
  ASSERT_TRUE(info.argument);
  EXPECT_EQ(*info.argument, "python3 -u");  // the rest of the line is ONE argument, blanks inside kept
}

TEST(ScriptLine, CarriageReturnStaysInTheLastWord) {
  auto info = split("#!/bin/sh\r\necho hi\r\n");
  EXPECT_TRUE(info.crlf);
  EXPECT_EQ(info.interpreter, "/bin/sh\r");
  EXPECT_FALSE(info.argument);

  info = split("#!/usr/bin/env python3\r\n");
  EXPECT_TRUE(info.crlf);
  EXPECT_EQ(info.interpreter, "/usr/bin/env");
  EXPECT_EQ(info.argument.value_or("none"), "python3\r");

  // A blank before the CR is not trimmed: the CR alone becomes the argument.
  info = split("#!/bin/sh \r\n");
  EXPECT_EQ(info.interpreter, "/bin/sh");
  EXPECT_EQ(info.argument.value_or("none"), "\r");
}

TEST(ScriptLine, NulEndsTheInterpreterAndDropsTheArgument) {
  auto info = split(std::string_view("#!/bin/sh\0 -x\n", 14));
  EXPECT_EQ(info.interpreter, "/bin/sh");
  EXPECT_FALSE(info.argument);
}

TEST(ScriptLine, ShortFileWithoutNewline) {
  auto info = split("#!/bin/bash -e");
  EXPECT_EQ(info.error, "");
  EXPECT_EQ(info.interpreter, "/bin/bash");
  EXPECT_EQ(info.argument.value_or("none"), "-e");
  EXPECT_FALSE(info.line_truncated);
}

TEST(ScriptLine, LongLineIsCutAt255Bytes) {
  std::string text = "#!/bin/sh " + std::string(300, 'a') + "\n";
  auto info = split(text);
  EXPECT_EQ(info.error, "");
  EXPECT_TRUE(info.line_truncated);
  EXPECT_EQ(info.interpreter, "/bin/sh");
  EXPECT_EQ(info.argument.value_or(""), std::string(255 - 10, 'a'));
}

TEST(ScriptLine, KernelRefusals) {
  EXPECT_EQ(split("#!/" + std::string(300, 'x') + "\n").error,
            "the interpreter path does not end within the kernel's 256-byte #! buffer");
  EXPECT_EQ(split("#!" + std::string(300, ' ')).error, "the #! line is nothing but blanks");
  EXPECT_EQ(split("#!\n").error, "no interpreter is named after #!");
  EXPECT_EQ(split("#!   \t\necho\n").error, "no interpreter is named after #!");
}

TEST(IdentifyScript, ReportAndEnvLookup) {
  TempDir dir;
  std::string tool = dir.write("mytool", "#!/bin/sh\n");
  std::string text = "#!/usr/bin/env mytool\n";
  auto source = elf::ByteSource::from_memory(reinterpret_cast<const unsigned char*>(text.data()), text.size());
  elf::PathProber prober;
  auto report = elf::identify(*source, "script", {&prober, "/nonexistent:" + dir.path()});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->kind, FileKind::script);
  ASSERT_TRUE(report->script);
  EXPECT_EQ(report->script->env_program.value_or(""), "mytool");
  EXPECT_EQ(report->script->env_program_found.value_or(""), tool);
  ASSERT_TRUE(report->script->interpreter_probe);
  EXPECT_EQ(report->script->interpreter_probe->path, "/usr/bin/env");

  // Without -S, env takes the whole argument as the program's name.
  text = "#!/usr/bin/env mytool -x\n";
  source = elf::ByteSource::from_memory(reinterpret_cast<const unsigned char*>(text.data()), text.size());
  report = elf::identify(*source, "script", {&prober, dir.path()});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->script->env_program.value_or(""), "mytool -x");
  EXPECT_EQ(report->script->env_program_found.value_or("unset"), "");
  text = "#!/usr/bin/env -S mytool -x\n";
  source = elf::ByteSource::from_memory(reinterpret_cast<const unsigned char*>(text.data()), text.size());
  report = elf::identify(*source, "script", {&prober, dir.path()});
  ASSERT_TRUE(report);
  EXPECT_EQ(report->script->env_program.value_or(""), "mytool");
  EXPECT_EQ(report->script->env_program_found.value_or(""), tool);
}

std::vector<std::string> script_warnings(std::string_view text) {
  auto source = elf::ByteSource::from_memory(reinterpret_cast<const unsigned char*>(text.data()), text.size());
  auto report = elf::identify(*source, "script");
  EXPECT_TRUE(report);
  if (!report) return {};
  EXPECT_FALSE(report->script->interpreter_probe);  // no prober: the filesystem is not looked at
  return report->warnings;
}

TEST(IdentifyScript, ArgumentWithBlanksIsWarnedAbout) {
  EXPECT_EQ(script_warnings("#!/bin/bash -e -x\n"),
            std::vector<std::string>{"the kernel passes \"-e -x\" to /bin/bash as one argument, blanks included"});
  EXPECT_EQ(script_warnings("#!/usr/bin/env python3 -u\n"),
            std::vector<std::string>{"the kernel passes \"python3 -u\" to env as one argument, and env looks for a "
                                     "program of that name: write \"#!/usr/bin/env -S python3 -u\""});
  // env -S splits the argument itself.
  EXPECT_TRUE(script_warnings("#!/usr/bin/env -S python3 -u\n").empty());
}

// ---- not ELF ----

std::string describe(std::string_view bytes) {
  auto source = elf::ByteSource::from_memory(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  auto report = elf::identify(*source, "file");
  EXPECT_TRUE(report);
  if (!report) return "error";
  EXPECT_EQ(report->kind, FileKind::not_elf);
  return report->description;
}

TEST(IdentifyNotElf, Descriptions) {
  EXPECT_EQ(describe(""), "empty");
  EXPECT_EQ(describe("hello world\n"), "text");
  EXPECT_EQ(describe(std::string_view("\x01\x02\x00\x03", 4)), "data");
  EXPECT_EQ(describe("!<arch>\nfoo.o/"), "ar archive (a static library: input for the linker)");
  EXPECT_EQ(describe("/* GNU ld script\n   Use the shared library */\nGROUP ( /lib/libc.so.6 )\n"),
            "GNU ld script (read by the linker for -l options, not by the loader)");
  EXPECT_EQ(describe("\xef\xbb\xbf#!/bin/sh\n"),
            "text with a UTF-8 byte-order mark before #!: the kernel does not see a #! line");
  EXPECT_EQ(describe("\x7f"
                     "EL"),
            "data");  // too short to carry the magic number
}

TEST(Kinds, Names) {
  EXPECT_EQ(elf::kind_name(FileKind::pie_executable), "pie-executable");
  EXPECT_EQ(elf::kind_name(FileKind::dynamic_loader), "dynamic-loader");
  EXPECT_EQ(elf::kind_name(FileKind::static_pie), "static-pie");
  EXPECT_EQ(elf::kind_name(FileKind::not_elf), "not-elf");
}

}  // namespace
}  // namespace elfrun::test
