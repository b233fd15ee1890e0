// HTTPS at the edge, through a real ancm-host and the test handler library:
// certificates by SNI, ALPN, what tls_info tells a handler, client
// certificates, hostile clients on the TLS port, encrypted keys, certificate
// reloads on SIGHUP, and `ancm-host check` of the certificate files.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <limits>
#include <memory>
#include <vector>

#include "ancm/server/listen_address.h"
#include "ancm/server/master.h"
#include "ancm/server/tls_certificates.h"
#include "h2_frames.h"
#include "host_process.h"
#include "http_client.h"
#include "load_client.h"
#include "payloads.h"
#include "process_memory.h"
#include "published_app.h"
#include "temp_dir.h"
#include "test_certificates.h"
#include "tls_client.h"
#include "web_config.h"

namespace ancm::test {
namespace {

using namespace std::chrono_literals;

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() {
    default_ = certificates_.issue("a.example.test", {"a.example.test"});
    std::filesystem::create_directory(sni_dir_);
    certificates_.issue("b.example.test", {"b.example.test"}, sni_dir_);
    certificates_.issue("wild", {"*.wild.example.test"}, sni_dir_);
    write_file(app_ / "web.config", WebConfig{}.text());
  }

  std::vector<std::string> tls_args(const TestCertificate& certificate) const {
    return certificate.server_args();
  }

  std::unique_ptr<HostProcess> start(std::vector<std::string> extra_args) {
    HostOptions options;
    options.target = app_.path();
    options.extra_args = std::move(extra_args);
    options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
    options.listen = "https://127.0.0.1:0";
    auto host = std::make_unique<HostProcess>(options);
    EXPECT_TRUE(host->started()) << host->output();
    return host;
  }

  std::unique_ptr<HostProcess> start_default() {
    auto args = tls_args(default_);
    args.push_back("--tls-cert-dir");
    args.push_back(sni_dir_.string());
    return start(args);
  }

  // Trusts the test CA and asks for server_name.
  TlsClientOptions client(const std::string& server_name = "a.example.test") const {
    auto options = without_verification(server_name);
    options.ca_file = certificates_.ca_file();
    return options;
  }
  // Takes any certificate: to see which one is served for a name.
  static TlsClientOptions without_verification(const std::string& server_name) {
    TlsClientOptions options;
    options.server_name = server_name;
    return options;
  }

  // The subject of the certificate served for server_name.
  std::string served_subject(const HostProcess& host, const std::string& server_name) const {
    TlsConnection connection(host.port(), client(server_name));
    EXPECT_TRUE(connection.connected()) << server_name << ": " << connection.error();
    return connection.session().peer_subject;
  }

