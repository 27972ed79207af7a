// Tests of src/run/plan.cc's use of binfmt_misc, with a directory laid out as /proc/sys/fs/binfmt_misc is (the
// kernel's own handlers are only registered in tests/cases/run_binfmt_misc.sh, in a user namespace of its own): a
// foreign program that an enabled handler takes is handed to the kernel as it is; a disabled handler, binfmt_misc
// switched off as a whole, a handler whose interpreter is gone, or a dynamic program whose loader the handler's qemu
// would not find, leaves it to qemu-user with the root that has its loader; --root never uses a handler.
#include <elf.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <fstream>
#include <string>

#include "elf_builder.h"
#include "loader/kernel_machines.h"
#include "loader_test_support.h"
#include "run/plan.h"

namespace elfrun::run {
namespace {

using test::TempDir;
using test::write_file;

// Debian 12's qemu-user-binfmt entry for AArch64 (with F, so the interpreter need not exist when the program runs).
std::string aarch64_entry(const std::string& interpreter, const std::string& flags) {
  return "enabled\ninterpreter " + interpreter + "\nflags: " + flags +
         "\noffset 0\nmagic 7f454c460201010000000000000000000200b700\n"
         "mask ffffffffffffff00fffffffffffffffffeffffff\n";
}

class RunPlanBinfmt : public ::testing::Test {
 protected:
  void SetUp() override {
    // The kernel's machine, not uname's (an i386 build under qemu-i386 sees i686 there).
    if (loader::kernel_machine() != "x86_64") {
      GTEST_SKIP() << "the case expects an x86-64 kernel (it must not run AArch64 programs itself)";
    }
    binfmt_ = dir_ / "binfmt_misc";
    write_file(binfmt_ + "/status", "enabled\n");
    write_file(binfmt_ + "/register", "");
    static_program_ =
        write_program("hello-static", test::ElfBuilder<test::Elf64LE>().machine(EM_AARCH64).type(ET_EXEC));
    dynamic_program_ = write_program("hello-dynamic", test::ElfBuilder<test::Elf64LE>()
                                                          .machine(EM_AARCH64)
                                                          .type(ET_DYN)
                                                          .interpreter("/lib/ld-linux-aarch64.so.1")
                                                          .needed("libc.so.6"));
  }

  template <typename Builder>
  std::string write_program(const std::string& name, const Builder& builder) {
    auto image = builder.build();
    std::string path = dir_ / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(image.bytes.data()), static_cast<std::streamsize>(image.bytes.size()));
    ::chmod(path.c_str(), 0755);
    return path;
  }

  RunPlan plan(const std::string& program) {
    RunRequest request;
    request.program = program;
    request.args = {"one", "two words"};
    request.binfmt_misc_dir = binfmt_;
    return plan_run(request);
  }

  static bool mentions(const RunPlan& plan, const std::string& text) {
    for (const std::string& reason : plan.reasons) {
      if (reason.find(text) != std::string::npos) return true;
    }
    return false;
  }

