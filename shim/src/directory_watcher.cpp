#include "directory_watcher.h"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

namespace ancm::shim {
namespace {

// Editors and deploys write in several steps; wait for this much quiet
// before reacting, so a half-copied build is not picked up.
constexpr int kQuietMs = 200;

}  // namespace

DirectoryWatcher::DirectoryWatcher(const std::filesystem::path& folder, Filter interesting,
                                   OnChange on_change)
    : folder_(folder),
      interesting_(std::move(interesting)),
      on_change_(std::move(on_change)),
      inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)),
      wake_(::eventfd(0, EFD_CLOEXEC)) {
  if (!inotify_ || !wake_) {
    spdlog::error("cannot watch {}: {}; app_offline.htm and web.config edits will be missed",
                  folder_.string(), std::strerror(errno));
    return;
  }
  constexpr uint32_t kMask =
      IN_CLOSE_WRITE | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_MODIFY;
  if (::inotify_add_watch(inotify_.get(), folder_.c_str(), kMask) < 0) {
    spdlog::error("cannot watch {}: {}", folder_.string(), std::strerror(errno));
    return;
  }
  thread_ = std::jthread([this] { run(); });
}

DirectoryWatcher::~DirectoryWatcher() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(wake_.get(), &one, sizeof one);
    thread_.join();
  }
}

void DirectoryWatcher::run() {
  std::set<std::string> changed;
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    pollfd fds[] = {{inotify_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    int ready = ::poll(fds, 2, changed.empty() ? -1 : kQuietMs);
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (ready == 0) {
      for (const auto& name : changed) on_change_(name);
      changed.clear();
      continue;
    }
    if (!(fds[0].revents & POLLIN)) continue;
    ssize_t length;
    while ((length = ::read(inotify_.get(), buffer, sizeof buffer)) > 0) {
      for (char* p = buffer; p < buffer + length;) {
        auto* event = reinterpret_cast<inotify_event*>(p);
        if (event->len > 0) {
          std::string name(event->name);
          if (interesting_(name)) changed.insert(name);
        }
        p += sizeof(inotify_event) + event->len;
      }
    }
  }
}

}  // namespace ancm::shim