  TestCertificates certificates_;
  TestCertificate default_;
  TempDir app_{"ancm-tls-app"};
  std::filesystem::path sni_dir_ = certificates_.folder() / "sni";
};

TEST_F(TlsTest, ServesHttpsAndTellsTheHandlerWhatTheHandshakeAgreed) {
  auto host = start_default();
  EXPECT_NE(host->output().find(std::string(server::kListeningOn) + "https://127.0.0.1:"),
            std::string::npos)
      << host->output();
  TlsConnection connection(host->port(), client());
  ASSERT_TRUE(connection.connected()) << connection.error() << host->output();
  EXPECT_EQ(connection.session().alpn, "http/1.1");
  EXPECT_EQ(connection.session().protocol, "TLSv1.3");
  for (int i = 0; i < 3; ++i) {  // keep-alive over TLS
    connection.send(get_request("/tls"));
    auto response = connection.read_response();
    ASSERT_TRUE(response) << host->output();
    EXPECT_EQ(response->status, 200);
    EXPECT_NE(response->body.find("is_tls=1\ntls=0\nprotocol=TLSv1.3\ncipher=TLS_"),
              std::string::npos)
        << response->body;
    EXPECT_NE(response->body.find("alpn=http/1.1\nserver_name=a.example.test\n"
                                  "client_certificate_bytes=0\n"),
              std::string::npos)
        << response->body;
  }
}

// Bodies larger than a TLS record, both ways, fixed-length and chunked.
TEST_F(TlsTest, EchoesLargeBodies) {
  auto host = start_default();
  TlsConnection connection(host->port(), client());
  ASSERT_TRUE(connection.connected()) << connection.error();
  auto body = random_bytes(3 * 1024 * 1024 + 17);
  connection.send(fixed_length_post("/echo", body));
  auto fixed = connection.read_response(30s);
  ASSERT_TRUE(fixed) << host->output();
  EXPECT_EQ(fixed->status, 200);
  EXPECT_TRUE(fixed->body == body) << fixed->body.size();
  connection.send(chunked_post("/echo", body, 5000));
  auto chunked = connection.read_response(30s);
  ASSERT_TRUE(chunked) << host->output();
  EXPECT_TRUE(chunked->body == body) << chunked->body.size();
}

// OpenSSL reads ahead: records that arrive together wait inside it, not in
// the socket, so the server must ask OpenSSL for the next request before it
// waits for the socket (which stays quiet: the client waits for answers).
TEST_F(TlsTest, PipelinedRequestsInRecordsThatArriveTogetherAreAllAnswered) {
  auto host = start_default();
  TlsConnection connection(host->port(), client());
  ASSERT_TRUE(connection.connected()) << connection.error();
  connection.send_records({get_request("/tls"), get_request("/tls"), get_request("/tls")});
  for (int i = 0; i < 3; ++i) {
    auto response = connection.read_response(10s);
    ASSERT_TRUE(response) << "response " << i << "\n" << host->output();
    EXPECT_EQ(response->status, 200);
  }
}

TEST_F(TlsTest, SniChoosesTheCertificateForEachName) {
  auto host = start_default();
  EXPECT_EQ(served_subject(*host, "a.example.test"), "CN=a.example.test");
  EXPECT_EQ(served_subject(*host, "b.example.test"), "CN=b.example.test");
  EXPECT_EQ(served_subject(*host, "x.wild.example.test"), "CN=*.wild.example.test");
  // Another name, or none, gets the default certificate.
  TlsConnection other(host->port(), without_verification("c.example.test"));
  ASSERT_TRUE(other.connected()) << other.error();
  EXPECT_EQ(other.session().peer_subject, "CN=a.example.test");
  TlsConnection none(host->port(), TlsClientOptions{});
  ASSERT_TRUE(none.connected()) << none.error();
  EXPECT_EQ(none.session().peer_subject, "CN=a.example.test");
  // A wildcard covers one label only.
  TlsConnection deeper(host->port(), without_verification("y.x.wild.example.test"));
  ASSERT_TRUE(deeper.connected()) << deeper.error();
  EXPECT_EQ(deeper.session().peer_subject, "CN=a.example.test");
}

// ALPN: h2 when the client offers it, http/1.1 when that is all it offers,
// and a client that offers nothing still gets HTTP/1.1.
TEST_F(TlsTest, AlpnChoosesTheProtocolAndNoAlpnStillServes) {
  auto host = start_default();
  auto h2_first = client();
  h2_first.alpn = {"h2", "http/1.1"};
  TlsConnection offered(host->port(), h2_first);
  ASSERT_TRUE(offered.connected()) << offered.error();
  EXPECT_EQ(offered.session().alpn, "h2");
  auto http11_only = client();
  http11_only.alpn = {"http/1.1"};
  TlsConnection http11(host->port(), http11_only);
  ASSERT_TRUE(http11.connected()) << http11.error();
  EXPECT_EQ(http11.session().alpn, "http/1.1");
  auto without = client();
  without.alpn = {};
  auto response = https_get(host->port(), "/tls", without);
  ASSERT_TRUE(response) << host->output();
  EXPECT_NE(response->body.find("alpn=\n"), std::string::npos) << response->body;
}

TEST_F(TlsTest, CurlGetsTheResponseOverHttps) {
  auto host = start_default();
  TempDir out("ancm-tls-curl");
  std::string port = std::to_string(host->port());
  std::string command = "curl -sS --http1.1 --cacert " + certificates_.ca_file().string() +
                        " --resolve b.example.test:" + port +
                        ":127.0.0.1 https://b.example.test:" + port + "/ -o " +
                        (out / "body").string() + " 2>" + (out / "err").string();
  int status = std::system(command.c_str());
  ASSERT_EQ(WEXITSTATUS(status), 0) << read_file(out / "err");
  EXPECT_EQ(read_file(out / "body"), "Hello from test-outofproc\n");
}

// curl --http2 negotiates h2 by ALPN and gets the same response over HTTP/2.
// TLS encrypts in user space: no body piece comes from a pipe.
TEST_F(TlsTest, ATlsConnectionTakesNoPipePieces) {
  auto host = start_default();
  auto response = https_get(host->port(), "/pipe-pieces", client());
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->body, std::to_string(-EOPNOTSUPP));
}

