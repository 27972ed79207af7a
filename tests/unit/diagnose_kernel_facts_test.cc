// Tests of src/diagnose/kernel_facts.cc: kernel releases, /proc/self/mountinfo lines, and whether IA32 emulation and
// the x32 ABI are there, from a kernel config, /proc/kallsyms names and the command line. (binfmt_misc entries, which
// src/loader/binfmt_misc.cc parses: tests/unit/binfmt_misc_test.cc.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "diagnose/kernel_facts.h"
#include "loader_test_support.h"

namespace elfrun::diagnose {
namespace {

using test::TempDir;
using test::write_file;

TEST(KernelRelease, Parses) {
  EXPECT_EQ(parse_kernel_release("6.1.0-18-amd64"), (KernelVersion{6, 1, 0}));
  EXPECT_EQ(parse_kernel_release("6.18.44-fc-v669"), (KernelVersion{6, 18, 44}));
  EXPECT_EQ(parse_kernel_release("5.4"), (KernelVersion{5, 4, 0}));
  EXPECT_EQ(parse_kernel_release("4.19.0+"), (KernelVersion{4, 19, 0}));
  EXPECT_EQ(parse_kernel_release("3"), (KernelVersion{3, 0, 0}));
  EXPECT_EQ(parse_kernel_release("abc"), std::nullopt);
  EXPECT_EQ(parse_kernel_release(""), std::nullopt);
  EXPECT_LT((KernelVersion{3, 2, 0}), (KernelVersion{6, 1, 0}));
  EXPECT_EQ(to_string(KernelVersion{6, 1, 12}), "6.1.12");
}

TEST(Mountinfo, ParsesLinesAndEscapes) {
  auto mounts = parse_mountinfo(
      "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
      "45 22 0:40 / /tmp rw,nosuid,nodev shared:20 - tmpfs tmpfs rw,size=100k\n"
      "46 45 0:41 / /tmp/my\\040dir rw,nosuid,noexec,relatime - tmpfs none rw\n"
      "garbage line\n");
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mounts[0].mount_point, "/");
  EXPECT_EQ(mounts[0].fs_type, "ext4");
  EXPECT_EQ(mounts[0].source, "/dev/sda1");
  EXPECT_EQ(mounts[0].super_options, "rw,errors=remount-ro");
  EXPECT_EQ(mounts[2].mount_point, "/tmp/my dir");
  EXPECT_TRUE(has_option(mounts[2].options, "noexec"));
  EXPECT_FALSE(has_option(mounts[1].options, "noexec"));
  EXPECT_FALSE(has_option(mounts[1].options, "nosu"));

  EXPECT_EQ(mount_of(mounts, "/tmp/my dir/prog"), &mounts[2]);
  EXPECT_EQ(mount_of(mounts, "/tmp/my dir"), &mounts[2]);
  EXPECT_EQ(mount_of(mounts, "/tmp/my dirt/prog"), &mounts[1]);
  EXPECT_EQ(mount_of(mounts, "/usr/bin/ls"), &mounts[0]);
}

TEST(Mountinfo, ALaterMountOverTheSamePointWins) {
  auto mounts = parse_mountinfo(
      "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
      "30 22 0:40 / /mnt rw - tmpfs first rw\n"
      "31 30 0:41 / /mnt rw,noexec - tmpfs second rw\n");
  ASSERT_EQ(mounts.size(), 3u);
  EXPECT_EQ(mount_of(mounts, "/mnt/x")->source, "second");
}

TEST(X86Compat, FromTheKernelConfig) {
  X86CompatInputs inputs;
  inputs.config =
      "CONFIG_IA32_EMULATION=y\n# CONFIG_IA32_EMULATION_DEFAULT_DISABLED is not set\n"
      "# CONFIG_X86_X32_ABI is not set\n";
  inputs.config_source = "/boot/config-6.1.0";
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::yes);
  auto x32 = x32_abi_state(inputs);
  EXPECT_EQ(x32.value, FeatureState::Value::no);
  EXPECT_EQ(x32.evidence, "CONFIG_X86_X32_ABI is not set (/boot/config-6.1.0)");

  inputs.command_line = "root=/dev/sda1 ia32_emulation=0 quiet";
  auto ia32 = ia32_emulation_state(inputs);
  EXPECT_EQ(ia32.value, FeatureState::Value::no);
  EXPECT_EQ(ia32.evidence, "the kernel was booted with ia32_emulation=0");

  inputs.command_line = "";
  inputs.config = "CONFIG_IA32_EMULATION=y\nCONFIG_IA32_EMULATION_DEFAULT_DISABLED=y\n";
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::no);
  inputs.command_line = "ia32_emulation=true";
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::yes);

  inputs.config = "# CONFIG_IA32_EMULATION is not set\n";
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::no);
}

