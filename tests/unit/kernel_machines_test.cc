// Tests of src/loader/kernel_machines.cc: the embedded probes are the static programs they claim to be; exec_probe's
// answer is the running kernel's own (compared with a plain fork+execve of the same bytes from a file); the answer
// is cached per boot id and found again without a probe, and a new boot id probes again; the ELFRUN_KERNEL_RUNS_*
// switches force it; a binfmt_misc handler taking the probe's kind of program means "not natively"; the cache entry
// format round-trips and rejects what it did not write.
#include "loader/kernel_machines.h"

#include <elf.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "loader_test_support.h"

namespace elfrun::loader {
namespace {

using test::TempDir;
using test::write_file;

constexpr X86Abi kAbis[] = {X86Abi::x86_64, X86Abi::i386, X86Abi::x32};

// What the kernel does with `bytes` written to a file and exec'd by a plain fork + execve: the errno, or 0 when the
// exec happened and the program exited 0, or -1 when it ran but did not exit 0.
int plain_exec(const std::string& dir, std::string_view bytes) {
  std::string path = dir + "/plain-exec";
  write_file(path, std::string(bytes));
  ::chmod(path.c_str(), 0700);
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return errno;
  pid_t pid = ::fork();
  if (pid == 0) {
    char* argv[] = {const_cast<char*>("plain-exec"), nullptr};
    char* envp[] = {nullptr};
    ::execve(path.c_str(), argv, envp);
    int error = errno;
    (void)!::write(report[1], &error, sizeof error);
    ::_exit(127);
  }
  ::close(report[1]);
  int error = 0;
  ssize_t got = ::read(report[0], &error, sizeof error);
  ::close(report[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (got == static_cast<ssize_t>(sizeof error)) return error;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int outcome_code(const ProbeOutcome& outcome) {
  if (!outcome.exec_succeeded) return outcome.exec_error;
  return WIFEXITED(outcome.wait_status) && WEXITSTATUS(outcome.wait_status) == 0 ? 0 : -1;
}

KernelAbiSources sources_in(const TempDir& dir) {
  KernelAbiSources sources;
  sources.cache_dir = dir / "cache";
  sources.binfmt_misc_dir = dir / "binfmt_misc";  // absent: no handler
  sources.boot_id_path = dir / "boot_id";
  sources.read_environment = false;
  write_file(sources.boot_id_path, "11111111-2222-3333-4444-555555555555\n");
  return sources;
}

TEST(KernelMachines, ProbesAreStaticProgramsOfTheirAbi) {
  struct Want {
    X86Abi abi;
    unsigned char elf_class;
    uint16_t machine;
  };
  for (Want want : {Want{X86Abi::x86_64, ELFCLASS64, EM_X86_64}, Want{X86Abi::i386, ELFCLASS32, EM_386},
                    Want{X86Abi::x32, ELFCLASS32, EM_X86_64}}) {
    std::string_view bytes = probe_bytes(want.abi);
    ASSERT_GT(bytes.size(), 52u) << abi_name(want.abi);
    EXPECT_LT(bytes.size(), 4096u) << abi_name(want.abi);
    EXPECT_EQ(bytes.substr(0, 4), std::string_view("\x7f"
                                                   "ELF",
                                                   4));
    EXPECT_EQ(static_cast<unsigned char>(bytes[EI_CLASS]), want.elf_class) << abi_name(want.abi);
    uint16_t type = 0, machine = 0;
    std::memcpy(&type, bytes.data() + 16, 2);
    std::memcpy(&machine, bytes.data() + 18, 2);
    EXPECT_EQ(type, ET_EXEC) << abi_name(want.abi);
    EXPECT_EQ(machine, want.machine) << abi_name(want.abi);
    EXPECT_EQ(x86_abi_of(want.machine, want.elf_class), want.abi);
  }
  EXPECT_EQ(x86_abi_of(EM_AARCH64, ELFCLASS64), std::nullopt);
}

TEST(KernelMachines, ExecProbeAgreesWithThePlainExecOfTheKernel) {
  TempDir dir;
  for (X86Abi abi : kAbis) {
    ProbeOutcome outcome = exec_probe(probe_bytes(abi), "probe-test", dir / "files");
    EXPECT_EQ(outcome_code(outcome), plain_exec(dir.path(), probe_bytes(abi))) << abi_name(abi) << " " << outcome.how;
  }
  // This test binary runs, so the kernel runs its own kind of program.
#if defined(__x86_64__) && !defined(__ILP32__)
  EXPECT_EQ(outcome_code(exec_probe(probe_bytes(X86Abi::x86_64), "probe-test", "")), 0);
#endif
}

TEST(KernelMachines, ExecProbeOfSomethingNotAProgramIsEnoexec) {
  TempDir dir;
  ProbeOutcome outcome = exec_probe(
      "\x7f"
      "ELF but not really a program",
      "probe-test", dir / "files");
  EXPECT_FALSE(outcome.exec_succeeded);
  EXPECT_EQ(outcome.exec_error, ENOEXEC) << std::strerror(outcome.exec_error);
}

TEST(KernelMachines, AnswerIsCachedPerBoot) {
  TempDir dir;
  KernelAbiSources sources = sources_in(dir);
  KernelAbiAnswer first = find_kernel_abi(X86Abi::i386, sources);
  ASSERT_EQ(first.source, KernelAbiAnswer::Source::probe) << first.evidence;
  EXPECT_EQ(first.runs, plain_exec(dir.path(), probe_bytes(X86Abi::i386)) == 0);
  EXPECT_NE(first.evidence.find("i386 probe"), std::string::npos) << first.evidence;

  KernelAbiAnswer again = find_kernel_abi(X86Abi::i386, sources);
  EXPECT_EQ(again.source, KernelAbiAnswer::Source::cache) << again.evidence;
  EXPECT_EQ(again.runs, first.runs);
  EXPECT_EQ(again.exec_error, first.exec_error);
  EXPECT_NE(again.evidence.find("11111111-2222-3333-4444-555555555555"), std::string::npos) << again.evidence;

  // The other ABIs are added to the same boot's entry.
  EXPECT_EQ(find_kernel_abi(X86Abi::x32, sources).source, KernelAbiAnswer::Source::probe);
  EXPECT_EQ(find_kernel_abi(X86Abi::x32, sources).source, KernelAbiAnswer::Source::cache);
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::cache);

  // A cached "no" for a boot is believed for that boot (the entry says what the probe saw)...
  auto text = test::read_file(sources.cache_dir + "/abis");
  auto cache = parse_kernel_abi_cache(std::string(text.begin(), text.end()));
  ASSERT_TRUE(cache);
  cache->entries = {{X86Abi::i386, false, ENOEXEC}};
  write_file(sources.cache_dir + "/abis", format_kernel_abi_cache(*cache));
  KernelAbiAnswer planted = find_kernel_abi(X86Abi::i386, sources);
  EXPECT_EQ(planted.source, KernelAbiAnswer::Source::cache);
  EXPECT_FALSE(planted.runs);
  EXPECT_EQ(planted.exec_error, ENOEXEC);
  // ...and not after the next boot, which probes again.
  write_file(sources.boot_id_path, "99999999-2222-3333-4444-555555555555\n");
  KernelAbiAnswer rebooted = find_kernel_abi(X86Abi::i386, sources);
  EXPECT_EQ(rebooted.source, KernelAbiAnswer::Source::probe);
  EXPECT_EQ(rebooted.runs, first.runs);
}

TEST(KernelMachines, NoBootIdOrNoCacheDirectoryProbesEveryTime) {
  TempDir dir;
  KernelAbiSources sources = sources_in(dir);
  sources.boot_id_path = dir / "missing";
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::probe);
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::probe);
  sources = sources_in(dir);
  sources.cache_dir.clear();
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::probe);
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::probe);
}

