#include "grpc_client.h"

namespace ancm::test {

const std::vector<std::string>& grpc_scenarios() {
  static const std::vector<std::string> scenarios = {
      "unary", "server-streaming", "client-streaming", "slow-client-streaming", "bidi", "deadline",
      "cancel"};
  return scenarios;
}

GrpcClientRun run_grpc_client(const std::string& address, const std::string& scenario,
                              const std::string& ca_file, std::chrono::milliseconds timeout) {
  std::vector<std::string> args = {address, scenario};
  if (!ca_file.empty()) {
    args.emplace_back("--ca");
    args.push_back(ca_file);
  }
  return run_client_app("GrpcClient", args, timeout);
}

}  // namespace ancm::test
