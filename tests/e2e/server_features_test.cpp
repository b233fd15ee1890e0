// What an app sees of the server it runs on, as IIS + ANCM (in-process) and
// Kestrel (out-of-process) give it: server variables, the server's addresses,
// ANCM's environment variables, request header text, and response heads the
// app gets wrong (ServerFeatures, PrintsEnv).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "kestrel_direct.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

AspNetCoreEdit in_process() {
  AspNetCoreEdit edit;
  edit.hosting_model = "inprocess";
  return edit;
}

class ServerFeaturesTest : public PublishedAppTest {
 protected:
  ServerFeaturesTest() : PublishedAppTest("ancm-features") {}

  // The raw bytes of the response to one GET (Connection: close).
  std::string raw_response(const HostProcess& host, const std::string& target) {
    HttpConnection connection(host.port());
    connection.send(get_request(target, "Connection: close\r\n"));
    return connection.read_raw(30s);
  }

  std::string variable(const HostProcess& host, const std::string& name,
                       const std::string& headers = "") {
    auto response = get(host, "/var/" + name, headers);
    return response.status == 200 ? response.body : "<" + std::to_string(response.status) + ">";
  }
};

// Both hosting models: ANCM's environment reaches the app.
class ModuleEnvironmentTest : public ServerFeaturesTest,
                              public ::testing::WithParamInterface<std::string> {
 protected:
  AspNetCoreEdit edit() const {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    return edit;
  }
  bool in_process() const { return GetParam() == "inprocess"; }
};

INSTANTIATE_TEST_SUITE_P(BothModels, ModuleEnvironmentTest,
                         ::testing::Values("inprocess", "outofprocess"));

// ------------------------------------------------------------ server variables

TEST_F(ServerFeaturesTest, ServerVariablesDescribeTheRequestInProcess) {
  auto host = serve("ServerFeatures", in_process());
  const std::string port = std::to_string(host->port());
  const std::string headers = "X-Custom-Thing: hello\r\nContent-Type: text/plain\r\n";
  EXPECT_EQ(variable(*host, "REQUEST_METHOD", headers), "GET");
  EXPECT_EQ(variable(*host, "REMOTE_ADDR"), "127.0.0.1");
  EXPECT_EQ(variable(*host, "REMOTE_HOST"), "127.0.0.1");
  EXPECT_FALSE(variable(*host, "REMOTE_PORT").empty());
  EXPECT_EQ(variable(*host, "LOCAL_ADDR"), "127.0.0.1");
  EXPECT_EQ(variable(*host, "SERVER_PORT"), port);
  EXPECT_EQ(variable(*host, "SERVER_NAME"), "test");  // the Host header
  EXPECT_EQ(variable(*host, "SERVER_PROTOCOL"), "HTTP/1.1");
  EXPECT_EQ(variable(*host, "HTTP_VERSION"), "HTTP/1.1");
  EXPECT_EQ(variable(*host, "SERVER_SOFTWARE"), "ancm-host");
  EXPECT_EQ(variable(*host, "HTTPS"), "off");
  EXPECT_EQ(variable(*host, "REQUEST_SCHEME"), "http");
  EXPECT_EQ(variable(*host, "HTTP_X_CUSTOM_THING", headers), "hello");
  EXPECT_EQ(variable(*host, "http_x_custom_thing", headers), "hello");  // any case
  EXPECT_EQ(variable(*host, "CONTENT_TYPE", headers), "text/plain");
  EXPECT_EQ(variable(*host, "CONTENT_LENGTH"), "0");
  EXPECT_EQ(variable(*host, "APPL_PHYSICAL_PATH"), dir_.path().string() + "/");
  EXPECT_EQ(variable(*host, "APPL_PATH"), "/");

  auto all_raw = variable(*host, "ALL_RAW", headers);
  EXPECT_NE(all_raw.find("X-Custom-Thing: hello\r\n"), std::string::npos) << all_raw;
  auto all_http = variable(*host, "ALL_HTTP", headers);
  EXPECT_NE(all_http.find("HTTP_X_CUSTOM_THING:hello\r\n"), std::string::npos) << all_http;

  // The target as sent, and its parts.
  auto target = get(*host, "/var/REQUEST_URI?a=1&b=%20");
  EXPECT_EQ(target.body, "/var/REQUEST_URI?a=1&b=%20");
  EXPECT_EQ(get(*host, "/var/HTTP_URL?x=1").body, "/var/HTTP_URL?x=1");
  EXPECT_EQ(get(*host, "/var/QUERY_STRING?a=1&b=%20").body, "a=1&b=%20");
  EXPECT_EQ(get(*host, "/var/URL?q=1").body, "/var/URL");
  EXPECT_EQ(get(*host, "/var/PATH_INFO").body, "/var/PATH_INFO");
}

