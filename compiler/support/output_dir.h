// Atomic output folders: all files are generated in memory first; then the
// folder is written so that a failure leaves no partial folder behind (a
// folder emlc created is removed again; in an existing folder, each file is
// written to a temporary name inside it and renamed into place). Nothing is
// ever written outside the folder.
#pragma once

#include <map>
#include <string>

#include "support/status.h"

namespace emlc {

Status writeOutputDir(const std::string& dir, const std::map<std::string, std::string>& files);

}  // namespace emlc
