// File capabilities (the security.capability extended attribute, capabilities(7)): like setuid, the kernel grants
// them only to a program it execs itself (fs/exec.c, security/commoncap.c cap_bprm_creds_from_file), so a program
// run through a loader, or bundled, silently runs without them. run refuses it as it refuses setuid (unless
// --allow-setuid), why reports `file-capabilities`, bundle warns.
#pragma once

#include <optional>
#include <string>

namespace elfrun::util {

// "permitted 0x400 (effective)"-style text when the file at `path` carries file capabilities; nullopt when it carries
// none (or the attribute cannot be read: no xattr support means no capabilities either).
std::optional<std::string> file_capabilities(const std::string& path);

}  // namespace elfrun::util
