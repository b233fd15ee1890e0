// Whether the shared frameworks an app's *.runtimeconfig.json asks for are
// installed under a dotnet root, by the roll-forward rules hostfxr applies
// (without them the app fails with 500.31, or 502.5 out-of-process).
#pragma once

#include <filesystem>

#include "check_finding.h"

namespace ancm::tools {

// One finding per framework, or one problem when the file cannot be read.
// A self-contained app (includedFrameworks) needs none.
CheckFindings check_frameworks(const std::filesystem::path& runtime_config,
                               const std::filesystem::path& dotnet_root);

}  // namespace ancm::tools
