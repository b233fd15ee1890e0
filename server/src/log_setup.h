#pragma once

#include <filesystem>
#include <string_view>

namespace ancm::server {

// Debug log per the app's handlerSettings and ASPNETCORE_MODULE_DEBUG*; a
// configuration that does not load leaves the defaults (console, INFO).
void set_up_logging(const std::filesystem::path& target, std::string_view role);

}  // namespace ancm::server