// Idle keep-alive TLS connections cost the worker little: OpenSSL's SSL and
// the connection's small buffers, no per-connection record buffers (Asio's
// ssl::stream held ~96 KiB for each: its BIO pair and two record buffers).
TEST_F(TlsTest, IdleTlsConnectionsHoldLittleMemory) {
#ifdef ANCM_TEST_ASAN
  GTEST_SKIP() << "AddressSanitizer's allocator (redzones, quarantine) makes RSS meaningless";
#endif
  auto host = start_default();
  pid_t worker = host->worker();
  ASSERT_GT(worker, 0);
  auto keep_open = [&](std::vector<std::unique_ptr<TlsConnection>>& open, int count) {
    for (int i = 0; i < count; ++i) {
      auto connection = std::make_unique<TlsConnection>(host->port(), client());
      ASSERT_TRUE(connection->connected()) << connection->error();
      connection->send(get_request("/"));
      auto response = connection->read_response();
      ASSERT_TRUE(response);
      ASSERT_EQ(response->status, 200);
      open.push_back(std::move(connection));
    }
  };
  std::vector<std::unique_ptr<TlsConnection>> warm_up;
  keep_open(warm_up, 20);  // the code and the heap a TLS connection first needs
  ASSERT_GT(resident_kib(worker), 0);
  // Two batches, and the smaller growth counts: memory held per connection
  // shows in both, while a one-off step (a new malloc arena when the worker's
  // threads meet under load) lands in one.
  constexpr int kBatch = 150;
  std::vector<std::unique_ptr<TlsConnection>> idle;
  long per_connection = std::numeric_limits<long>::max();
  for (int batch = 0; batch < 2; ++batch) {
    const long before = resident_kib(worker);
    keep_open(idle, kBatch);
    per_connection = std::min(per_connection, (resident_kib(worker) - before) / kBatch);
  }
  // Measured: ~20 KiB. The bound leaves room for the heap's slack and
  // catches record buffers held per connection again.
  EXPECT_LE(per_connection, 48) << "KiB per idle TLS connection";
  RecordProperty("worker_kib_per_idle_tls_connection", std::to_string(per_connection));
}

TEST_F(TlsTest, CurlWithHttp2GetsTheResponseOverH2) {
  auto host = start_default();
  TempDir out("ancm-tls-curl-h2");
  std::string port = std::to_string(host->port());
  std::string command = "curl -sS --http2 --cacert " + certificates_.ca_file().string() +
                        " --resolve b.example.test:" + port +
                        ":127.0.0.1 -w '%{http_version}' -o " + (out / "body").string() +
                        " https://b.example.test:" + port + "/ >" + (out / "version").string() +
                        " 2>" + (out / "err").string();
  int status = std::system(command.c_str());
  ASSERT_EQ(WEXITSTATUS(status), 0) << read_file(out / "err");
  EXPECT_EQ(read_file(out / "version"), "2");
  EXPECT_EQ(read_file(out / "body"), "Hello from test-outofproc\n");
}

