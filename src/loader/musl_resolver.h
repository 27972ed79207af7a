// musl's loader model (ldso/dynlink.c load_library, load_deps): LD_LIBRARY_PATH, then the RPATH/RUNPATH of the
// requester and its requesters alike, then /etc/ld-musl-ARCH.path or "/lib:/usr/local/lib:/usr/lib"; libc names
// resolve to the loader itself; no SONAME matching; the first file that opens is taken.
#pragma once

#include "loader/resolver_internal.h"

namespace elfrun::loader {

void run_musl_model(ResolverContext& context, Resolution& resolution, const elf::ElfObject& program);

}  // namespace elfrun::loader
