// Terminal detection, colour and the shared error format.
#include "cli/output.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "util/quote.h"
#include "util/trust.h"

namespace elfrun::cli {

namespace {

bool colour_for(int fd) { return ::isatty(fd) == 1 && std::getenv("NO_COLOR") == nullptr; }

const char* escape_of(Style style) {
  switch (style) {
    case Style::bold: return "\x1b[1m";
    case Style::dim: return "\x1b[2m";
    case Style::red: return "\x1b[31m";
    case Style::green: return "\x1b[32m";
    case Style::yellow: return "\x1b[33m";
    case Style::blue: return "\x1b[34m";
    case Style::cyan: return "\x1b[36m";
  }
  return "";
}

void print_to_stderr(std::string_view file, std::string_view label, Style style, std::string_view message) {
  std::fflush(stdout);
  std::string prefix = file.empty() ? "elfrun: " : fmt::format("elfrun: {}: ", printable(file));
  std::string line = fmt::format("{}{}\n", prefix, styled(fmt::format("{}{}", label, message), style, stderr_colour()));
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// A template over nlohmann's two object kinds: info and why build ordered_json (keys in the order written), the others
// json (keys sorted); converting one into the other would reorder the keys.
template <typename JsonValue>
void write_json(const JsonValue& value, int indent, int depth, std::string& text) {
  auto newline = [&](int level) {
    if (indent < 0) return;
    text.push_back('\n');
    text.append(static_cast<size_t>(indent) * static_cast<size_t>(level), ' ');
  };
  if (value.is_string()) {
    text += util::json_string(value.template get_ref<const std::string&>());
  } else if (value.is_object() || value.is_array()) {
    bool object = value.is_object();
    if (value.empty()) {
      text += object ? "{}" : "[]";
      return;
    }
    text.push_back(object ? '{' : '[');
    bool first = true;
    for (auto item = value.begin(); item != value.end(); ++item) {
      if (!first) text.push_back(',');
      first = false;
      newline(depth + 1);
      if (object) {
        text += util::json_string(item.key());
        text += indent < 0 ? ":" : ": ";
      }
      write_json(item.value(), indent, depth + 1, text);
    }
    newline(depth);
    text.push_back(object ? '}' : ']');
  } else {
    text += value.dump();  // numbers, booleans, null: no strings inside
  }
}

}  // namespace

std::string json_text(const nlohmann::json& value, int indent) {
  std::string text;
  write_json(value, indent, 0, text);
  return text;
}

std::string json_text(const nlohmann::json& value, int indent, int depth) {
  std::string text;
  write_json(value, indent, depth, text);
  return text;
}

std::string json_text(const nlohmann::ordered_json& value, int indent) {
  std::string text;
  write_json(value, indent, 0, text);
  return text;
}

bool stdout_colour() {
  static const bool enabled = colour_for(STDOUT_FILENO);
  return enabled;
}

bool stderr_colour() {
  static const bool enabled = colour_for(STDERR_FILENO);
  return enabled;
}

std::string styled(std::string_view text, Style style, bool enabled) {
  if (!enabled) return std::string(text);
  return fmt::format("{}{}\x1b[0m", escape_of(style), text);
}

std::string printable(std::string_view text) {
  std::string result;
  result.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      result.push_back(c);
    } else if (c == '\r') {
      result += "\\r";
    } else if (c == '\t') {
      result += "\\t";
    } else if (c == '\n') {
      result += "\\n";
    } else {
      result += fmt::format("\\x{:02x}", byte);
    }
  }
  return result;
}

std::string printable_command(std::string_view command) {
  // The quoting states of sh's tokenizer (POSIX XCU 2.2-2.3), enough to know where a newline is inside '...'.
  enum class State { plain, single, dual, comment } state = State::plain;
  std::string result;
  bool word_start = true;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (c == '\n' && state == State::single) {
      result.push_back(c);
      continue;
    }
    result += printable(std::string_view(&c, 1));
    switch (state) {
      case State::plain:
        if (c == '\'') state = State::single;
        if (c == '"') state = State::dual;
        if (c == '#' && word_start) state = State::comment;
        if (c == '\\' && i + 1 < command.size()) result += printable(command.substr(++i, 1));
        break;
      case State::single:
        if (c == '\'') state = State::plain;
        break;
      case State::dual:
        if (c == '"') state = State::plain;
        if (c == '\\' && i + 1 < command.size()) result += printable(command.substr(++i, 1));
        break;
      case State::comment: break;
    }
    word_start = state == State::plain && (c == ' ' || c == '\t' || c == ';' || c == '&' || c == '|');
  }
  return result;
}

void prepare_stdout() {
  static bool done = false;
  if (done) return;
  done = true;
  if (::isatty(STDOUT_FILENO) != 1) std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
}

void print_error(std::string_view file, std::string_view message) { print_to_stderr(file, "", Style::red, message); }

void print_error(std::string_view message) { print_to_stderr("", "", Style::red, message); }

void print_warning(std::string_view file, std::string_view message) {
  print_to_stderr(file, "warning: ", Style::yellow, message);
}

void install_untrusted_reporter() {
  util::set_untrusted_reporter([](std::string_view line) {
    static std::set<std::string, std::less<>> printed;
    if (printed.insert(std::string(line)).second) print_warning("", line);
  });
}

}  // namespace elfrun::cli