TEST(X86Compat, DebiansX32NeedsItsParameter) {
  X86CompatInputs inputs;
  inputs.config = "CONFIG_X86_X32_ABI=y\nCONFIG_X86_X32_DISABLED=y\n";
  inputs.config_source = "config";
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::no);
  inputs.command_line = "syscall.x32=y";
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::yes);
  inputs.config = "CONFIG_X86_X32=y\n";  // its name before Linux 5.18
  inputs.command_line = "";
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::yes);
  // What follows "--" belongs to init.
  inputs.config = "CONFIG_X86_X32_ABI=y\nCONFIG_X86_X32_DISABLED=y\n";
  inputs.command_line = "quiet -- syscall.x32=y";
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::no);
}

TEST(X86Compat, FromKallsymsWhenThereIsNoConfig) {
  X86CompatInputs inputs;
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::unknown);
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::unknown);
  inputs.kallsyms = std::vector<std::string>{"ia32_sys_call"};
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::yes);
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::no);
  inputs.kallsyms = std::vector<std::string>{"x32_sys_call_table"};
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::no);
  EXPECT_EQ(x32_abi_state(inputs).value, FeatureState::Value::yes);
  inputs.command_line = "ia32_emulation=off";
  inputs.kallsyms = std::vector<std::string>{"ia32_sys_call"};
  EXPECT_EQ(ia32_emulation_state(inputs).value, FeatureState::Value::no);
}

// What can turn IA32 emulation on, once the kernel has refused an i386 program: the boot parameter only where the
// config has it built in and the parameter or the config's default switched it off; when both have it on, nothing
// on the command line helps (a hypervisor switched it off, as on the machine of issue 11).
TEST(X86Compat, Ia32FixesOfferTheBootParameterOnlyWhereItCanHelp) {
  auto first_fix = [](const std::string& config, const std::string& command_line, bool has_config = true) {
    X86CompatInputs inputs;
    if (has_config) inputs.config = config;
    inputs.config_source = "/proc/config.gz";
    inputs.command_line = command_line;
    auto fixes = ia32_enable_fixes(inputs);
    return fixes.empty() ? std::string() : fixes[0];
  };
  const std::string on = "CONFIG_IA32_EMULATION=y\n# CONFIG_IA32_EMULATION_DEFAULT_DISABLED is not set\n";
  const std::string default_off = "CONFIG_IA32_EMULATION=y\nCONFIG_IA32_EMULATION_DEFAULT_DISABLED=y\n";
  const std::string not_built = "# CONFIG_IA32_EMULATION is not set\n";
  EXPECT_NE(first_fix(on, "quiet").find("ia32_emulation=on cannot help"), std::string::npos) << first_fix(on, "");
  EXPECT_NE(first_fix(on, "quiet").find("hypervisor"), std::string::npos);
  EXPECT_NE(first_fix(on, "ia32_emulation=0").find("boot without ia32_emulation=0, or with ia32_emulation=on"),
            std::string::npos);
  EXPECT_NE(first_fix(default_off, "").find("# boot with ia32_emulation=on"), std::string::npos);
  EXPECT_NE(first_fix(default_off, "ia32_emulation=1").find("cannot help"), std::string::npos);
  EXPECT_NE(first_fix(not_built, "").find("no boot parameter changes"), std::string::npos);
  EXPECT_EQ(first_fix(not_built, "").find("boot with ia32_emulation=on"), std::string::npos);
  EXPECT_NE(first_fix("", "", false).find("if this kernel has IA32 emulation built in"), std::string::npos);

  X86CompatInputs inputs;
  inputs.config = default_off;
  inputs.config_source = "/proc/config.gz";
  inputs.command_line = "root=/dev/vda ia32_emulation=off";
  EXPECT_EQ(
      ia32_settings_evidence(inputs),
      (std::vector<std::string>{"/proc/config.gz: CONFIG_IA32_EMULATION=y, CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y",
                                "/proc/cmdline: ia32_emulation=off"}));
  inputs.config.reset();
  inputs.command_line = "quiet";
  EXPECT_EQ(ia32_settings_evidence(inputs)[1], "/proc/cmdline: no ia32_emulation=");
}

TEST(X86Compat, X32FixesSayWhenOnlyAnotherKernelHelps) {
  X86CompatInputs inputs;
  inputs.config = "# CONFIG_X86_X32_ABI is not set\n";
  inputs.config_source = "/proc/config.gz";
  EXPECT_NE(ia32_enable_fixes(inputs).size(), 0u);
  EXPECT_NE(x32_enable_fixes(inputs)[0].find("no boot parameter changes"), std::string::npos);
  inputs.config = "CONFIG_X86_X32_ABI=y\nCONFIG_X86_X32_DISABLED=y\n";
  EXPECT_NE(x32_enable_fixes(inputs)[0].find("syscall.x32=y"), std::string::npos);
}

}  // namespace
}  // namespace elfrun::diagnose
