#include "h2c_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <nghttp2/nghttp2.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <string>

#include "ancm/common/unique_fd.h"

namespace ancm::outofproc {
namespace {

using Clock = std::chrono::steady_clock;

// RFC 9113 §3.4: the preface, then a SETTINGS frame (here empty).
constexpr std::string_view kPreface{NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC_LEN};
constexpr char kEmptySettings[] = {0, 0, 0, 0x04, 0, 0, 0, 0, 0};
constexpr std::size_t kFrameHeader = 9;
constexpr unsigned char kSettingsType = 0x04;
constexpr unsigned char kAckFlag = 0x01;

bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return false;
  }
}

common::UniqueFd connect_loopback(std::uint16_t port, Clock::time_point deadline) {
  common::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return {};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return fd;
  }
  if (errno != EINPROGRESS || !wait_for(fd.get(), POLLOUT, deadline)) return {};
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0 || error != 0) return {};
  return fd;
}

// The preface is 33 bytes: one send fits a fresh socket's buffer.
bool send_preface(int fd) {
  std::string hello(kPreface);
  hello.append(kEmptySettings, sizeof kEmptySettings);
  return ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(hello.size());
}

std::string read_frame_header(int fd, Clock::time_point deadline) {
  std::string got;
  char buffer[kFrameHeader];
  while (got.size() < kFrameHeader && wait_for(fd, POLLIN, deadline)) {
    ssize_t n = ::recv(fd, buffer, kFrameHeader - got.size(), 0);
    if (n <= 0) break;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  return got;
}

}  // namespace

ChildProtocol protocol_of_answer(std::string_view first_bytes) {
  if (first_bytes.size() < kFrameHeader) return ChildProtocol::Http1;
  auto type = static_cast<unsigned char>(first_bytes[3]);
  auto flags = static_cast<unsigned char>(first_bytes[4]);
  bool settings = type == kSettingsType && (flags & kAckFlag) == 0;
  return settings ? ChildProtocol::H2c : ChildProtocol::Http1;
}

ChildProtocol probe_child_protocol(std::uint16_t port, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  common::UniqueFd fd = connect_loopback(port, deadline);
  if (!fd || !send_preface(fd.get())) return ChildProtocol::Http1;
  return protocol_of_answer(read_frame_header(fd.get(), deadline));
}

}  // namespace ancm::outofproc
