// Tests of src/run/script.cc: #! lines split as Linux fs/binfmt_script.c splits them (blanks and tabs, one argument
// with its inner blanks, CRLF, the 256-byte buffer and its edges), the "#!/usr/bin/env NAME" rule, and plan_script's
// answers that need no loader: an interpreter that runs as it is, a missing one, too many levels of scripts.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "loader_test_support.h"
#include "run/script.h"

namespace elfrun::run {
namespace {

using test::TempDir;
using test::write_file;

Expected<Shebang> parse(const std::string& bytes) {
  return parse_shebang(elf::ByteView(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()));
}

void expect_line(const std::string& bytes, const std::string& interpreter, std::optional<std::string> argument) {
  auto shebang = parse(bytes);
  ASSERT_TRUE(shebang) << shebang.error().message;
  EXPECT_EQ(shebang->interpreter, interpreter);
  EXPECT_EQ(shebang->argument, argument);
}

void expect_refused(const std::string& bytes, const std::string& message) {
  auto shebang = parse(bytes);
  ASSERT_FALSE(shebang) << "interpreter " << shebang->interpreter;
  EXPECT_EQ(shebang.error().message, message);
}

TEST(RunScriptParse, InterpreterAlone) { expect_line("#!/bin/sh\necho hi\n", "/bin/sh", std::nullopt); }

TEST(RunScriptParse, LeadingAndTrailingBlanksAndTabs) {
  expect_line("#! \t /bin/sh \t \nx", "/bin/sh", std::nullopt);
  expect_line("#!\t/usr/bin/python3\t-u  \n", "/usr/bin/python3", "-u");
}

TEST(RunScriptParse, OneArgumentWithItsInnerBlanks) {
  expect_line("#!/usr/bin/awk -f  \n", "/usr/bin/awk", "-f");
  expect_line("#!/usr/bin/env  python3 -u   -B\t\n", "/usr/bin/env", "python3 -u   -B");
  expect_line("#!/bin/i\ta b\tc\n", "/bin/i", "a b\tc");
}

TEST(RunScriptParse, CarriageReturnStaysInTheWord) {
  expect_line("#!/bin/sh\r\necho\r\n", "/bin/sh\r", std::nullopt);
  expect_line("#!/bin/sh -e\r\n", "/bin/sh", "-e\r");
}

TEST(RunScriptParse, NoInterpreter) {
  expect_refused("#!\n/bin/sh\n", "no interpreter is named after #!");
  expect_refused("#!   \t\nx", "no interpreter is named after #!");
  expect_refused("#!" + std::string(300, ' '), "the #! line is nothing but blanks");
  expect_refused("echo hi\n", "the file does not start with #!");
}

TEST(RunScriptParse, ShortFileWithoutNewline) {
  // The kernel's buffer is zero-padded past the end of a short file: the NUL ends the name.
  expect_line("#!/bin/sh", "/bin/sh", std::nullopt);
  expect_line("#!/bin/sh -x", "/bin/sh", "-x");
}

TEST(RunScriptParse, NoNewlineWithin256Bytes) {
  // The interpreter path runs to byte 255: the kernel assumes it is cut short and refuses the file.
  expect_refused("#!/" + std::string(300, 'a'),
                 "the interpreter path does not end within the kernel's 256-byte #! buffer");
  // The path ends inside the buffer: accepted, the argument cut at byte 255 (the kernel's buffer ends there).
  std::string long_argument(300, 'x');
  expect_line("#!/bin/sh " + long_argument, "/bin/sh", std::string(255 - 10, 'x'));
}

TEST(RunScriptParse, ExactlyAt256Bytes) {
  std::string name = "/" + std::string(252, 'n');  // "#!" + 253 bytes of name: bytes 0 to 254
  // A newline at byte 255, the buffer's last: the whole line is there.
  expect_line("#!" + name + "\n", name, std::nullopt);
  // No newline, the name fills bytes 2 to 255 of a 256-byte file: refused.
  expect_refused("#!" + name + "n", "the interpreter path does not end within the kernel's 256-byte #! buffer");
  // No newline, a blank at byte 255: the name ended inside the buffer; the blank is its last byte and is dropped.
  expect_line("#!" + name + " ", name, std::nullopt);
  // The same with more of the file after it: only the first 256 bytes count.
  expect_line("#!" + name + " more arguments\n", name, std::nullopt);
  // A newline at byte 256, just past the buffer, does not count: the name ends at 255 and is refused.
  expect_refused("#!" + name + "n\n", "the interpreter path does not end within the kernel's 256-byte #! buffer");
}

TEST(RunScriptEnv, FollowsOneWordOnly) {
  EXPECT_EQ(env_command({"/usr/bin/env", "python3"}), "python3");
  EXPECT_EQ(env_command({"/bin/env", "./tool"}), "./tool");
  EXPECT_EQ(env_command({"/usr/bin/env", std::nullopt}), std::nullopt);
  EXPECT_EQ(env_command({"/usr/bin/env", "-S python3 -u"}), std::nullopt);
  EXPECT_EQ(env_command({"/usr/bin/env", "-i"}), std::nullopt);
  EXPECT_EQ(env_command({"/usr/bin/env", "A=1"}), std::nullopt);
  EXPECT_EQ(env_command({"/usr/bin/env", "python3 -u"}), std::nullopt);
  EXPECT_EQ(env_command({"/usr/bin/envy", "python3"}), std::nullopt);
  EXPECT_EQ(env_command({"/bin/sh", "python3"}), std::nullopt);
}

class RunScriptPlan : public ::testing::Test {
 protected:
  std::string script(const std::string& name, const std::string& text) {
    std::string path = dir_ / name;
    write_file(path, text);
    ::chmod(path.c_str(), 0755);
    return path;
  }
  RunPlan plan(const std::string& program, std::vector<std::string> args = {}) {
    RunRequest request;
    request.program = program;
    request.args = std::move(args);
    return plan_run(request);
  }
  TempDir dir_;
};

TEST_F(RunScriptPlan, InterpreterThatRunsAsItIs) {
  std::string path = script("s", "#!/bin/sh -e\necho hi\n");
  RunPlan result = plan(path, {"a", "b c"});
  ASSERT_EQ(result.kind, RunPlan::Kind::direct) << result.refusal;
  EXPECT_EQ(result.exec_path, path);
  EXPECT_EQ(result.argv, (std::vector<std::string>{path, "a", "b c"}));
  // The kernel drops a script's argv[0]: --argv0 changes nothing (and --print shows no `exec -a`).
  RunRequest with_argv0;
  with_argv0.program = path;
  with_argv0.argv0 = "other";
  EXPECT_EQ(plan_run(with_argv0).argv, (std::vector<std::string>{path}));
}

TEST_F(RunScriptPlan, MissingInterpreter) {
  std::string path = script("s", "#!/nonexistent/interpreter -x\n");
  RunPlan result = plan(path);
  EXPECT_EQ(result.kind, RunPlan::Kind::refused);
  EXPECT_EQ(result.refusal_status, 127);
  EXPECT_EQ(result.refusal, path +
                                ": /nonexistent/interpreter: bad interpreter: No such file or directory; `elfrun why " +
                                path + "` explains");
}

TEST_F(RunScriptPlan, InterpreterNotExecutable) {
  std::string interpreter = dir_ / "interp";
  write_file(interpreter, "not a program\n");
  ::chmod(interpreter.c_str(), 0644);
  std::string path = script("s", "#!" + interpreter + "\n");
  RunPlan result = plan(path);
  EXPECT_EQ(result.refusal_status, 126);
  EXPECT_NE(result.refusal.find(interpreter + ": bad interpreter: Permission denied"), std::string::npos)
      << result.refusal;
}

TEST_F(RunScriptPlan, UnparsableLineIsTheKernelsToReport) {
  std::string path = script("s", "#!\n");
  RunPlan result = plan(path);
  EXPECT_EQ(result.kind, RunPlan::Kind::direct);
  EXPECT_EQ(result.exec_path, path);
}

TEST_F(RunScriptPlan, FiveLevelsAreFollowedNotSix) {
  // s1 -> /bin/sh, s2 -> s1, ... : a chain of five scripts runs; six fail with ELOOP, as on Linux.
  std::string previous = "/bin/sh";
  for (int level = 1; level <= 6; ++level) {
    previous = script("s" + std::to_string(level), "#!" + previous + "\n");
  }
  RunPlan five = plan(dir_ / "s5");
  EXPECT_EQ(five.kind, RunPlan::Kind::direct) << five.refusal;
  RunPlan six = plan(dir_ / "s6");
  EXPECT_EQ(six.kind, RunPlan::Kind::refused);
  EXPECT_EQ(six.refusal_status, 126);
  EXPECT_NE(six.refusal.find("Too many levels of symbolic links"), std::string::npos) << six.refusal;
}

}  // namespace
}  // namespace elfrun::run