TEST_F(TlsTest, GarbageAndPlainHttpOnTheTlsPortDoNotHurtTheNextClient) {
  auto host = start_default();
  {
    HttpConnection plain(host->port());
    plain.send(get_request("/"));
    EXPECT_TRUE(plain.closed_by_peer());
  }
  {
    HttpConnection garbage(host->port());
    garbage.send(std::string("\x16\x03\x01\x00\x05garbage-not-a-client-hello", 32) +
                 std::string(4096, '\xff'));
    EXPECT_TRUE(garbage.closed_by_peer());
  }
  HttpConnection silent(host->port());  // says nothing; the handshake waits
  auto response = https_get(host->port(), "/", client());
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "Hello from test-outofproc\n");
}

TEST_F(TlsTest, AHandshakeThatNeverCompletesEndsAtTheHeaderTimeout) {
  auto args = tls_args(default_);
  args.push_back("--header-timeout=1");
  auto host = start(args);
  HttpConnection silent(host->port());
  EXPECT_TRUE(silent.closed_by_peer(10s));
  EXPECT_TRUE(https_get(host->port(), "/", client()));
}

// The handshake and the wait for the first request share one header
// timeout: a client that says nothing after its handshake is closed then,
// not at the keep-alive timeout.
TEST_F(TlsTest, TheHandshakeAndTheFirstHeadShareOneHeaderTimeout) {
  auto args = tls_args(default_);
  for (std::string arg : {"--header-timeout=2", "--keepalive-timeout=3600"}) args.push_back(arg);
  auto host = start(args);
  TlsConnection silent(host->port(), client());
  ASSERT_TRUE(silent.connected()) << silent.error();
  EXPECT_NE(silent.read_until_closed(30s), TlsEnd::StillOpen);
  EXPECT_TRUE(https_get(host->port(), "/", client())) << host->output();
}

// A clean end sends close_notify before the FIN, so a client can tell it
// from a cut: after a response to "Connection: close", at the end of the
// keep-alive wait, after HTTP/2's GOAWAY. An abort stays a cut.
TEST_F(TlsTest, ACleanEndSendsCloseNotifyAndAnAbortDoesNot) {
  auto args = tls_args(default_);
  for (std::string arg : {"--header-timeout=2", "--keepalive-timeout=1"}) args.push_back(arg);
  auto host = start(args);
  {
    TlsConnection connection(host->port(), client());
    connection.send(get_request("/", "Connection: close\r\n"));
    ASSERT_TRUE(connection.read_response()) << host->output();
    EXPECT_EQ(connection.read_until_closed(), TlsEnd::CloseNotify);
  }
  {
    TlsConnection connection(host->port(), client());
    connection.send(get_request("/"));
    ASSERT_TRUE(connection.read_response()) << host->output();
    EXPECT_EQ(connection.read_until_closed(30s), TlsEnd::CloseNotify);  // keep-alive's end
  }
  {
    auto h2 = client();
    h2.alpn = {"h2"};
    TlsConnection connection(host->port(), h2);
    ASSERT_EQ(connection.session().alpn, "h2");
    connection.send(h2::client_start());  // then nothing: GOAWAY at the header timeout
    EXPECT_EQ(connection.read_until_closed(30s), TlsEnd::CloseNotify);
  }
  {
    TlsConnection connection(host->port(), client());
    connection.send(get_request("/abort"));
    EXPECT_EQ(connection.read_until_closed(30s), TlsEnd::NoCloseNotify);
  }
}

