// why's `elfrun run --fetch` remedy (fetch_remedy.cc).
#pragma once

#include <string>

#include "diagnose/findings.h"

namespace elfrun::diagnose {

// When nothing on the machine runs the program and packages of the archive would: the `run --fetch` line as the
// diagnosis's run command, and the packages in the first blocking finding's evidence. Never touches the network.
void add_fetch_remedy(const std::string& program, const DiagnoseOptions& options, Diagnosis& diagnosis);

}  // namespace elfrun::diagnose
