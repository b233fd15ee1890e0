// What a user gave instead of a published app's web.config, said plainly: the
// app's .dll, a project's source folder, a folder without web.config. The
// first hour with ancm-host runs into these.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace ancm::config {

// The mistake and what to do instead, or nothing when `target` may well be a
// web.config or a folder holding one.
std::optional<std::string> target_mistake(const std::filesystem::path& target);

}  // namespace ancm::config