TEST_F(TlsTest, RequiredClientCertificateRefusesAClientWithoutOne) {
  auto with = certificates_.issue("client", {"client.example.test"});
  auto args = tls_args(default_);
  for (std::string arg : {"--client-cert", "require", "--tls-client-ca"}) args.push_back(arg);
  args.push_back(certificates_.ca_file().string());
  auto host = start(args);
  EXPECT_FALSE(https_get(host->port(), "/", client()));
  auto options = client();
  options.certificate = with.certificate;
  options.key = with.key;
  auto response = https_get(host->port(), "/tls", options);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->body.find("client_certificate_bytes=0\n"), std::string::npos)
      << response->body;
  EXPECT_NE(response->body.find("client_certificate_bytes="), std::string::npos) << response->body;
}

TEST_F(TlsTest, AllowedClientCertificateIsOptional) {
  auto with = certificates_.issue("client", {"client.example.test"});
  auto args = tls_args(default_);
  args.push_back("--client-cert=allow");
  auto host = start(args);
  auto response = https_get(host->port(), "/tls", client());
  ASSERT_TRUE(response) << host->output();
  EXPECT_NE(response->body.find("client_certificate_bytes=0\n"), std::string::npos);
  auto options = client();
  options.certificate = with.certificate;
  options.key = with.key;
  response = https_get(host->port(), "/tls", options);
  ASSERT_TRUE(response) << host->output();
  EXPECT_EQ(response->body.find("client_certificate_bytes=0\n"), std::string::npos)
      << response->body;
}

TEST_F(TlsTest, AnEncryptedKeyNeedsItsPassphrase) {
  auto encrypted = certificates_.encrypt_key(default_, "s3cret");
  HostOptions options;
  options.target = app_.path();
  options.listen = "https://127.0.0.1:0";
  options.extra_args = {"--tls-cert", default_.certificate.string(), "--tls-key",
                        encrypted.string()};
  {
    HostProcess refused(options);
    auto status = refused.wait_exit(10s);
    ASSERT_TRUE(status);
    EXPECT_NE(WEXITSTATUS(*status), 0);
    EXPECT_NE(
        refused.output().find(std::string(server::kKeyIsEncrypted) + ": " + encrypted.string()),
        std::string::npos)
        << refused.output();
  }
  write_file(app_ / "passphrase", "s3cret\n");
  options.extra_args.push_back("--tls-key-passphrase-file");
  options.extra_args.push_back((app_ / "passphrase").string());
  options.env["ANCM_HANDLER_DIR"] = handler_dir("test").string();
  HostProcess served(options);
  ASSERT_TRUE(served.started()) << served.output();
  EXPECT_TRUE(https_get(served.port(), "/", client())) << served.output();
}

// The certificate files are replaced and SIGHUP recycles the worker: the new
// worker serves the new certificate, and a steady load over TLS sees no
// failure meanwhile.
TEST_F(TlsTest, SighupServesARenewedCertificateWithoutAFailedRequest) {
  auto host = start(tls_args(default_));
  std::string old_serial = TlsConnection(host->port(), client()).session().peer_serial;
  ASSERT_FALSE(old_serial.empty());
  LoadClient load(host->port(), "/", 4, client());
  ASSERT_TRUE(load.serve_more(50)) << load.failed() << host->output();
  TempDir staging("ancm-tls-renewed");
  auto renewed = certificates_.issue("a.example.test", {"a.example.test"}, staging.path());
  std::filesystem::rename(renewed.certificate, default_.certificate);
  std::filesystem::rename(renewed.key, default_.key);
  host->signal(SIGHUP);
  EXPECT_TRUE(eventually(
      [&] {
        TlsConnection probe(host->port(), client());
        return probe.connected() && probe.session().peer_serial != old_serial;
      },
      30s))
      << host->output();
  EXPECT_TRUE(load.serve_more(50)) << host->output();
  load.stop();
  EXPECT_EQ(load.failed(), 0) << ::testing::PrintToString(load.failures()) << host->output();
}

