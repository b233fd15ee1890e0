#include "payloads.h"

#include <cstdio>
#include <random>

namespace ancm::test {

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string data(size, '\0');
  for (auto& c : data) c = static_cast<char>(byte(generator));
  return data;
}

std::string fixed_length_post(const std::string& target, const std::string& body) {
  return "POST " + target +
         " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

std::string chunked_post(const std::string& target, const std::string& body, std::size_t piece) {
  std::string request =
      "POST " + target + " HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < body.size(); at += piece) {
    auto part = body.substr(at, piece);
    char size[20];
    std::snprintf(size, sizeof size, "%zx\r\n", part.size());
    request += size + part + "\r\n";
  }
  return request + "0\r\n\r\n";
}

std::optional<HttpResponse> exchange(uint16_t port, std::string request) {
  HttpConnection connection(port);
  auto sent = connection.send_in_background(std::move(request));
  auto response = connection.read_response(std::chrono::seconds(60));
  if (!sent.get()) return std::nullopt;
  return response;
}

std::string websocket_upgrade(const std::string& path) {
  return "GET " + path +
         " HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

std::string websocket_text_frame(const std::string& text) {
  std::string frame;
  frame += static_cast<char>(0x81);
  frame += static_cast<char>(0x80 | text.size());
  const char mask[4] = {0x11, 0x22, 0x33, 0x44};
  frame.append(mask, 4);
  for (std::size_t i = 0; i < text.size(); ++i) frame += static_cast<char>(text[i] ^ mask[i % 4]);
  return frame;
}

}  // namespace ancm::test
