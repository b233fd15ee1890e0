#include "command_output.h"

#include <array>
#include <cstdio>
#include <memory>

namespace ancm::test {

std::string command_output(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return out;
  std::array<char, 4096> buffer{};
  while (auto n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) {
    out.append(buffer.data(), n);
  }
  return out;
}

std::string curl_unix_socket(const std::filesystem::path& socket, const std::string& url,
                             const std::string& options) {
  return command_output("curl -s --max-time 30 " + options + " --unix-socket '" + socket.string() +
                        "' -w '|%{http_code}|%{http_version}' '" + url + "'");
}

}  // namespace ancm::test