TEST_F(TlsTest, ABrokenCertificateAtSighupKeepsTheOldWorkerServing) {
  auto host = start(tls_args(default_));
  std::string old_serial = TlsConnection(host->port(), client()).session().peer_serial;
  auto worker = host->children();
  write_file(default_.certificate, "-----BEGIN CERTIFICATE-----\nbroken\n");
  host->signal(SIGHUP);
  ASSERT_TRUE(host->wait_for_output(std::string(server::kCertificatesRefused), 10s))
      << host->output();
  EXPECT_NE(host->output().find(default_.certificate.string()), std::string::npos);
  TlsConnection after(host->port(), client());
  ASSERT_TRUE(after.connected()) << after.error();
  EXPECT_EQ(after.session().peer_serial, old_serial);
  EXPECT_EQ(host->children(), worker);
}

struct CheckResult {
  int exit_code = -1;
  std::string output;
};

CheckResult check(const std::filesystem::path& app, std::vector<std::string> args) {
  HostOptions options;
  options.command = "check";
  options.target = app;
  options.listen.clear();
  options.extra_args = std::move(args);
  HostProcess process(options);
  auto status = process.wait_exit(10s);
  return {status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1, process.output()};
}

TEST_F(TlsTest, CheckShowsTheCertificatesNamesAndExpiry) {
  // A real app, as check resolves its process and frameworks too.
  TempDir hello("ancm-tls-check");
  install_app("Hello", hello.path(), AspNetCoreEdit{});
  auto args = tls_args(default_);
  args.push_back("--tls-cert-dir");
  args.push_back(sni_dir_.string());
  args.push_back("--listen");
  args.push_back("https://127.0.0.1:0");
  auto result = check(hello.path(), args);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  // The listener, served over TLS with HTTP/2 through ALPN.
  EXPECT_NE(result.output.find(std::string(server::kCheckListenerLabel) +
                               "https://127.0.0.1:0\n  " + std::string(server::kCheckTlsLabel) +
                               "yes\n  " + std::string(server::kCheckHttp2Label) + "on (ALPN h2"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("TLS certificate " + default_.certificate.string()),
            std::string::npos)
      << result.output;
  std::string names(server::kCheckNamesLabel), expires(server::kCheckExpiresLabel);
  EXPECT_NE(result.output.find(names + "a.example.test"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(names + "*.wild.example.test"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find(expires + "20"), std::string::npos) << result.output;
}

TEST_F(TlsTest, CheckNamesTheBadFile) {
  auto other = certificates_.issue("other", {"other.example.test"});
  // A key that is not the certificate's.
  auto mismatched = check(
      app_.path(), {"--tls-cert", default_.certificate.string(), "--tls-key", other.key.string()});
  EXPECT_EQ(mismatched.exit_code, 1) << mismatched.output;
  EXPECT_NE(mismatched.output.find("does not match"), std::string::npos) << mismatched.output;
  EXPECT_NE(mismatched.output.find(other.key.string()), std::string::npos) << mismatched.output;
  // A missing certificate file.
  auto missing = check(app_.path(), {"--tls-cert", (app_ / "none.pem").string(), "--tls-key",
                                     default_.key.string()});
  EXPECT_EQ(missing.exit_code, 1) << missing.output;
  EXPECT_NE(missing.output.find((app_ / "none.pem").string()), std::string::npos) << missing.output;
  // Not a certificate at all.
  write_file(app_ / "junk.pem", "hello\n");
  auto junk = check(app_.path(), {"--tls-cert", (app_ / "junk.pem").string(), "--tls-key",
                                  default_.key.string()});
  EXPECT_EQ(junk.exit_code, 1) << junk.output;
  EXPECT_NE(junk.output.find((app_ / "junk.pem").string()), std::string::npos) << junk.output;
}

}  // namespace
}  // namespace ancm::test