TEST_F(ServerFeaturesTest, ServerNameIsTheHostWithoutItsPort) {
  auto host = serve("ServerFeatures", in_process());
  HttpConnection connection(host->port());
  connection.send(
      "GET /var/SERVER_NAME HTTP/1.1\r\nHost: example.test:8080\r\nConnection: close\r\n\r\n");
  auto response = connection.read_response(30s);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->body, "example.test");
}

TEST_F(ServerFeaturesTest, UndefinedServerVariablesAreNullAndSetOnesStick) {
  auto host = serve("ServerFeatures", in_process());
  EXPECT_EQ(variable(*host, "NO_SUCH_VARIABLE"), "<404>");
  EXPECT_EQ(variable(*host, "HTTP_NOT_SENT"), "<404>");
  // As URL Rewrite sets them: the set value is what reads return.
  EXPECT_EQ(get(*host, "/var/MY_REWRITE_VAR?set=rewritten").body, "rewritten");
  EXPECT_EQ(get(*host, "/var/QUERY_STRING?set=overridden").body, "overridden");
}

// ------------------------------------------------------------ server addresses

TEST_F(ServerFeaturesTest, ServerAddressesAreTheListeningUrlsInProcess) {
  auto host = serve("ServerFeatures", in_process());
  auto response = get(*host, "/addresses");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "http://127.0.0.1:" + std::to_string(host->port())) << response.body;
}

// ------------------------------------------------------------ protocol features

// Over HTTP/1.1 cleartext the app sees what Kestrel gives it: no response
// trailers, no reset, no TLS features, and request trailers available for a
// request without a body.
TEST_F(ServerFeaturesTest, Http11FeaturesAreKestrelsInProcess) {
  TempDir direct_dir("ancm-features-direct");
  install_app("ServerFeatures", direct_dir.path(), {});
  KestrelDirect kestrel(direct_dir.path(), "ServerFeatures");
  ASSERT_TRUE(kestrel.wait_until_serving());
  auto expected = http_get(kestrel.port(), "/protocol");
  ASSERT_TRUE(expected);
  EXPECT_EQ(expected->body,
            "protocol=HTTP/1.1 supports-trailers=False reset=False upgradable=False "
            "tls-handshake=False tls-connection=False request-trailers=True");

  auto host = serve("ServerFeatures", in_process());
  auto got = get(*host, "/protocol");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(got.body, expected->body);
}

// ------------------------------------------------------------ ANCM's environment

TEST_P(ModuleEnvironmentTest, PhysicalPathIsTheAppFolderWithATrailingSlash) {
  auto host = serve("PrintsEnv", edit());
  auto response = get(*host, "/env/ASPNETCORE_IIS_PHYSICAL_PATH");
  EXPECT_EQ(response.status, 200) << host->output();
  EXPECT_EQ(response.body, dir_.path().string() + "/");
}

TEST_P(ModuleEnvironmentTest, HttpAuthFromWebConfigIsOverridden) {
  auto with_auth = edit();
  with_auth.environment = {{"ASPNETCORE_IIS_HTTPAUTH", "windows;"}};
  auto host = serve("PrintsEnv", with_auth);
  EXPECT_EQ(get(*host, "/env/ASPNETCORE_IIS_HTTPAUTH").body, "anonymous;");
}

TEST_P(ModuleEnvironmentTest, HostingStartupGetsIisIntegrationOutOfProcessOnly) {
  auto host = serve("PrintsEnv", edit(), {{"ASPNETCORE_HOSTINGSTARTUPASSEMBLIES", "Mine"}});
  auto response = get(*host, "/env/ASPNETCORE_HOSTINGSTARTUPASSEMBLIES");
  EXPECT_EQ(response.body,
            in_process() ? "Mine" : "Mine;Microsoft.AspNetCore.Server.IISIntegration");
}

TEST_P(ModuleEnvironmentTest, WebSocketsSupportedIsSetOutOfProcessOnly) {
  auto host = serve("PrintsEnv", edit());
  auto response = get(*host, "/env/ASPNETCORE_IIS_WEBSOCKETS_SUPPORTED");
  if (in_process()) {
    EXPECT_EQ(response.status, 404) << response.body;
  } else {
    EXPECT_EQ(response.body, "true");
  }
}

