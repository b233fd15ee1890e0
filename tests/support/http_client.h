// A small blocking HTTP/1.1 client for the end-to-end tests: raw bytes out,
// responses parsed with Beast, every wait bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace ancm::test {

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool keep_alive = false;
  std::string header(const std::string& lower_name) const;
  bool has_header(const std::string& lower_name) const;
};

// A Unix domain socket to connect to instead of a TCP port.
struct UnixSocket {
  std::filesystem::path path;
};

class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port, const std::string& host = "127.0.0.1");
  explicit HttpConnection(const UnixSocket& socket);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  bool connected() const;
  uint16_t local_port() const;  // the client side's port
  void send(const std::string& bytes);
  // Sends from another thread, so a test can read the response meanwhile
  // (an echo answers while the upload is still going).
  std::future<bool> send_in_background(std::string bytes);
  // One response; nullopt on timeout, close or a malformed response.
  // head_request: the response to a HEAD has no body.
  std::optional<HttpResponse> read_response(
      std::chrono::milliseconds timeout = std::chrono::seconds(10), bool head_request = false);
  // True when the server closed the connection within the timeout.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Reads whatever arrives until close or timeout.
  std::string read_raw(std::chrono::milliseconds timeout);
  // Reads until what arrived holds marker (or close, or timeout), and returns
  // all of it.
  std::string read_until(const std::string& marker, std::chrono::milliseconds timeout);
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A slow client: sends piece on the connection every interval, from a
// thread of its own, until destroyed (a body that trickles in).
class Trickle {
 public:
  Trickle(HttpConnection& connection, std::string piece, std::chrono::milliseconds interval);

 private:
  std::jthread thread_;
};

// One request on a new connection: "GET /path HTTP/1.1" with Host and
// Connection: close. extra_headers lines end in "\r\n".
std::optional<HttpResponse> http_get(uint16_t port, const std::string& target,
                                     const std::string& extra_headers = "",
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

// "GET <target> HTTP/1.1\r\nHost: test\r\n<extra>\r\n"
std::string get_request(const std::string& target, const std::string& extra_headers = "");

}  // namespace ancm::test
