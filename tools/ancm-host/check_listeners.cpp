#include "check_listeners.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "ancm/server/listen_address.h"

namespace ancm::tools {
namespace {

std::string label(std::string_view text) { return std::string(text); }

std::string http2_of(const server::ListenAddress& address) {
  if (!server::kServesHttp2) return "off";
  return address.tls ? "on (ALPN h2, else HTTP/1.1)"
                     : "on (h2c with prior knowledge, and HTTP/1.1)";
}

std::string socket_file_of(const server::ListenAddress& address,
                           const server::UnixSocketOptions& unix_socket) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", unix_socket.mode & 07777);
  std::string group =
      unix_socket.group.empty() ? "the group ancm-host runs as" : "group " + unix_socket.group;
  return address.unix_path + ", mode " + mode + ", " + group;
}

void print(const server::ListenAddress& address, const server::UnixSocketOptions& unix_socket) {
  std::printf("%s%s\n  %s%s\n  %s%s\n", label(server::kCheckListenerLabel).c_str(),
              address.url().c_str(), label(server::kCheckTlsLabel).c_str(),
              address.tls ? "yes" : "no", label(server::kCheckHttp2Label).c_str(),
              http2_of(address).c_str());
  if (address.is_unix) {
    std::printf("  %s%s\n", label(server::kCheckSocketFileLabel).c_str(),
                socket_file_of(address, unix_socket).c_str());
  }
}

}  // namespace

std::optional<std::vector<std::string>> urls_run_would_bind(const server::MasterOptions& options) {
  if (!options.listen.empty()) return options.listen;
  if (std::getenv("LISTEN_FDS")) return std::nullopt;
  return std::vector<std::string>{std::string(server::kDefaultListenUrl)};
}

void print_listeners(const server::MasterOptions& options) {
  auto urls = urls_run_would_bind(options);
  if (!urls) {
    std::printf("%sthe sockets systemd passes (LISTEN_FDS)\n",
                label(server::kCheckListenerLabel).c_str());
    return;
  }
  for (const auto& url : *urls) {
    auto address = server::parse_listen_url(url);
    if (address.ok()) print(address.value(), options.unix_socket);
  }
}

}  // namespace ancm::tools
