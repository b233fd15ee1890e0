// A stand-in for a Kestrel child in the process manager tests: listens on
// 127.0.0.1:$ASPNETCORE_PORT and answers every request with its pid, the way
// an app under ANCM would, with switches for the ways apps misbehave.
//
//   --print TEXT        print TEXT on stdout at start
//   --print-env         print the whole environment on stdout at start
//   --exit-early CODE   print a line on stdout and stderr, then exit with CODE
//   --never-listen      print a line, then sleep forever
//   --grandchild        fork; the grandchild listens, this process only waits
//   --delay-ms N        wait N ms before listening
//   --event-file PATH   append a line to PATH for each shutdown event received
//   --stubborn          ignore SIGTERM and do not exit on the shutdown event
//   --close-after-first stop listening after the first request (stays alive)
//   --keep-alive        persistent HTTP/1.1 connections framed like Kestrel's
//                       (fake_backend_keep_alive.h), for the proxy tests
//   --request-log PATH  with --keep-alive: append each request run to PATH
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "fake_backend_keep_alive.h"

extern char** environ;

namespace {

struct Options {
  bool print_env = false;
  std::string print;
  int exit_early = -1;
  bool never_listen = false;
  bool grandchild = false;
  int delay_ms = 0;
  std::string event_file;
  bool stubborn = false;
  bool close_after_first = false;
  bool keep_alive = false;
  std::string request_log = "/dev/null";
};

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// Case-insensitive header lookup in a raw request head.
std::string header(const std::string& head, const std::string& name) {
  std::string lower_head = head;
  std::string lower_name = name;
  for (char& c : lower_head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : lower_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::size_t at = lower_head.find("\r\n" + lower_name + ":");
  if (at == std::string::npos) return "";
  std::size_t start = at + 2 + name.size() + 1;
  std::size_t end = head.find("\r\n", start);
  std::string value = head.substr(start, end - start);
  while (!value.empty() && value.front() == ' ') value.erase(0, 1);
  return value;
}

void respond(int fd, const std::string& status, const std::string& body) {
  std::string response = "HTTP/1.1 " + status +
                         "\r\nContent-Length: " + std::to_string(body.size()) +
                         "\r\nConnection: close\r\n\r\n" + body;
  (void)!::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
}

int serve(const Options& options) {
  int port = std::atoi(env("ASPNETCORE_PORT").c_str());
  int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 64) != 0) {
    say("fake backend: cannot listen on port " + std::to_string(port) + ": " +
        std::strerror(errno));
    return 2;
  }
  say("fake backend " + std::to_string(::getpid()) + " listening on port " + std::to_string(port));
  if (options.keep_alive) return ancm::test::serve_keep_alive(listener, options.request_log);
  while (true) {
    int client = ::accept(listener, nullptr, nullptr);
    if (client < 0 || ancm::test::answered_h2_probe(client)) continue;
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      ssize_t got = ::recv(client, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      head.append(buffer, static_cast<std::size_t>(got));
    }
    bool shutdown_event = head.starts_with("POST /iisintegration ") &&
                          header(head, "MS-ASPNETCORE-EVENT") == "shutdown";
    if (shutdown_event) {
      bool token_ok = header(head, "MS-ASPNETCORE-TOKEN") == env("ASPNETCORE_TOKEN");
      if (!options.event_file.empty()) {
        std::ofstream(options.event_file, std::ios::app)
            << "shutdown " << (token_ok ? "token-ok" : "token-bad") << " pid " << ::getpid()
            << "\n";
      }
      respond(client, "202 Accepted", "");
      ::close(client);
      say("fake backend: shutdown event");
      if (!options.stubborn) return 0;
      continue;
    }
    respond(client, "200 OK", "pid " + std::to_string(::getpid()));
    ::close(client);
    if (options.close_after_first) {
      ::close(listener);
      say("fake backend: stopped listening");
      while (true) ::pause();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
    if (arg == "--print-env")
      options.print_env = true;
    else if (arg == "--print")
      options.print = next();
    else if (arg == "--exit-early")
      options.exit_early = std::atoi(next().c_str());
    else if (arg == "--never-listen")
      options.never_listen = true;
    else if (arg == "--grandchild")
      options.grandchild = true;
    else if (arg == "--delay-ms")
      options.delay_ms = std::atoi(next().c_str());
    else if (arg == "--event-file")
      options.event_file = next();
    else if (arg == "--stubborn")
      options.stubborn = true;
    else if (arg == "--close-after-first")
      options.close_after_first = true;
    else if (arg == "--keep-alive")
      options.keep_alive = true;
    else if (arg == "--request-log")
      options.request_log = next();
    else
      say("fake backend: argument '" + arg + "'");
  }
  if (options.stubborn) ::signal(SIGTERM, SIG_IGN);
  if (!options.print.empty()) say(options.print);
  if (options.print_env) {
    for (char** entry = environ; *entry != nullptr; ++entry) say(std::string("ENV ") + *entry);
  }
  if (options.exit_early >= 0) {
    say("fake backend: failing on purpose with " + std::to_string(options.exit_early));
    std::fputs("fake backend: and on stderr\n", stderr);
    return options.exit_early;
  }
  if (options.never_listen) {
    say("fake backend: never listening");
    while (true) ::pause();
  }
  if (options.delay_ms > 0) ::usleep(static_cast<useconds_t>(options.delay_ms) * 1000);
  if (options.grandchild) {
    pid_t pid = ::fork();
    if (pid == 0) return serve(options);
    say("fake backend: grandchild " + std::to_string(pid) + " serves");
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
  }
  return serve(options);
}
