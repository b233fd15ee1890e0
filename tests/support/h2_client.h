// A small blocking HTTP/2 client on nghttp2 (prior knowledge, cleartext), for
// tests: submit requests, reset streams, run the connection until what the
// test waits for happened (every wait bounded), then read what each stream got.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

struct nghttp2_session;

namespace ancm::test {

struct H2Request {
  std::string method = "GET";
  std::string path = "/";
  std::string authority = "test";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> body;  // none: END_STREAM on HEADERS
  std::vector<std::pair<std::string, std::string>> trailers;
  // The stream stays open after the body (no END_STREAM): a tunnel's.
  bool keep_open = false;
};

// A GET of path; a POST of body to path (with trailers after it).
H2Request h2_get(std::string path);
H2Request h2_post(std::string path, std::string body,
                  std::vector<std::pair<std::string, std::string>> trailers = {});

struct H2Response {
  int status = 0;
  std::multimap<std::string, std::string> headers;
  std::string body;
  std::multimap<std::string, std::string> trailers;
  bool closed = false;      // the stream ended (either way)
  uint32_t close_code = 0;  // its error code: 0 after END_STREAM both ways
  std::string header(const std::string& name) const;
};

class H2Client {
 public:
  // Connects and sends the preface and SETTINGS (initial_window: the
  // client's stream window, for flow-control tests).
  explicit H2Client(uint16_t port, uint32_t initial_window = 65535);
  ~H2Client();
  H2Client(const H2Client&) = delete;
  H2Client& operator=(const H2Client&) = delete;

  bool connected() const;
  int32_t submit(const H2Request& request);
  void reset(int32_t stream_id, uint32_t error_code);
  // Runs the connection until done() or the timeout; false on timeout.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool run_until_closed(const std::vector<int32_t>& streams,
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // One request to its end.
  std::optional<H2Response> fetch(const H2Request& request,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

  const H2Response& response(int32_t stream_id) { return responses_[stream_id]; }
  bool goaway_received() const { return goaway_code_.has_value(); }
  std::optional<uint32_t> goaway_code() const { return goaway_code_; }
  bool connection_closed() const { return connection_closed_; }

 private:
  struct Callbacks;
  struct Upload {
    std::string body;
    std::size_t offset = 0;
    std::vector<std::pair<std::string, std::string>> trailers;
    bool keep_open = false;
  };
  bool pump(std::chrono::milliseconds wait);
  bool flush_out();

  int fd_ = -1;
  struct SessionDeleter {
    void operator()(::nghttp2_session* session) const;
  };
  std::unique_ptr<::nghttp2_session, SessionDeleter> session_;
  std::map<int32_t, H2Response> responses_;
  std::map<int32_t, std::unique_ptr<Upload>> uploads_;
  std::optional<uint32_t> goaway_code_;
  bool connection_closed_ = false;
};

}  // namespace ancm::test