  TempDir dir_;
  std::string binfmt_, static_program_, dynamic_program_;
};

TEST_F(RunPlanBinfmt, AnEnabledHandlerMeansTheKernelRunsIt) {
  write_file(binfmt_ + "/qemu-aarch64", aarch64_entry("/nonexistent/qemu-aarch64", "OCF"));
  RunPlan result = plan(static_program_);
  EXPECT_EQ(result.kind, RunPlan::Kind::direct);
  EXPECT_EQ(result.exec_path, static_program_);
  EXPECT_EQ(result.argv, (std::vector<std::string>{static_program_, "one", "two words"}));
  EXPECT_TRUE(mentions(result, "binfmt_misc entry qemu-aarch64 (/nonexistent/qemu-aarch64, flags OCF)"));
}

TEST_F(RunPlanBinfmt, NoHandlerThatTakesItMeansQemu) {
  if (test::find_tool("qemu-aarch64").empty()) ELFRUN_SKIP_OR_FAIL("qemu-aarch64 is not installed");
  // A disabled entry; an enabled one for another machine (x86-64's e_machine 0x3e).
  std::string disabled = aarch64_entry("/usr/bin/qemu-aarch64", "F");
  disabled.replace(0, 7, "disabled");
  write_file(binfmt_ + "/qemu-aarch64", disabled);
  std::string other = aarch64_entry("/usr/bin/qemu-x86_64", "F");
  other.replace(other.find("b700"), 4, "3e00");
  write_file(binfmt_ + "/qemu-x86_64", other);
  RunPlan result = plan(static_program_);
  EXPECT_EQ(result.kind, RunPlan::Kind::qemu);
  EXPECT_EQ(result.argv[0], "qemu-aarch64");
  EXPECT_FALSE(mentions(result, "binfmt_misc entry"));

  // binfmt_misc switched off as a whole (echo 0 > status): its entries still read "enabled".
  write_file(binfmt_ + "/qemu-aarch64", aarch64_entry("/usr/bin/qemu-aarch64", "F"));
  EXPECT_EQ(plan(static_program_).kind, RunPlan::Kind::direct);
  write_file(binfmt_ + "/status", "disabled\n");
  EXPECT_EQ(plan(static_program_).kind, RunPlan::Kind::qemu);
}

TEST_F(RunPlanBinfmt, AHandlerWhoseInterpreterIsGoneIsNotUsed) {
  if (test::find_tool("qemu-aarch64").empty()) ELFRUN_SKIP_OR_FAIL("qemu-aarch64 is not installed");
  // Without F the kernel opens the interpreter when the program starts.
  write_file(binfmt_ + "/qemu-aarch64", aarch64_entry("/nonexistent/qemu-aarch64", "OC"));
  RunPlan result = plan(static_program_);
  EXPECT_EQ(result.kind, RunPlan::Kind::qemu);
  EXPECT_TRUE(mentions(result, "/nonexistent/qemu-aarch64 is missing: through qemu-aarch64 instead"));
}

TEST_F(RunPlanBinfmt, ADynamicProgramWhoseLoaderTheHandlerCannotFindGoesThroughQemuWithItsRoot) {
  if (test::find_tool("qemu-aarch64").empty()) ELFRUN_SKIP_OR_FAIL("qemu-aarch64 is not installed");
  if (::access("/lib/ld-linux-aarch64.so.1", F_OK) == 0 ||
      ::access("/etc/qemu-binfmt/aarch64/lib/ld-linux-aarch64.so.1", F_OK) == 0 || std::getenv("QEMU_LD_PREFIX")) {
    GTEST_SKIP() << "this host's qemu finds AArch64's loader by itself";
  }
  write_file(binfmt_ + "/qemu-aarch64", aarch64_entry("/usr/bin/qemu-aarch64", "F"));
  RunPlan result = plan(dynamic_program_);
  EXPECT_EQ(result.kind, RunPlan::Kind::qemu);
  EXPECT_TRUE(mentions(result, "its loader /lib/ld-linux-aarch64.so.1 is not where that qemu looks for it"));
}

TEST_F(RunPlanBinfmt, ARootIsNeverLeftToAHandler) {
  if (test::find_tool("qemu-aarch64").empty()) ELFRUN_SKIP_OR_FAIL("qemu-aarch64 is not installed");
  write_file(binfmt_ + "/qemu-aarch64", aarch64_entry("/usr/bin/qemu-aarch64", "F"));
  RunRequest request;
  request.program = static_program_;
  request.root = dir_.path();
  request.binfmt_misc_dir = binfmt_;
  RunPlan result = plan_run(request);
  EXPECT_EQ(result.kind, RunPlan::Kind::qemu);
  EXPECT_EQ(result.argv,
            (std::vector<std::string>{"qemu-aarch64", "-L", dir_.path(), "-0", static_program_, static_program_}));
}

}  // namespace
}  // namespace elfrun::run
