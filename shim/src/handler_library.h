// Finding and dlopen-ing a handler library, as ANCM loads its handler DLLs.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "ancm/common/result.h"
#include "ancm/config/app_config.h"
#include "ancm/handler_abi.h"
#include "ancm/shim/handler_dir.h"

namespace ancm::shim {

class HandlerLibrary {
 public:
  ~HandlerLibrary();
  HandlerLibrary(const HandlerLibrary&) = delete;
  HandlerLibrary& operator=(const HandlerLibrary&) = delete;

  const ancm_handler_api& api() const { return *api_; }
  const std::filesystem::path& path() const { return path_; }

  struct LoadError {
    bool not_found = false;  // the file is missing (500.33 / 500.36), else 500.0
    std::string message;     // names the file and what went wrong
  };
  static common::Result<std::unique_ptr<HandlerLibrary>, LoadError> load(
      const std::filesystem::path& path);

  class Key {
    friend class HandlerLibrary;
    Key() = default;
  };
  HandlerLibrary(Key, void* handle, const ancm_handler_api* api, std::filesystem::path path);

 private:
  void* handle_;
  const ancm_handler_api* api_;
  std::filesystem::path path_;
};

}  // namespace ancm::shim
