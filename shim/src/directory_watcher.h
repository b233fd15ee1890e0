// Watches the application folder (inotify) for app_offline.htm and web.config.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "ancm/common/unique_fd.h"

namespace ancm::shim {

class DirectoryWatcher {
 public:
  // on_change gets the file name (e.g. "web.config") after a quiet period, so
  // an editor's several writes make one call. Runs on the watcher's thread.
  using OnChange = std::function<void(const std::string& name)>;

  using Filter = std::function<bool(const std::string& name)>;

  // Reports changes to the files in folder whose name passes the filter.
  DirectoryWatcher(const std::filesystem::path& folder, Filter interesting, OnChange on_change);
  ~DirectoryWatcher();  // stops and joins
  DirectoryWatcher(const DirectoryWatcher&) = delete;
  DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

 private:
  void run();

  std::filesystem::path folder_;
  Filter interesting_;
  OnChange on_change_;
  common::UniqueFd inotify_;
  common::UniqueFd wake_;  // eventfd: tells the thread to stop
  std::jthread thread_;
};

}  // namespace ancm::shim
