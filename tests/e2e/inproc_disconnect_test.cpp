// Error paths end to end with the published InProcessProbe: a client that
// goes away in each state of a request, a body that breaks HTTP's framing or
// the body limit, and HttpContext.Abort() in each phase. Kestrel (out of
// process) is the reference: the same tests run against it. The app tells
// what it observed through GET /events, read on a new connection.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "app_fixture.h"
#include "host_process.h"
#include "http_client.h"
#include "payloads.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kApp = "InProcessProbe";

class DisconnectTest : public PublishedAppTest, public ::testing::WithParamInterface<const char*> {
 protected:
  DisconnectTest() : PublishedAppTest("ancm-disconnect") {}

  bool in_process() const { return std::string(GetParam()) == "inprocess"; }

  std::unique_ptr<HostProcess> serve_probe(const std::string& max_allowed_content_length = "") {
    AspNetCoreEdit edit;
    edit.hosting_model = GetParam();
    edit.max_allowed_content_length = max_allowed_content_length;
    auto host = serve(kApp, edit);
    EXPECT_EQ(get(*host, "/").status, 200) << host->output();
    return host;
  }

  std::string events(const HostProcess& host) { return get(host, "/events").body; }

  // The app observed `what` for the request named `id`, within 10 s.
  bool observed(const HostProcess& host, const std::string& id, const std::string& what) {
    auto line = id + ": " + what + "\n";
    return eventually([&] { return events(host).find(line) != std::string::npos; });
  }

  // The host still serves, on a new connection.
  void expect_still_serving(const HostProcess& host) {
    auto response = get(host, "/");
    EXPECT_EQ(response.status, 200) << host.output();
    EXPECT_EQ(response.body, "in-process probe");
  }

  // The server logged no application error (ServerLog's line, with the stack trace).
  static void expect_no_application_error(const HostProcess& host) {
    EXPECT_EQ(host.output().find("an unhandled exception was thrown by the application"),
              std::string::npos)
        << host.output();
  }

  static std::string post_head(const std::string& target, const std::string& framing) {
    return "POST " + target + " HTTP/1.1\r\nHost: t\r\n" + framing + "\r\n";
  }
};

// ------------------------------------------------------ the client goes away

TEST_P(DisconnectTest, ClientGoneBeforeTheBodyAbortsTheRequest) {
  auto host = serve_probe();
  HttpConnection client(host->port());
  client.send(post_head("/wait-aborted?id=length", "Content-Length: 1\r\n"));
  ASSERT_TRUE(observed(*host, "length", "waiting")) << events(*host) << host->output();
  client.close();
  EXPECT_TRUE(observed(*host, "length", "aborted")) << events(*host);
  expect_still_serving(*host);
}

TEST_P(DisconnectTest, ClientGoneBeforeTheFirstChunkAbortsTheRequest) {
  auto host = serve_probe();
  HttpConnection client(host->port());
  client.send(post_head("/wait-aborted?id=chunked", "Transfer-Encoding: chunked\r\n"));
  ASSERT_TRUE(observed(*host, "chunked", "waiting")) << events(*host) << host->output();
  client.close();
  EXPECT_TRUE(observed(*host, "chunked", "aborted")) << events(*host);
  expect_still_serving(*host);
}

// A body cut short: the pending read fails at once. In process with
// Kestrel's BadHttpRequestException 400 ("Unexpected end of request
// content"), logged as a bad request, not as the app's error with a stack
// trace (a client that leaves mid-upload is no fault of the app). Out of
// process the app's Kestrel sees the proxy end its body, however it tells it.
TEST_P(DisconnectTest, ClientGoneWhileTheBodyIsReadFailsTheRead) {
  auto host = serve_probe();
  HttpConnection client(host->port());
  client.send(post_head("/read?id=cut", "Content-Length: 10\r\n") + "abc");
  // The second read is the one in flight when the client leaves. (Had the
  // client left before a read began, RequestAborted would already have fired
  // and the read would throw OperationCanceledException, as in Kestrel.)
  ASSERT_TRUE(observed(*host, "cut", "reading at 3")) << events(*host) << host->output();
  client.close();
  auto threw = in_process() ? std::string("cut: read threw BadHttpRequestException 400\n")
                            : std::string("cut: read threw ");
  EXPECT_TRUE(eventually([&] { return events(*host).find(threw) != std::string::npos; }))
      << events(*host);
  expect_still_serving(*host);
  if (in_process()) expect_no_application_error(*host);
}

// As in Kestrel, the app's cancellation once the client left is the request's
// end, not an application error: nothing is logged at the default level.
TEST_P(DisconnectTest, ACancellationAfterTheClientLeftIsNotAnApplicationError) {
  auto host = serve_probe();
  HttpConnection client(host->port());
  client.send(get_request("/wait-aborted-uncaught?id=gone"));
  ASSERT_TRUE(observed(*host, "gone", "waiting")) << events(*host) << host->output();
  client.close();
  EXPECT_TRUE(observed(*host, "gone", "completed")) << events(*host);
  expect_still_serving(*host);
  expect_no_application_error(*host);
  EXPECT_EQ(host->output().find("TaskCanceledException"), std::string::npos) << host->output();
}

