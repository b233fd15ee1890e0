#include "free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <stdexcept>

namespace ancm::test {
namespace {

bool can_bind(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

}  // namespace

uint16_t free_tcp_port() {
  std::random_device seed;
  std::mt19937 random(seed());
  std::uniform_int_distribution<int> in_range(4000, 9999);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    auto port = static_cast<uint16_t>(in_range(random));
    if (can_bind(port)) return port;
  }
  throw std::runtime_error("free_tcp_port: no port in 4000-9999 could be bound on 127.0.0.1");
}

}  // namespace ancm::test
