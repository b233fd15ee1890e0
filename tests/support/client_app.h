// Runs a client test app (a console app in tests/apps, such as GrpcClient or
// WebSocketClient) as a child process with `dotnet <App>.dll <args...>`: its
// output and its exit code, waited for at most a timeout (then killed).
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ancm::test {

struct ClientAppRun {
  int exit_code = -1;  // -1: killed at the timeout, or not started
  std::string output;  // stdout and stderr together
};

ClientAppRun run_client_app(const std::string& app, const std::vector<std::string>& args,
                            std::chrono::milliseconds timeout = std::chrono::seconds(90));

}  // namespace ancm::test
