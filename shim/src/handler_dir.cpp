#include "ancm/shim/handler_dir.h"

#include <cstdlib>
#include <system_error>

#include "ancm/common/current_executable.h"

namespace ancm::shim {
namespace {

bool holds_a_handler(const std::filesystem::path& dir) {
  std::error_code ec;
  for (auto model : {config::HostingModel::InProcess, config::HostingModel::OutOfProcess}) {
    if (std::filesystem::is_regular_file(dir / handler_file_name(model), ec)) return true;
  }
  return false;
}

const char* handler_dir_from_environment() {
  const char* dir = std::getenv("ANCM_HANDLER_DIR");
  return dir && *dir ? dir : nullptr;
}

std::vector<std::filesystem::path> candidates(const std::filesystem::path& exe) {
  if (const char* dir = handler_dir_from_environment()) return {dir};
  if (exe.empty()) return {"lib"};
  return common::companion_dirs(exe);
}

}  // namespace

std::string handler_file_name(config::HostingModel model) {
  return model == config::HostingModel::InProcess ? "libancm_inproc.so" : "libancm_outofproc.so";
}

HandlerDirSearch find_handler_dir() { return find_handler_dir(common::current_executable()); }

HandlerDirSearch find_handler_dir(const std::filesystem::path& executable) {
  HandlerDirSearch search;
  search.looked_in = candidates(executable);
  search.from_environment = handler_dir_from_environment() != nullptr;
  search.dir = search.looked_in.front();
  for (const auto& dir : search.looked_in) {
    if (!holds_a_handler(dir)) continue;
    search.dir = dir;
    search.found = true;
    break;
  }
  return search;
}

std::filesystem::path default_handler_dir() { return find_handler_dir().dir; }

std::string HandlerDirSearch::not_found_message() const {
  std::string places;
  for (std::size_t i = 0; i < looked_in.size(); ++i) {
    if (i > 0) places += i + 1 == looked_in.size() ? " or " : ", ";
    places += looked_in[i].string();
  }
  return "the handler libraries (libancm_inproc.so, libancm_outofproc.so) are not in " + places +
         ": install ancm-host with its libraries (cmake --install, or the Debian package) "
         "rather than copying the binary alone, or set ANCM_HANDLER_DIR to their folder";
}

}  // namespace ancm::shim
