// Where the handler libraries (libancm_inproc.so, libancm_outofproc.so) are:
// ANCM_HANDLER_DIR when set, else beside the running binary, as installed
// (<bin>/../lib/ancm-host) or as built (<bin>/../lib).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ancm/config/app_config.h"

namespace ancm::shim {

struct HandlerDirSearch {
  std::filesystem::path dir;                     // the folder found, else the first looked in
  std::vector<std::filesystem::path> looked_in;  // in order
  bool found = false;                            // dir holds at least one handler library
  bool from_environment = false;                 // ANCM_HANDLER_DIR named it

  // "the handler libraries (...) are not in A or B: ..." for a start-up error.
  std::string not_found_message() const;
};

// Beside `executable` (the ancm-host binary): the master, a program of its
// own, asks for the folder of the binary it starts as its worker.
HandlerDirSearch find_handler_dir(const std::filesystem::path& executable);
// Beside the running binary.
HandlerDirSearch find_handler_dir();

// find_handler_dir().dir.
std::filesystem::path default_handler_dir();

// libancm_inproc.so or libancm_outofproc.so.
std::string handler_file_name(config::HostingModel model);

}  // namespace ancm::shim
