// A published test app run with plain `dotnet <App>.dll` on Kestrel, nothing
// of ancm-host involved: the reference the hosted app is compared with.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace ancm::test {

class KestrelDirect {
 public:
  // Starts `dotnet <app>.dll` in `folder` (an installed app, see
  // install_app) with ASPNETCORE_URLS on a free loopback port, in its own
  // process group; its output goes to /dev/null. env: more variables for it
  // (e.g. Kestrel__EndpointDefaults__Protocols).
  KestrelDirect(const std::filesystem::path& folder, const std::string& app,
                const std::map<std::string, std::string>& env = {});
  ~KestrelDirect();  // kills the whole process group
  KestrelDirect(const KestrelDirect&) = delete;
  KestrelDirect& operator=(const KestrelDirect&) = delete;

  uint16_t port() const { return port_; }
  // True once Kestrel answers `target` (any status) within the timeout.
  bool wait_until_serving(const std::string& target = "/",
                          std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;

 private:
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace ancm::test
