// Escaping of bytes for the two languages elfrun writes text in for others to read back: the shell (commands printed
// for a person to paste) and JSON. Both take any bytes, since names come from files and file systems, which need not
// be UTF-8 and may hold quotes, newlines or a leading '-'.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace elfrun::util {

// One shell word that a POSIX shell (dash, bash, zsh, busybox) reads back as exactly `word`, the one quoting of every
// command elfrun prints for a person to paste. Left bare when it only holds characters no shell treats specially
// (letters, digits and _ - . / , : = + @ %), else wrapped in single quotes, in which nothing is special but the
// quote itself, written '\''; $(), backticks, spaces, globs and bytes past 0x7f are plain bytes there. Control
// characters are never written raw, so that printing the command cannot drive a terminal: each one but the newline
// becomes "$(printf '\ooo')" between the quoted parts (a command substitution keeps every byte but trailing
// newlines). A newline has no such form in POSIX sh ($'\n' is not in dash), so it stays raw inside the quotes and
// the command spans lines; cli's printable_command shows exactly those newlines and escapes every other.
std::string shell_quote(std::string_view word);

// Words joined by spaces, each one shell_quote'd: an argv as a command line.
std::string shell_command(const std::vector<std::string>& argv);

// A path as a shell word that no command can take for an option: a relative path starting with '-' gets "./" in
// front ("-x" becomes ./-x), then shell_quote. Use it for every path argument of a printed command.
std::string shell_quote_path(std::string_view path);

// `text` escaped for the replacement part of a sed s|...|TEXT| command: '\\', '&', '|' and newlines get a
// backslash (POSIX sed, "s/BRE/replacement/flags"). The result still needs shell_quote as part of the sed script.
std::string sed_replacement(std::string_view text);

// `text` as a JSON string, quotes included, lossless for any bytes. Valid UTF-8 passes through; '"', '\' and
// control characters are escaped as JSON requires (\n, \t, \u001b...); every byte that is not part of a valid UTF-8
// sequence (0x80-0xFF) becomes the escape of the lone surrogate U+DC80-U+DCFF, which is how Python's
// "surrogateescape" (PEP 383) and Rust's OsStr on Windows-like encodings carry undecodable bytes: a 0xFF byte is
// written "\udcff". A reader gets the bytes back with s.encode("utf-8", "surrogateescape") in Python; a plain UTF-8
// reader (jq) shows U+FFFD in its place. Strings that are valid UTF-8 are written exactly as before.
std::string json_string(std::string_view text);

}  // namespace elfrun::util