TEST(KernelMachines, SwitchForcesTheAnswer) {
  TempDir dir;
  KernelAbiSources sources = sources_in(dir);
  sources.read_environment = true;
  EXPECT_EQ(force_variable(X86Abi::i386), "ELFRUN_KERNEL_RUNS_I386");
  ::setenv("ELFRUN_KERNEL_RUNS_I386", "0", 1);
  KernelAbiAnswer no = find_kernel_abi(X86Abi::i386, sources);
  EXPECT_EQ(no.source, KernelAbiAnswer::Source::forced);
  EXPECT_FALSE(no.runs);
  EXPECT_EQ(no.exec_error, ENOEXEC);
  EXPECT_NE(no.evidence.find("ELFRUN_KERNEL_RUNS_I386=0"), std::string::npos) << no.evidence;
  ::setenv("ELFRUN_KERNEL_RUNS_I386", "yes", 1);
  EXPECT_TRUE(find_kernel_abi(X86Abi::i386, sources).runs);
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::forced);
  ::setenv("ELFRUN_KERNEL_RUNS_I386", "perhaps", 1);  // not an answer: the probe decides
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::probe);
  ::unsetenv("ELFRUN_KERNEL_RUNS_I386");
  // Forcing wrote nothing to the cache.
  ::setenv("ELFRUN_KERNEL_RUNS_X32", "1", 1);
  EXPECT_EQ(find_kernel_abi(X86Abi::x32, sources).source, KernelAbiAnswer::Source::forced);
  ::unsetenv("ELFRUN_KERNEL_RUNS_X32");
  EXPECT_EQ(find_kernel_abi(X86Abi::x32, sources).source, KernelAbiAnswer::Source::probe);

  EXPECT_EQ(parse_forced_answer("1"), true);
  EXPECT_EQ(parse_forced_answer("on"), true);
  EXPECT_EQ(parse_forced_answer("0"), false);
  EXPECT_EQ(parse_forced_answer("off"), false);
  EXPECT_EQ(parse_forced_answer(""), std::nullopt);
  EXPECT_EQ(parse_forced_answer("2"), std::nullopt);
}

