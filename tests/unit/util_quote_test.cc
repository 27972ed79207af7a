// util/quote: shell words that shells read back byte for byte, sed replacements, lossless JSON strings.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "util/quote.h"

namespace {

using elfrun::util::json_string;
using elfrun::util::sed_replacement;
using elfrun::util::shell_command;
using elfrun::util::shell_quote;
using elfrun::util::shell_quote_path;

// What `SHELL -c "printf %s WORD"` writes, run in a fresh temporary directory: the word as the shell reads it back.
// Anything the word made the shell do (a command substitution, a glob) would show in the output or the directory.
std::string shell_reads(const std::string& shell, const std::string& quoted, bool& directory_clean) {
  char dir_template[] = "/tmp/elfrun-quote-XXXXXX";
  const char* dir = ::mkdtemp(dir_template);
  EXPECT_NE(dir, nullptr);
  std::string script = "printf %s " + quoted;
  int pipe_fds[2];
  EXPECT_EQ(::pipe(pipe_fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], 1);
    ::close(pipe_fds[0]);
    if (::chdir(dir) != 0) ::_exit(126);
    ::execlp(shell.c_str(), shell.c_str(), "-c", script.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::string output;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0) output.append(buffer, static_cast<size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << shell << " -c " << script;
  // The directory must still be empty (rmdir fails otherwise): nothing was created by the word.
  directory_clean = ::rmdir(dir) == 0;
  return output;
}

const std::vector<std::string>& hostile_words() {
  static const std::vector<std::string> words = {
      "plain",
      "with space",
      "it's",
      "'",
      "''",
      "$(touch marker)",
      "'$(touch${IFS}marker)'",
      "`touch marker`",
      "\"$HOME\"",
      "a\nb",
      "trailing newline\n",
      "\n",
      "tab\there",
      "esc\x1b[31mred",
      "del\x7f",
      "\x01\x02\x1f",
      "-rf",
      "--help",
      "*",
      "~",
      "a;b|c&d>e<f",
      "back\\slash\\",
      "bytes \xff\xfe \xc3\xa9",
      "!event",
      "{a,b}",
      "#comment",
  };
  return words;
}

TEST(ShellQuote, EveryShellReadsTheWordBack) {
  for (const char* shell : {"sh", "dash", "bash", "zsh"}) {
    if (::access((std::string("/bin/") + shell).c_str(), X_OK) != 0 &&
        ::access((std::string("/usr/bin/") + shell).c_str(), X_OK) != 0) {
      continue;  // sh and bash are always there; dash and zsh where installed
    }
    for (const std::string& word : hostile_words()) {
      bool clean = false;
      EXPECT_EQ(shell_reads(shell, shell_quote(word), clean), word) << shell << ": " << shell_quote(word);
      EXPECT_TRUE(clean) << shell << " created a file for " << shell_quote(word);
    }
  }
}

TEST(ShellQuote, NoControlCharacterButQuotedNewlines) {
  for (const std::string& word : hostile_words()) {
    for (char c : shell_quote(word)) {
      auto byte = static_cast<unsigned char>(c);
      EXPECT_TRUE(c == '\n' || (byte >= 0x20 && byte != 0x7f)) << "raw byte " << int(byte) << " for " << word;
    }
  }
}

TEST(ShellQuote, Forms) {
  EXPECT_EQ(shell_quote("/usr/bin/ls"), "/usr/bin/ls");
  EXPECT_EQ(shell_quote("a-b_c.d,e:f=g+h@i%j"), "a-b_c.d,e:f=g+h@i%j");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("a b"), "'a b'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote("a\tb"), "'a'\"$(printf '\\011')\"'b'");
  EXPECT_EQ(shell_quote("a\nb"), "'a\nb'");
  EXPECT_EQ(shell_command({"ls", "-l", "my file"}), "ls -l 'my file'");
}

TEST(ShellQuote, PathsNeverLookLikeOptions) {
  EXPECT_EQ(shell_quote_path("-rf"), "./-rf");
  EXPECT_EQ(shell_quote_path("-a b"), "'./-a b'");
  EXPECT_EQ(shell_quote_path("/x/-y"), "/x/-y");
  EXPECT_EQ(shell_quote_path("x"), "x");
}

TEST(SedReplacement, SpecialCharactersEscaped) {
  EXPECT_EQ(sed_replacement("/usr/bin/python3"), "/usr/bin/python3");
  EXPECT_EQ(sed_replacement("a&b|c\\d"), "a\\&b\\|c\\\\d");
  EXPECT_EQ(sed_replacement("a\nb"), "a\\\nb");
}

TEST(JsonString, ValidUtf8Unchanged) {
  EXPECT_EQ(json_string("libc.so.6"), "\"libc.so.6\"");
  EXPECT_EQ(json_string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
  EXPECT_EQ(json_string("q\"b\\n\nt\tc\x01"), "\"q\\\"b\\\\n\\nt\\tc\\u0001\"");
}

TEST(JsonString, InvalidBytesBecomeLoneSurrogates) {
  EXPECT_EQ(json_string("x\xff"), "\"x\\udcff\"");
  EXPECT_EQ(json_string("\x80"), "\"\\udc80\"");
  // Overlong, surrogate, past U+10FFFF and truncated sequences are invalid: each byte escaped on its own.
  EXPECT_EQ(json_string("\xc0\xaf"), "\"\\udcc0\\udcaf\"");
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");
  EXPECT_EQ(json_string("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");
  EXPECT_EQ(json_string("\xe2\x82"), "\"\\udce2\\udc82\"");
  EXPECT_EQ(json_string("\xe2\x82x"), "\"\\udce2\\udc82x\"");
}

}  // namespace
