// Printing helpers shared by every subcommand: colour only when the stream is a terminal and NO_COLOR is unset
// (https://no-color.org), one error format ("elfrun: FILE: message"), and a buffered stdout written through fmt.
#pragma once

#include <cstdio>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace elfrun::cli {

enum class Style { bold, dim, red, green, yellow, blue, cyan };

// Whether stdout / stderr get colour: a terminal (isatty), and no NO_COLOR in the environment (any value, even
// empty, as no-color.org asks). Decided once per process.
bool stdout_colour();
bool stderr_colour();

// `text` wrapped in the escape sequences of `style` when `enabled`, else `text` unchanged.
std::string styled(std::string_view text, Style style, bool enabled);
// The same for stdout.
inline std::string styled(std::string_view text, Style style) { return styled(text, style, stdout_colour()); }

// Gives stdout a large buffer when it is not a terminal, so that a listing of thousands of files costs few writes.
// Call before the first output.
void prepare_stdout();

// A string from a file made safe to print on a terminal: control characters and DEL become \r, \t, \n or \xNN;
// other bytes (UTF-8 included) pass through.
std::string printable(std::string_view text);

// A command line built with util::shell_quote made safe to print the same way, and still exact when pasted: a newline
// is written raw where sh reads it as part of a single-quoted word (the only form POSIX sh has for it), and escaped as
// printable() does everywhere else (outside quotes, in a # comment), where a raw one would start another command.
std::string printable_command(std::string_view command);

// The one JSON writer of every --json / --format json output: nlohmann's layout (indent < 0: one line; else that
// many spaces per level), with every string written by util::json_string, so that names that are not UTF-8 are
// escaped losslessly ("\udcff" for a 0xFF byte, as Python's surrogateescape) instead of aborting the output.
std::string json_text(const nlohmann::json& value, int indent);
// The same value as it is written at nesting level depth of a larger document (deps streams its objects).
std::string json_text(const nlohmann::json& value, int indent, int depth);
std::string json_text(const nlohmann::ordered_json& value, int indent);  // keys in the order they were added

// Writes text to stdout (buffered).
inline void out(std::string_view text) { std::fwrite(text.data(), 1, text.size(), stdout); }

// "elfrun: FILE: message" / "elfrun: message" on stderr. Flushes stdout first so that on a terminal the error
// appears after the output that precedes it.
void print_error(std::string_view file, std::string_view message);
void print_error(std::string_view message);
// "elfrun: FILE: warning: message" on stderr.
void print_warning(std::string_view file, std::string_view message);
// Makes util::report_untrusted (util/trust.h) print "elfrun: warning: ignoring ...", each line once.
void install_untrusted_reporter();

}  // namespace elfrun::cli