// ------------------------------------------------------------ request header text

TEST_F(ServerFeaturesTest, RequestHeaderBytesThatAreNotUtf8DecodeWithTheReplacementCharacter) {
  auto host = serve("ServerFeatures", in_process());
  // "caf\xE9": Latin-1 é, not UTF-8.
  auto response = get(*host, "/header-chars/X-Text", "X-Text: caf\xE9\r\n");
  EXPECT_EQ(response.body, "U+0063 U+0061 U+0066 U+FFFD");
  // Valid UTF-8 is UTF-8.
  auto utf8 = get(*host, "/header-chars/X-Text", "X-Text: caf\xC3\xA9\r\n");
  EXPECT_EQ(utf8.body, "U+0063 U+0061 U+0066 U+00E9");
}

TEST_F(ServerFeaturesTest, Latin1RequestHeadersSwitchDecodesEachByteAsOneChar) {
  install_app("ServerFeatures", dir_.path(), in_process());
  // The documented opt-in: the AppContext switch, set in runtimeconfig.json.
  auto config_path = dir_.path() / "ServerFeatures.runtimeconfig.json";
  std::ifstream in(config_path);
  std::stringstream text;
  text << in.rdbuf();
  in.close();
  std::string config = text.str();
  const std::string properties = "\"configProperties\": {";
  auto at = config.find(properties);
  ASSERT_NE(at, std::string::npos) << config;
  config.insert(at + properties.size(),
                "\n      \"Microsoft.AspNetCore.Server.IIS.Latin1RequestHeaders\": true,");
  std::ofstream(config_path) << config;

  HostOptions options_for_host;
  options_for_host.target = dir_.path();
  HostProcess host(options_for_host);
  ASSERT_TRUE(host.started()) << host.output();
  auto response = get(host, "/header-chars/X-Text", "X-Text: caf\xE9\r\n");
  EXPECT_EQ(response.body, "U+0063 U+0061 U+0066 U+00E9") << config << host.output();
  auto utf8 = get(host, "/header-chars/X-Text", "X-Text: caf\xC3\xA9\r\n");
  EXPECT_EQ(utf8.body, "U+0063 U+0061 U+0066 U+00C3 U+00A9");
}

// ------------------------------------------------------------ response heads

TEST_F(ServerFeaturesTest, StatusWithoutAStandardReasonGoesOutWithAnEmptyOne) {
  auto host = serve("ServerFeatures", in_process());
  auto raw = raw_response(*host, "/status/999");
  EXPECT_EQ(raw.rfind("HTTP/1.1 999 \r\n", 0), 0u) << raw;
  auto known = raw_response(*host, "/status/404");
  EXPECT_EQ(known.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << known;
}

TEST_F(ServerFeaturesTest, ReasonPhraseWithALineBreakIsRefusedWhenSet) {
  auto host = serve("ServerFeatures", in_process());
  for (const char* text : {"Bad%0D%0AInjected:%20yes", "Bad%0AThing", "Bad%01Thing"}) {
    auto response = get(*host, std::string("/reason?text=") + text);
    EXPECT_EQ(response.status, 200) << text << host->output();
    EXPECT_EQ(response.body.rfind("rejected: ", 0), 0u) << text << ": " << response.body;
    EXPECT_FALSE(response.has_header("injected"));
  }
  auto fine = get(*host, "/reason?text=All%20Good");
  EXPECT_EQ(fine.body, "accepted");
  EXPECT_EQ(fine.reason, "All Good");
}

TEST_F(ServerFeaturesTest, HeaderValueWithAControlCharacterGetsA500NotADroppedConnection) {
  auto host = serve("ServerFeatures", in_process());
  for (int code : {0x0D, 0x0A, 0x01, 0x7F}) {
    auto raw = raw_response(*host, "/bad-header?code=" + std::to_string(code));
    EXPECT_EQ(raw.rfind("HTTP/1.1 500 Internal Server Error\r\n", 0), 0u) << code << ": " << raw;
    EXPECT_EQ(raw.find("X-Bad"), std::string::npos) << raw;
  }
  // A horizontal tab is allowed in a value.
  auto tab = raw_response(*host, "/bad-header?code=9");
  EXPECT_EQ(tab.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << tab;
  EXPECT_NE(tab.find("X-Bad: a\tb\r\n"), std::string::npos) << tab;
}

}  // namespace
}  // namespace ancm::test
