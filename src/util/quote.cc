// See quote.h.
#include "util/quote.h"

#include <cstdint>

namespace elfrun::util {

namespace {

bool shell_safe(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '_':
    case '-':
    case '.':
    case '/':
    case ',':
    case ':':
    case '=':
    case '+':
    case '@':
    case '%': return true;
    default: return false;
  }
}

// The length of the valid UTF-8 sequence at the start of `text` (1 to 4), or 0 when its first byte does not start
// one: overlong forms, surrogates (U+D800-U+DFFF) and values past U+10FFFF are invalid (RFC 3629, section 4).
size_t utf8_sequence(std::string_view text) {
  auto byte = [&text](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead == 0xe0) low = 0xa0;   // overlong
    if (lead == 0xed) high = 0x9f;  // surrogates
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead == 0xf0) low = 0x90;   // overlong
    if (lead == 0xf4) high = 0x8f;  // past U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  if (byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) return 0;
  }
  return length;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::string shell_quote(std::string_view word) {
  bool bare = !word.empty();
  for (char c : word) bare = bare && shell_safe(static_cast<unsigned char>(c));
  if (bare) return std::string(word);
  std::string quoted = "'";
  for (char c : word) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\'') {
      quoted += "'\\''";
    } else if ((byte < 0x20 && c != '\n') || byte == 0x7f) {
      // Close the quotes, let printf make the byte (octal: POSIX printf's \ddd), open them again.
      quoted += "'\"$(printf '\\";
      quoted.push_back(static_cast<char>('0' + (byte >> 6)));
      quoted.push_back(static_cast<char>('0' + ((byte >> 3) & 7)));
      quoted.push_back(static_cast<char>('0' + (byte & 7)));
      quoted += "')\"'";
    } else {
      quoted.push_back(c);
    }
  }
  quoted.push_back('\'');
  return quoted;
}

std::string shell_command(const std::vector<std::string>& argv) {
  std::string command;
  for (const std::string& word : argv) {
    if (!command.empty()) command.push_back(' ');
    command += shell_quote(word);
  }
  return command;
}

std::string sed_replacement(std::string_view text) {
  std::string escaped;
  for (char c : text) {
    if (c == '\\' || c == '&' || c == '|' || c == '\n') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return escaped;
}

std::string shell_quote_path(std::string_view path) {
  if (!path.empty() && path[0] == '-') return shell_quote("./" + std::string(path));
  return shell_quote(path);
}

std::string json_string(std::string_view text) {
  std::string json;
  json.reserve(text.size() + 2);
  json.push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t length = utf8_sequence(text.substr(i));
      if (length != 0) {
        json.append(text.substr(i, length));
        i += length;
      } else {
        // surrogateescape: the byte 0xNN becomes U+DCNN.
        json += "\\udc";
        json.push_back(kHex[c >> 4]);
        json.push_back(kHex[c & 0xf]);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"': json += "\\\""; break;
      case '\\': json += "\\\\"; break;
      case '\b': json += "\\b"; break;
      case '\f': json += "\\f"; break;
      case '\n': json += "\\n"; break;
      case '\r': json += "\\r"; break;
      case '\t': json += "\\t"; break;
      default:
        if (c < 0x20) {
          json += "\\u00";
          json.push_back(kHex[c >> 4]);
          json.push_back(kHex[c & 0xf]);
        } else {
          json.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  json.push_back('"');
  return json;
}

}  // namespace elfrun::util