TEST(KernelMachines, BinfmtMiscHandlerTakingTheProbeMeansNotNatively) {
  TempDir dir;
  KernelAbiSources sources = sources_in(dir);
  write_file(dir / "binfmt_misc/status", "enabled\n");
  // qemu's own i386 entry (qemu-binfmt-conf.sh), with F.
  write_file(dir / "binfmt_misc/qemu-i386",
             "enabled\ninterpreter /usr/bin/qemu-i386-static\nflags: F\noffset 0\n"
             "magic 7f454c4601010100000000000000000002000300\n"
             "mask fffffffffffefe00fffffffffffffffffeffffff\n");
  KernelAbiAnswer answer = find_kernel_abi(X86Abi::i386, sources);
  EXPECT_EQ(answer.source, KernelAbiAnswer::Source::binfmt_misc) << answer.evidence;
  EXPECT_FALSE(answer.runs);
  EXPECT_NE(answer.evidence.find("qemu-i386"), std::string::npos) << answer.evidence;
  // It takes i386 programs only.
  EXPECT_EQ(find_kernel_abi(X86Abi::x32, sources).source, KernelAbiAnswer::Source::probe);
  // The switch stands in for the probe, not for the handler, which the kernel consults first (so that
  // ELFRUN_KERNEL_RUNS_I386=0 with a handler registered is what a kernel without IA32 emulation does with one).
  sources.read_environment = true;
  ::setenv("ELFRUN_KERNEL_RUNS_I386", "0", 1);
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::binfmt_misc);
  ::setenv("ELFRUN_KERNEL_RUNS_I386", "1", 1);
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::binfmt_misc);
  ::unsetenv("ELFRUN_KERNEL_RUNS_I386");
  sources.read_environment = false;
  // A disabled entry takes nothing.
  write_file(dir / "binfmt_misc/status", "disabled\n");
  EXPECT_EQ(find_kernel_abi(X86Abi::i386, sources).source, KernelAbiAnswer::Source::probe);
}

TEST(KernelMachines, CacheEntryFormat) {
  KernelAbiCache cache{"boot-1", {{X86Abi::i386, false, ENOEXEC}, {X86Abi::x86_64, true, 0}}};
  std::string text = format_kernel_abi_cache(cache);
  EXPECT_EQ(text, "elfrun-kernel-abis 1\nboot =boot-1\nabi =i386 0 8\nabi =x86-64 1 0\n");
  auto parsed = parse_kernel_abi_cache(text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->boot_id, "boot-1");
  ASSERT_EQ(parsed->entries.size(), 2u);
  ASSERT_NE(parsed->find(X86Abi::i386), nullptr);
  EXPECT_FALSE(parsed->find(X86Abi::i386)->runs);
  EXPECT_EQ(parsed->find(X86Abi::i386)->exec_error, ENOEXEC);
  EXPECT_EQ(parsed->find(X86Abi::x32), nullptr);
  for (const char* bad :
       {"", "elfrun-kernel-abis 2\nboot =b\n", "elfrun-kernel-abis 1\nboot =b\nabi =arm 1 0\n",
        "elfrun-kernel-abis 1\nboot =b\nabi =i386 2 0\n", "elfrun-kernel-abis 1\nboot =b\nabi =i386 1",
        "elfrun-kernel-abis 1\nboot =\n", "elfrun-kernel-abis 1\nboot =b\nabi =i386 0 -1\n"}) {
    EXPECT_FALSE(parse_kernel_abi_cache(bad)) << bad;
  }
}

}  // namespace
}  // namespace elfrun::loader
