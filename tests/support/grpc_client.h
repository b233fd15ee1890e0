// Runs the GrpcClient test app (tests/apps/GrpcClient) as a child process:
// one gRPC scenario against an address, its output and its exit code.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "client_app.h"

namespace ancm::test {

// The scenarios GrpcClient knows, each exiting 0 only when its answers are right.
const std::vector<std::string>& grpc_scenarios();

using GrpcClientRun = ClientAppRun;

// `dotnet GrpcClient.dll <address> <scenario> [--ca <ca_file>]`, waited for
// at most `timeout` (then killed).
GrpcClientRun run_grpc_client(const std::string& address, const std::string& scenario,
                              const std::string& ca_file = "",
                              std::chrono::milliseconds timeout = std::chrono::seconds(90));

}  // namespace ancm::test