// Writing with RequestAborted to a client that left throws, as in Kestrel.
TEST_P(DisconnectTest, WritesToADepartedClientThrow) {
  auto host = serve_probe();
  HttpConnection client(host->port());
  client.send(get_request("/write-until-aborted?id=get"));
  ASSERT_TRUE(observed(*host, "get", "wrote")) << events(*host) << host->output();
  client.close();
  EXPECT_TRUE(observed(*host, "get", "write threw OperationCanceledException")) << events(*host);
  expect_still_serving(*host);
}

TEST_P(DisconnectTest, WritesToADepartedClientThrowWhileItsBodyIsUnread) {
  auto host = serve_probe();
  HttpConnection client(host->port());
  client.send(post_head("/write-until-aborted?id=post", "Content-Length: 1\r\n"));
  ASSERT_TRUE(observed(*host, "post", "wrote")) << events(*host) << host->output();
  client.close();
  EXPECT_TRUE(observed(*host, "post", "write threw OperationCanceledException")) << events(*host);
  expect_still_serving(*host);
}

// ------------------------------------------------------ bodies that break the rules

// The client gets the server's 400/413 in both models; in process the app's
// read fails with BadHttpRequestException, as under Kestrel direct or IIS.
// (Out of process the app's Kestrel only sees the proxy cut the body off.)
TEST_P(DisconnectTest, AMalformedChunkSizeFailsTheReadAndAnswers400) {
  auto host = serve_probe();
  HttpConnection client(host->port());
  client.send(post_head("/read?id=zz", "Transfer-Encoding: chunked\r\n") + "zz\r\n");
  auto response = client.read_response(10s);
  ASSERT_TRUE(response) << events(*host) << host->output();
  EXPECT_EQ(response->status, 400);
  if (in_process()) {
    EXPECT_TRUE(observed(*host, "zz", "read threw BadHttpRequestException 400")) << events(*host);
  }
  expect_still_serving(*host);
}

TEST_P(DisconnectTest, AChunkedBodyOverWebConfigsLimitFailsTheReadAndAnswers413) {
  auto host = serve_probe("100");
  HttpConnection client(host->port());
  client.send(post_head("/read?id=big", "Transfer-Encoding: chunked\r\n") + "c8\r\n" +
              std::string(200, 'b') + "\r\n0\r\n\r\n");
  auto response = client.read_response(10s);
  ASSERT_TRUE(response) << events(*host) << host->output();
  EXPECT_EQ(response->status, 413);
  if (in_process()) {
    EXPECT_TRUE(observed(*host, "big", "read threw BadHttpRequestException 413")) << events(*host);
  }
  expect_still_serving(*host);
}

// ------------------------------------------------------ HttpContext.Abort()

// The body read after Abort() throws ConnectionAbortedException (IIS
// in-process, and Kestrel unless the read was already pending: then Kestrel
// says TaskCanceledException). A write without a token returns, as in Kestrel.
class AbortTest : public DisconnectTest {
 protected:
  // POST /abort in `phase`, announcing 10 body bytes and sending `sent` of them.
  void abort_in(const std::string& phase, const std::string& sent = "",
                const std::string& kestrels_exception = "ConnectionAbortedException") {
    auto host = serve_probe();
    HttpConnection client(host->port());
    client.send(post_head("/abort?id=" + phase + "&phase=" + phase, "Content-Length: 10\r\n") +
                sent);
    EXPECT_TRUE(client.closed_by_peer(30s)) << events(*host) << host->output();
    ASSERT_TRUE(observed(*host, phase, "done")) << events(*host) << host->output();
    auto thrown = in_process() ? "ConnectionAbortedException" : kestrels_exception;
    EXPECT_TRUE(observed(*host, phase, std::string("read threw ") + thrown)) << events(*host);
    EXPECT_TRUE(observed(*host, phase, "write returned")) << events(*host);
    expect_still_serving(*host);
  }
};

TEST_P(AbortTest, BeforeTheBodyIsRead) { abort_in("before"); }

TEST_P(AbortTest, WhileABodyReadIsPending) { abort_in("pending", "", "TaskCanceledException"); }

TEST_P(AbortTest, AfterTheHeadWasFlushed) { abort_in("after-flush"); }

TEST_P(AbortTest, MidBody) { abort_in("mid-body", "12345"); }

INSTANTIATE_TEST_SUITE_P(HostingModels, DisconnectTest,
                         ::testing::Values("inprocess", "outofprocess"),
                         [](const auto& info) { return std::string(info.param); });
INSTANTIATE_TEST_SUITE_P(HostingModels, AbortTest, ::testing::Values("inprocess", "outofprocess"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace ancm::test
