// gRPC through ancm-host: the GrpcGreeter app (Grpc.AspNetCore, as `dotnet
// new grpc` makes it) called by the GrpcClient app (Grpc.Net.Client) in every
// kind of call, in both hosting models, over h2c; and what a gRPC endpoint
// answers a plain HTTP/1.1 request. Both apps are first checked against
// Kestrel direct, so a failure here is ancm-host's.
#include <gtest/gtest.h>

#include <string>

#include "app_fixture.h"
#include "grpc_client.h"
#include "h2_frames.h"
#include "host_process.h"
#include "http_client.h"
#include "kestrel_direct.h"
#include "published_app.h"
#include "temp_dir.h"
#include "test_certificates.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

std::string h2c_address(uint16_t port) { return "http://127.0.0.1:" + std::to_string(port); }

// What a server answers the h2c preface: an HTTP/1.1 status line from a
// server without HTTP/2, else (an HTTP/2 server) its SETTINGS frame.
std::string answer_to_h2c_preface(uint16_t port) {
  HttpConnection connection(port);
  connection.send(h2::client_start());  // the preface and an empty SETTINGS
  return connection.read_raw(5s);
}

bool speaks_only_http1(const std::string& answer) { return answer.rfind("HTTP/1.", 0) == 0; }

// A gRPC unary call's request sent as HTTP/1.1: gRPC's content type, an empty body.
std::string grpc_over_http1() {
  return "POST /greet.Greeter/SayHello HTTP/1.1\r\nHost: test\r\n"
         "Content-Type: application/grpc\r\nTE: trailers\r\nContent-Length: 0\r\n"
         "Connection: close\r\n\r\n";
}

std::optional<HttpResponse> post_grpc_over_http1(uint16_t port) {
  HttpConnection connection(port);
  connection.send(grpc_over_http1());
  return connection.read_response(30s);
}

void expect_all_scenarios_pass(const std::string& address, const std::string& where) {
  for (const auto& scenario : grpc_scenarios()) {
    auto run = run_grpc_client(address, scenario);
    EXPECT_EQ(run.exit_code, 0) << scenario << " " << where << ":\n" << run.output;
  }
}

// ------------------------------------------------------------ Kestrel direct

// Both test apps are right: every scenario passes against the app's own
// Kestrel (Protocols Http2, h2c with prior knowledge).
TEST(GrpcKestrelDirectTest, EveryScenarioPasses) {
  TempDir dir("ancm-grpc-direct");
  install_app("GrpcGreeter", dir.path(), {});
  KestrelDirect kestrel(dir.path(), "GrpcGreeter");
  ASSERT_TRUE(kestrel.wait_until_serving());
  // It is an HTTP/2 server: the preface gets its SETTINGS, not an HTTP/1.1 answer.
  auto answer = answer_to_h2c_preface(kestrel.port());
  ASSERT_GE(answer.size(), 9u);
  EXPECT_EQ(answer[3], '\x04') << "the first frame is SETTINGS";
  expect_all_scenarios_pass(h2c_address(kestrel.port()), "against Kestrel direct");
}

// ------------------------------------------------------------ through ancm-host

class GrpcTest : public PublishedAppTest, public ::testing::WithParamInterface<std::string> {
 protected:
  GrpcTest() : PublishedAppTest("ancm-grpc") {}

  AspNetCoreEdit edit() const {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    return edit;
  }
  bool in_process() const { return GetParam() == "inprocess"; }
};

INSTANTIATE_TEST_SUITE_P(BothModels, GrpcTest, ::testing::Values("inprocess", "outofprocess"));

// Every kind of gRPC call, deadlines and cancellation included, over h2c.
TEST_P(GrpcTest, EveryScenarioPassesOverH2c) {
  auto host = serve("GrpcGreeter", edit());
  ASSERT_TRUE(host->started());
  auto answer = answer_to_h2c_preface(host->port());
  ASSERT_FALSE(speaks_only_http1(answer)) << "ancm-host answered the h2c preface with HTTP/1.1: "
                                          << answer.substr(0, answer.find('\r'));
  expect_all_scenarios_pass(h2c_address(host->port()), "through ancm-host " + GetParam());
}

// The same over TLS, HTTP/2 chosen by ALPN: GrpcClient trusts only the test
// CA and asks for the certificate's name.
TEST_P(GrpcTest, EveryScenarioPassesOverTlsWithAlpnH2) {
  TestCertificates certificates;
  auto certificate = certificates.issue("localhost", {"localhost"});
  install_app("GrpcGreeter", dir_.path(), edit());
  HostOptions options;
  options.target = dir_.path();
  options.listen = "https://127.0.0.1:0";
  options.extra_args = certificate.server_args();
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  std::string address = "https://localhost:" + std::to_string(host.port());
  for (const auto& scenario : grpc_scenarios()) {
    auto run = run_grpc_client(address, scenario, certificates.ca_file().string());
    EXPECT_EQ(run.exit_code, 0) << scenario << " over TLS through ancm-host " << GetParam() << ":\n"
                                << run.output << "\n"
                                << host.output();
  }
}

// A gRPC call made over HTTP/1.1. In-process the app's Kestrel settings do
// not apply (as under IIS): the request reaches Grpc.AspNetCore, which
// refuses the protocol with 426, Upgrade: HTTP/2 and grpc-status 13
// (INTERNAL), as on a Kestrel endpoint that takes HTTP/1.1. Out-of-process
// the child's Kestrel speaks only HTTP/2, so the proxy sends even an
// HTTP/1.1 client's call to it over HTTP/2: the call reaches the service,
// which answers the empty message as a gRPC error (a trailers-only response:
// 200, grpc-status 13), where Kestrel's HTTP/2-only endpoint would answer an
// HTTP/1.1 request with 400.
TEST_P(GrpcTest, CallOverHttp1GetsTheServicesAnswer) {
  auto host = serve("GrpcGreeter", edit());
  ASSERT_TRUE(host->started());
  auto got = post_grpc_over_http1(host->port());
  ASSERT_TRUE(got) << host->output();
  if (!in_process()) {
    EXPECT_EQ(got->status, 200) << host->output();
    EXPECT_EQ(got->header("content-type"), "application/grpc");
    EXPECT_EQ(got->header("grpc-status"), "13") << got->header("grpc-message");
    return;
  }
  TempDir direct_dir("ancm-grpc-direct");
  install_app("GrpcGreeter", direct_dir.path(), {});
  KestrelDirect kestrel(direct_dir.path(), "GrpcGreeter",
                        {{"Kestrel__EndpointDefaults__Protocols", "Http1AndHttp2"}});
  ASSERT_TRUE(kestrel.wait_until_serving());
  auto expected = post_grpc_over_http1(kestrel.port());
  ASSERT_TRUE(expected);
  EXPECT_EQ(expected->status, 426);
  EXPECT_EQ(got->status, expected->status) << host->output();
  EXPECT_EQ(got->body, expected->body);
  for (const char* name : {"upgrade", "grpc-status", "grpc-message", "content-type"})
    EXPECT_EQ(got->header(name), expected->header(name)) << name;
}

}  // namespace
}  // namespace ancm::test
