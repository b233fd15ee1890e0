// The out-of-process handler's process manager, with real child processes
// (tests/unit/fake_backend.cpp and /bin/sh), real ports and real signals.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "ancm/abi_strings.h"
#include "ancm/common/exit_text.h"
#include "ancm/common/unique_fd.h"
#include "ancm/outofproc/log_text.h"
#include "environment_block.h"
#include "executable_lookup.h"
#include "listen_probe.h"
#include "outofproc_settings.h"
#include "port_picker.h"
#include "process_group.h"
#include "process_manager.h"
#include "random_token.h"
#include "rapid_fail_guard.h"
#include "temp_dir.h"
#include "warm_start.h"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace ancm::outofproc {
namespace {

// ------------------------------------------------------------------ helpers

using ancm::test::TempDir;

std::string read_text(const fs::path& path) { return ancm::test::read_file(path); }

void write_text(const fs::path& path, const std::string& text, fs::perms perms) {
  std::ofstream(path) << text;
  fs::permissions(path, perms);
}

// /proc/<pid> exists for running processes and unreaped zombies alike.
bool process_exists(pid_t pid) { return fs::exists(fs::path("/proc") / std::to_string(pid)); }

// Running, not a zombie waiting for whoever its parent is now.
bool process_alive(pid_t pid) {
  std::string stat = read_text(fs::path("/proc") / std::to_string(pid) / "stat");
  std::size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

template <typename Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 10s) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return predicate();
}

// GET / on 127.0.0.1:port; the fake backend answers "pid <pid>".
std::string http_get(std::uint16_t port) {
  common::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return "";
  std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buffer[1024];
  ssize_t got;
  while ((got = ::recv(fd.get(), buffer, sizeof buffer, 0)) > 0) response.append(buffer, got);
  return response;
}

// What acquire handed over, laid out for assertions: the child, or the failure.
struct Acquired {
  std::shared_ptr<ChildProcess> child;
  std::optional<common::PageFailure> failure;

  static Acquired of(ProcessManager::Acquired acquired) {
    if (!acquired.ok()) return {nullptr, std::move(acquired).error()};
    return {std::move(acquired).value(), std::nullopt};
  }
};

Acquired acquire(ProcessManager& manager) {
  auto promise = std::make_shared<std::promise<Acquired>>();
  auto future = promise->get_future();
  manager.acquire([promise](ProcessManager::Acquired acquired) {
    promise->set_value(Acquired::of(std::move(acquired)));
  });
  if (future.wait_for(60s) != std::future_status::ready) {
    ADD_FAILURE() << "acquire did not call back within 60 s";
    return {};
  }
  return future.get();
}

class Logs {
 public:
  Logger logger() {
    return [this](ancm_log_level level, const std::string& message) {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::to_string(level) + " " + message);
    };
  }
  bool contains(const std::string& text) const {
    std::lock_guard lock(mutex_);
    for (const auto& line : lines_) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }
  std::string all() const {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto& line : lines_) text += line + "\n";
    return text;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

// What a manager reported through its EventSink, in order.
class Events {
 public:
  EventSink sink() {
    return [this](ancm_host_event event) {
      std::lock_guard lock(mutex_);
      events_.push_back(event);
    };
  }
  std::vector<ancm_host_event> seen() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<ancm_host_event> events_;
};

class OutofprocManager : public ::testing::Test {
 protected:
  Settings backend(const std::string& arguments = "") {
    Settings settings;
    settings.config_path = dir_.path() / "web.config";
    settings.app_path = dir_.path();
    settings.process_path = ANCM_FAKE_BACKEND;
    settings.arguments = arguments;
    settings.startup_time_limit = 20s;
    settings.shutdown_time_limit = 5s;
    settings.stdout_log_file = dir_.path() / "logs" / "stdout";
    return settings;
  }

  void TearDown() override {
    if (HasFailure()) std::fprintf(stderr, "manager log:\n%s", logs_.all().c_str());
  }

  TempDir dir_;
  Logs logs_;
};

// ----------------------------------------------------------------- settings

struct ParamsBuilder {
  std::vector<std::pair<std::string, std::string>> settings;
  std::vector<std::pair<std::string, std::string>> environment;
  std::vector<ancm_kv> kv_settings;
  std::vector<ancm_kv> kv_environment;
  std::string config = "/srv/app/web.config";
  std::string app = "/srv/app";

  ancm_app_params build() {
    kv_settings.clear();
    kv_environment.clear();
    for (auto& [n, v] : settings) kv_settings.push_back({abi::str(n), abi::str(v)});
    for (auto& [n, v] : environment) kv_environment.push_back({abi::str(n), abi::str(v)});
    ancm_app_params params{};
    params.config_path = abi::str(config);
    params.app_path = abi::str(app);
    params.settings = kv_settings.data();
    params.settings_count = kv_settings.size();
    params.environment = kv_environment.data();
    params.environment_count = kv_environment.size();
    return params;
  }
};

TEST(ProcessGroup, ReadsAProcFileWhole) {
  auto stat = read_proc_file("/proc/self/stat");
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->rfind(std::to_string(::getpid()) + " (", 0), 0u) << *stat;
  EXPECT_EQ(stat->back(), '\n');
}

TEST(ProcessGroup, TheFileOfAProcessThatIsGoneIsNothing) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  EXPECT_FALSE(read_proc_file("/proc/" + std::to_string(child) + "/stat"));
}

TEST(OutofprocSettings, ReadsWhatTheShimSends) {
  ParamsBuilder b;
  b.settings = {{"processPath", "dotnet"},
                {"arguments", "./Hello.dll --urls \"a b\""},
                {"hostingModel", "outofprocess"},
                {"processesPerApplication", "3"},
                {"stdoutLogEnabled", "true"},
                {"stdoutLogFile", "/srv/app/logs/stdout"},
                {"startupTimeLimit", "7"},
                {"shutdownTimeLimit", "3"},
                {"rapidFailsPerMinute", "2"},
                {"requestTimeout", "100:02:03"},
                {"disableStartUpErrorPage", "false"},
                {"forwardWindowsAuthToken", "true"},
                {"handlerSetting:stackSize", "1048576"},
                {"handlerSetting:enableOutOfProcessConsoleRedirection", "false"},
                {"handlerSetting:forwardResponseConnectionHeader", "true"},
                {"handlerSetting:batchScheduling", "false"}};
  b.environment = {{"A", "1"}, {"ASPNETCORE_PORT", "5000"}};
  auto result = read_settings(b.build());
  ASSERT_TRUE(result.ok()) << result.error();
  const Settings& s = result.value();
  EXPECT_EQ(s.config_path, "/srv/app/web.config");
  EXPECT_EQ(s.app_path, "/srv/app");
  EXPECT_EQ(s.process_path, "dotnet");
  EXPECT_EQ(s.arguments, "./Hello.dll --urls \"a b\"");
  EXPECT_EQ(s.processes_per_application, 3);
  EXPECT_TRUE(s.stdout_log_enabled);
  EXPECT_EQ(s.stdout_log_file, "/srv/app/logs/stdout");
  EXPECT_EQ(s.startup_time_limit, 7s);
  EXPECT_EQ(s.shutdown_time_limit, 3s);
  EXPECT_EQ(s.rapid_fails_per_minute, 2);
  EXPECT_EQ(s.request_timeout, std::chrono::seconds(100 * 3600 + 2 * 60 + 3));
  EXPECT_FALSE(s.console_redirection);
  EXPECT_TRUE(s.forward_response_connection_header);
  EXPECT_FALSE(s.batch_scheduling);
  EXPECT_EQ(s.path_base, "/");
  ASSERT_EQ(s.environment.size(), 2u);
  EXPECT_EQ(s.environment[1], (std::pair<std::string, std::string>{"ASPNETCORE_PORT", "5000"}));
}

TEST(OutofprocSettings, DefaultsAndPlainSecondsTimeout) {
  ParamsBuilder b;
  b.settings = {{"processPath", "/srv/app/Hello"}, {"requestTimeout", "90"}};
  auto result = read_settings(b.build());
  ASSERT_TRUE(result.ok());
  const Settings& s = result.value();
  EXPECT_EQ(s.request_timeout, 90s);
  EXPECT_EQ(s.startup_time_limit, 120s);
  EXPECT_EQ(s.processes_per_application, 1);
  EXPECT_TRUE(s.console_redirection);
  EXPECT_TRUE(s.batch_scheduling);
  EXPECT_EQ(s.stdout_log_file, "/srv/app/aspnetcore-stdout");
}

TEST(OutofprocSettings, BadValuesNameTheSetting) {
  auto error_for = [](std::string name, std::string value) {
    ParamsBuilder b;
    b.settings = {{"processPath", "dotnet"}, {name, value}};
    auto result = read_settings(b.build());
    return !result.ok() ? result.error() : "";
  };
  EXPECT_NE(error_for("startupTimeLimit", "soon").find("startupTimeLimit"), std::string::npos);
  EXPECT_NE(error_for("requestTimeout", "00:60:00").find("requestTimeout"), std::string::npos);
  EXPECT_NE(error_for("requestTimeout", "361:00:00").find("360 hours"), std::string::npos);
  EXPECT_NE(error_for("processesPerApplication", "0").find("1 to 100"), std::string::npos);
  EXPECT_NE(error_for("stdoutLogEnabled", "yes").find("stdoutLogEnabled"), std::string::npos);
  EXPECT_NE(error_for("handlerSetting:enableOutOfProcessConsoleRedirection", "maybe")
                .find("enableOutOfProcessConsoleRedirection"),
            std::string::npos);
  EXPECT_EQ(error_for("handlerSetting:somethingUnknown", "whatever"), "");

  ParamsBuilder empty;
  empty.settings = {{"processPath", " "}};
  auto result = read_settings(empty.build());
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().find("processPath"), std::string::npos);
}

// -------------------------------------------------------------- environment

std::map<std::string, std::string> as_map(const std::vector<std::string>& block) {
  std::map<std::string, std::string> map;
  for (const std::string& entry : block) {
    auto eq = entry.find('=');
    EXPECT_TRUE(map.emplace(entry.substr(0, eq), entry.substr(eq + 1)).second)
        << "duplicate " << entry;
  }
  return map;
}

TEST(OutofprocEnvironment, WebConfigWinsAndManagerVariablesAreAdded) {
  std::vector<std::string> inherited = {"PATH=/usr/bin", "SHARED=from-env", "ONLY_ENV=1",
                                        "ASPNETCORE_PORT=1234", "ASPNETCORE_TOKEN=stale"};
  EnvVars web_config = {{"SHARED", "first"}, {"SHARED", "from-config"}, {"ONLY_CONFIG", "2"}};
  auto env = as_map(build_environment(inherited, web_config, {23456, "/app", "abc", "/srv/app"}));
  EXPECT_EQ(env["PATH"], "/usr/bin");
  EXPECT_EQ(env["SHARED"], "from-config");
  EXPECT_EQ(env["ONLY_ENV"], "1");
  EXPECT_EQ(env["ONLY_CONFIG"], "2");
  EXPECT_EQ(env["ASPNETCORE_PORT"], "23456");
  EXPECT_EQ(env["ASPNETCORE_APPL_PATH"], "/app");
  EXPECT_EQ(env["ASPNETCORE_TOKEN"], "abc");
  EXPECT_EQ(env["ASPNETCORE_IIS_HTTPAUTH"], "anonymous;");
}

TEST(OutofprocEnvironment, AncmsOwnVariablesWinOverWebConfig) {
  std::vector<std::string> inherited = {"ASPNETCORE_HOSTINGSTARTUPASSEMBLIES=Mine"};
  EnvVars web_config = {{"ASPNETCORE_IIS_HTTPAUTH", "windows;"},
                        {"ASPNETCORE_IIS_PHYSICAL_PATH", "/elsewhere"}};
  auto env = as_map(build_environment(inherited, web_config, {23456, "/", "abc", "/srv/app"}));
  EXPECT_EQ(env["ASPNETCORE_IIS_HTTPAUTH"], "anonymous;");
  EXPECT_EQ(env["ASPNETCORE_IIS_PHYSICAL_PATH"], "/srv/app/");
  EXPECT_EQ(env["ASPNETCORE_IIS_WEBSOCKETS_SUPPORTED"], "true");
  EXPECT_EQ(env["ASPNETCORE_HOSTINGSTARTUPASSEMBLIES"],
            "Mine;Microsoft.AspNetCore.Server.IISIntegration");
}

TEST(OutofprocEnvironment, PreferEnvironmentVariablesKeepsInheritedValues) {
  std::vector<std::string> inherited = {"SHARED=from-env", "ANCM_PREFER_ENVIRONMENT_VARIABLES=TRUE",
                                        "ASPNETCORE_TOKEN=stale"};
  EnvVars web_config = {{"SHARED", "from-config"}, {"ONLY_CONFIG", "2"}};
  auto env = as_map(build_environment(inherited, web_config, {20000, "/", "t", "/srv/app"}));
  EXPECT_EQ(env["SHARED"], "from-env");
  EXPECT_EQ(env["ONLY_CONFIG"], "2");
  EXPECT_EQ(env["ASPNETCORE_TOKEN"], "t");

  inherited[1] = "ANCM_PREFER_ENVIRONMENT_VARIABLES=no";
  EXPECT_EQ(
      as_map(build_environment(inherited, web_config, {20000, "/", "t", "/srv/app"}))["SHARED"],
      "from-config");
}

TEST(OutofprocEnvironment, UserPortFromWebConfigIsKept) {
  auto env = as_map(build_environment({"ASPNETCORE_PORT=1"}, {{"ASPNETCORE_PORT", "5005"}},
                                      {5005, "/", "t", "/srv/app"}));
  EXPECT_EQ(env["ASPNETCORE_PORT"], "5005");
}

TEST(OutofprocEnvironment, TokenIs32HexAndFreshEachTime) {
  std::set<std::string> seen;
  for (int i = 0; i < 20; ++i) {
    std::string token = new_random_token();
    EXPECT_TRUE(std::regex_match(token, std::regex("[0-9a-f]{32}"))) << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 20u);
}

// -------------------------------------------------------------------- ports

TEST(OutofprocPorts, UserPortRules) {
  auto port_of = [](std::string value) { return user_port({{"ASPNETCORE_PORT", value}}); };
  auto error = port_of("80");
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.error(), "ASPNETCORE_PORT '80' is outside 1025-48000");
  EXPECT_FALSE(port_of("48001").ok());
  EXPECT_FALSE(port_of("12ab").ok());
  EXPECT_FALSE(port_of("-5000").ok());
  EXPECT_EQ(port_of("").value(), std::nullopt);
  EXPECT_EQ(user_port({}).value(), std::nullopt);
  EXPECT_EQ(port_of("1025").value(), 1025);
  EXPECT_EQ(port_of("48000").value(), 48000);
}

TEST(OutofprocPorts, RandomPortIsFreeAndInRange) {
  std::set<std::uint16_t> taken;
  for (int i = 0; i < 10; ++i) {
    auto port = pick_random_port(taken);
    ASSERT_TRUE(port);
    EXPECT_GE(*port, 10000);
    EXPECT_LE(*port, 48000);
    EXPECT_EQ(taken.count(*port), 0u);
    taken.insert(*port);
  }
}

// Outgoing connections take ports from the kernel's ephemeral range: a
// child's port there could be taken between the check and Kestrel's bind.
TEST(OutofprocPorts, RandomPortsAvoidTheEphemeralRange) {
  PortRange ephemeral{20000, 47000};
  for (int i = 0; i < 200; ++i) {
    auto port = pick_random_port({}, ephemeral);
    ASSERT_TRUE(port);
    EXPECT_TRUE((*port >= 10000 && *port < 20000) || (*port > 47000 && *port <= 48000)) << *port;
  }
  // A range that covers everything leaves the whole of 10000-48000.
  EXPECT_TRUE(pick_random_port({}, PortRange{1024, 65535}));
  auto system = ephemeral_ports();
  EXPECT_LE(system.low, system.high);
}

TEST(OutofprocPorts, BusyPortIsNotFree) {
  auto port = pick_random_port({});
  ASSERT_TRUE(port);
  common::UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(*port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(fd.get(), 1), 0);
  EXPECT_FALSE(port_is_free(*port));
  EXPECT_FALSE(listening_inodes(*port).empty());
}

// ----------------------------------------------------------- executables

TEST(OutofprocLookup, DotnetOnPathThenDotnetRoot) {
  TempDir on_path, root;
  write_text(on_path.path() / "dotnet", "#!/bin/sh\n", fs::perms::owner_all);
  write_text(root.path() / "dotnet", "#!/bin/sh\n", fs::perms::owner_all);
  auto env = [&](bool with_path) -> EnvGetter {
    return [&, with_path](const std::string& name) -> std::optional<std::string> {
      if (name == "PATH") return with_path ? on_path.path().string() : "/nonexistent";
      if (name == "DOTNET_ROOT") return root.path().string();
      return std::nullopt;
    };
  };
  auto found = find_executable("dotnet", "/srv/app", env(true));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value(), on_path.path() / "dotnet");
  // Not on PATH: DOTNET_ROOT comes before the fixed install folders.
  found = find_executable("dotnet", "/srv/app", env(false));
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found.value(), root.path() / "dotnet");
}

TEST(OutofprocLookup, BareNamesAbsoluteAndErrors) {
  auto sh = find_executable("sh", "/srv/app");
  ASSERT_TRUE(sh.ok()) << sh.error();
  EXPECT_TRUE(sh.value().is_absolute());

  auto missing = find_executable("/nonexistent/MyApp", "/srv/app");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("'/nonexistent/MyApp'"), std::string::npos);

  TempDir dir;
  auto folder = find_executable(dir.path().string(), "/srv/app");
  ASSERT_FALSE(folder.ok());
  EXPECT_NE(folder.error().find("directory"), std::string::npos);

  auto nowhere = find_executable("no-such-program-anywhere", "/srv/app");
  ASSERT_FALSE(nowhere.ok());
  EXPECT_NE(nowhere.error().find("no-such-program-anywhere"), std::string::npos);
}

// A file with no execute bit at all is refused even for root, whom
// access(X_OK) lets execute anything with at least one such bit.
TEST(OutofprocLookup, AFileWithoutAnExecuteBitIsRefused) {
  TempDir dir;
  write_text(dir.path() / "NotExecutable", "data", fs::perms::owner_read | fs::perms::owner_write);
  auto plain = find_executable((dir.path() / "NotExecutable").string(), "/srv/app");
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().find("NotExecutable"), std::string::npos);
}

// ------------------------------------------------------------ listen probe

TEST(OutofprocProbe, ReadsListeningSocketsFromTables) {
  const std::string table =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n"
      "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  "
      "      0 4242 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000  "
      "      0 4343 1 0000000000000000 20 4 30 10 -1\n"
      "   2: 00000000:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000  "
      "      0 4444 1 0000000000000000 100 0 0 10 0\n";
  EXPECT_EQ(listening_inodes_in_table(table, 8080), (std::set<ino_t>{4242}));
  EXPECT_EQ(listening_inodes_in_table(table, 8081), (std::set<ino_t>{4444}));
  EXPECT_TRUE(listening_inodes_in_table(table, 8082).empty());
}

TEST(OutofprocRapidFail, RollingMinute) {
  RapidFailGuard guard(2);
  auto t0 = RapidFailGuard::Clock::now();
  guard.record_failure(t0);
  guard.record_failure(t0 + 1s);
  EXPECT_FALSE(guard.blocked_until(t0 + 2s));
  guard.record_failure(t0 + 2s);
  EXPECT_EQ(guard.blocked_until(t0 + 3s), t0 + 60s);
  EXPECT_FALSE(guard.blocked_until(t0 + 60s));
  EXPECT_EQ(guard.failures_in_window(t0 + 61s), 1u);
}

// ------------------------------------------------ manager with real children

TEST_F(OutofprocManager, StartsAChildThatServesWithTheRightEnvironment) {
  Settings settings = backend("--print-env --print \"hello from the app\"");
  settings.stdout_log_enabled = true;
  settings.environment = {{"FROM_WEB_CONFIG", "yes"}};
  settings.path_base = "/base";
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_FALSE(got.failure) << got.failure->reason;
  ASSERT_TRUE(got.child);
  EXPECT_TRUE(got.child->running());
  EXPECT_GE(got.child->port(), 10000);
  EXPECT_LE(got.child->port(), 48000);
  EXPECT_TRUE(std::regex_match(got.child->token(), std::regex("[0-9a-f]{32}")));
  EXPECT_NE(http_get(got.child->port()).find("pid " + std::to_string(got.child->pid())),
            std::string::npos);
  EXPECT_EQ(manager.spawn_count(), 1u);

  // The stdout log: <base>_<yyyyMMddHHmmss>_<pid>.log with the child's output.
  fs::path log_dir = dir_.path() / "logs";
  std::vector<fs::path> logs;
  for (const auto& entry : fs::directory_iterator(log_dir)) logs.push_back(entry.path());
  ASSERT_EQ(logs.size(), 1u);
  EXPECT_TRUE(std::regex_match(
      logs[0].filename().string(),
      std::regex("stdout_[0-9]{14}_" + std::to_string(got.child->pid()) + "\\.log")))
      << logs[0];
  std::string text;
  ASSERT_TRUE(eventually([&] {
    text = read_text(logs[0]);
    return text.find("listening on port") != std::string::npos;
  }));
  EXPECT_NE(text.find("hello from the app\n"), std::string::npos);
  EXPECT_NE(text.find("ENV FROM_WEB_CONFIG=yes\n"), std::string::npos);
  EXPECT_NE(text.find("ENV ASPNETCORE_PORT=" + std::to_string(got.child->port()) + "\n"),
            std::string::npos);
  EXPECT_NE(text.find("ENV ASPNETCORE_TOKEN=" + got.child->token() + "\n"), std::string::npos);
  EXPECT_NE(text.find("ENV ASPNETCORE_APPL_PATH=/base\n"), std::string::npos);
  EXPECT_NE(text.find("ENV ASPNETCORE_IIS_HTTPAUTH=anonymous;\n"), std::string::npos);

  // Inline: a ready child is handed over without a new start.
  Acquired again = acquire(manager);
  ASSERT_TRUE(again.child);
  EXPECT_EQ(again.child->pid(), got.child->pid());
  EXPECT_EQ(manager.spawn_count(), 1u);
  EXPECT_TRUE(logs_.contains("listens on port " + std::to_string(got.child->port())));
}

TEST_F(OutofprocManager, WorkingDirectoryIsTheAppFolder) {
  Settings settings = backend();
  settings.process_path = "/bin/sh";
  settings.arguments = "-c 'pwd; exit 4'";
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.failure);
  EXPECT_EQ(got.failure->detail, fs::canonical(dir_.path()).string() + "\n");
}

TEST_F(OutofprocManager, UserPortIsHonoured) {
  auto free_port = pick_random_port({});
  ASSERT_TRUE(free_port);
  Settings settings = backend();
  settings.environment = {{"ASPNETCORE_PORT", std::to_string(*free_port)}};
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.child) << (got.failure ? got.failure->reason : "");
  EXPECT_EQ(got.child->port(), *free_port);
}

TEST_F(OutofprocManager, PortOutsideTheRangeIsAStartFailure) {
  Settings settings = backend();
  settings.environment = {{"ASPNETCORE_PORT", "80"}};
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.failure);
  EXPECT_FALSE(got.child);
  EXPECT_NE(got.failure->reason.find("ASPNETCORE_PORT '80' is outside 1025-48000"),
            std::string::npos)
      << got.failure->reason;
  EXPECT_EQ(manager.spawn_count(), 0u);
}

TEST_F(OutofprocManager, EmptyUserPortMeansRandom) {
  Settings settings = backend();
  settings.environment = {{"ASPNETCORE_PORT", ""}};
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.child) << (got.failure ? got.failure->reason : "");
  EXPECT_GE(got.child->port(), 10000);
}

TEST_F(OutofprocManager, ADescendantThatListensMakesTheChildReady) {
  ProcessManager manager(backend("--grandchild"), logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.child) << (got.failure ? got.failure->reason : "");
  std::string answer = http_get(got.child->port());
  ASSERT_NE(answer.find("pid "), std::string::npos);
  // Served by the grandchild, not the child itself.
  EXPECT_EQ(answer.find("pid " + std::to_string(got.child->pid())), std::string::npos);
  pid_t child = got.child->pid();
  EXPECT_EQ(processes_in_group(child).size(), 2u);
  manager.shutdown();
  EXPECT_FALSE(process_exists(child));
  EXPECT_TRUE(processes_in_group(child).empty());
}

TEST_F(OutofprocManager, ExitsEarlyIsAFailureWithItsOutput) {
  ProcessManager manager(backend("--exit-early 3"), logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.failure);
  EXPECT_FALSE(got.child);
  EXPECT_EQ(got.failure->reason,
            std::string("process '") + ANCM_FAKE_BACKEND + "' exited early with code 3");
  EXPECT_NE(got.failure->detail.find("failing on purpose with 3"), std::string::npos);
  EXPECT_NE(got.failure->detail.find("and on stderr"), std::string::npos);
  EXPECT_TRUE(logs_.contains("exited early with code 3"));
}

TEST_F(OutofprocManager, KilledBySignalDuringStart) {
  Settings settings = backend();
  settings.process_path = "/bin/sh";
  settings.arguments = "-c 'echo dying; kill -SEGV $$'";
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.failure);
  EXPECT_EQ(got.failure->reason, "process '/bin/sh' was killed early by signal 11 (SIGSEGV)");
  EXPECT_EQ(got.failure->detail, "dying\n");
}

TEST_F(OutofprocManager, WithoutConsoleRedirectionNoOutputIsKept) {
  Settings settings = backend("--exit-early 5");
  settings.console_redirection = false;
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.failure);
  EXPECT_NE(got.failure->reason.find("exited early with code 5"), std::string::npos);
  EXPECT_EQ(got.failure->detail, "");
}

TEST_F(OutofprocManager, NeverListensFailsAfterStartupTimeLimit) {
  Settings settings = backend("--never-listen");
  settings.startup_time_limit = 1s;
  ProcessManager manager(settings, logs_.logger());
  auto before = std::chrono::steady_clock::now();
  Acquired got = acquire(manager);
  auto took = std::chrono::steady_clock::now() - before;
  ASSERT_TRUE(got.failure);
  EXPECT_TRUE(std::regex_match(
      got.failure->reason,
      std::regex("process '.*fake_backend' did not listen on port [0-9]+ within 1 seconds")))
      << got.failure->reason;
  EXPECT_NE(got.failure->detail.find("never listening"), std::string::npos);
  EXPECT_GE(took, 1s);  // not before the limit; the reason says the limit ended it
  EXPECT_EQ(manager.spawn_count(), 1u);
  // Killed and reaped: no process of that group is left.
  std::smatch started;
  std::string log = logs_.all();
  ASSERT_TRUE(std::regex_search(log, started, std::regex("started process ([0-9]+)")));
  pid_t pid = std::stoi(started[1]);
  EXPECT_FALSE(process_exists(pid));
  EXPECT_TRUE(processes_in_group(pid).empty());
}

TEST_F(OutofprocManager, UnexecutableProcessPathIsAFailureNamingIt) {
  Settings settings = backend();
  settings.process_path = (dir_.path() / "Missing").string();
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.failure);
  EXPECT_NE(got.failure->reason.find(settings.process_path), std::string::npos);
  EXPECT_EQ(manager.spawn_count(), 0u);

  // Executable bit set but not a program the kernel can run.
  write_text(dir_.path() / "Broken",
             "\x7f"
             "ELF garbage",
             fs::perms::owner_all);
  settings.process_path = (dir_.path() / "Broken").string();
  ProcessManager broken(settings, logs_.logger());
  got = acquire(broken);
  ASSERT_TRUE(got.failure);
  EXPECT_NE(got.failure->reason.find("Broken"), std::string::npos) << got.failure->reason;
  EXPECT_NE(got.failure->reason.find("cannot execute"), std::string::npos) << got.failure->reason;
}

TEST_F(OutofprocManager, CrashedChildIsReplacedOnTheNextAcquire) {
  Events events;
  ProcessManager manager(backend(), logs_.logger(), events.sink());
  Acquired first = acquire(manager);
  ASSERT_TRUE(first.child);
  pid_t old_pid = first.child->pid();
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return !first.child->running(); }));
  EXPECT_FALSE(process_exists(old_pid));  // reaped, no zombie
  EXPECT_TRUE(logs_.contains("process " + std::to_string(old_pid) + " " +
                             std::string(common::kKilledBySignal) +
                             "9 (SIGKILL); it is restarted on the next request"));
  Acquired second = acquire(manager);
  ASSERT_TRUE(second.child) << (second.failure ? second.failure->reason : "");
  EXPECT_NE(second.child->pid(), old_pid);
  EXPECT_TRUE(second.child->running());
  EXPECT_EQ(manager.spawn_count(), 2u);
  manager.shutdown();  // asked to stop: not a crash
  EXPECT_EQ(events.seen(),
            (std::vector{ANCM_HOST_EVENT_CHILD_STARTED, ANCM_HOST_EVENT_CHILD_CRASHED,
                         ANCM_HOST_EVENT_CHILD_STARTED}));
}

// Warm start: every slot's child starts before any acquire, and the
// acquires that follow get those children without a new start.
TEST_F(OutofprocManager, WarmStartStartsEverySlotBeforeTheFirstAcquire) {
  Settings settings = backend();
  settings.processes_per_application = 3;
  ProcessManager manager(settings, logs_.logger());
  WarmStart warm;
  warm.begin(manager, logs_.logger());
  EXPECT_EQ(warm.wait(30s), WarmStart::Settled::Started) << logs_.all();
  EXPECT_EQ(manager.spawn_count(), 3u);
  std::set<pid_t> pids;
  for (int i = 0; i < 3; ++i) {
    Acquired got = acquire(manager);
    ASSERT_TRUE(got.child) << (got.failure ? got.failure->reason : "");
    pids.insert(got.child->pid());
  }
  EXPECT_EQ(pids.size(), 3u);
  EXPECT_EQ(manager.spawn_count(), 3u);
  EXPECT_TRUE(logs_.contains("warm start: starting 3 processes"));
}

TEST_F(OutofprocManager, WarmStartSaysFailedWhenAChildCannotStart) {
  ProcessManager manager(backend("--exit-early 1"), logs_.logger());
  WarmStart warm;
  warm.begin(manager, logs_.logger());
  EXPECT_EQ(warm.wait(30s), WarmStart::Settled::Failed);
  EXPECT_TRUE(logs_.contains(std::string(kWarmStartFailed)));
  EXPECT_TRUE(logs_.contains("exited early with code 1"));
}

TEST(OutofprocWarmStart, OffIsStartedAtOnce) {
  WarmStart off;
  EXPECT_EQ(off.wait(0ms), WarmStart::Settled::Started);
}

TEST_F(OutofprocManager, RapidFailsStopStartsForTheMinute) {
  Settings settings = backend("--exit-early 1");
  settings.rapid_fails_per_minute = 2;
  Events events;
  ProcessManager manager(settings, logs_.logger(), events.sink());
  for (int i = 0; i < 3; ++i) {
    Acquired got = acquire(manager);
    ASSERT_TRUE(got.failure);
    EXPECT_NE(got.failure->reason.find("exited early with code 1"), std::string::npos)
        << got.failure->reason;
  }
  EXPECT_EQ(manager.spawn_count(), 3u);
  for (int i = 0; i < 2; ++i) {
    Acquired got = acquire(manager);
    ASSERT_TRUE(got.failure);
    EXPECT_TRUE(std::regex_search(
        got.failure->reason,
        std::regex("failed more than 2 times in the last minute; not starting it again until "
                   "[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC")))
        << got.failure->reason;
    EXPECT_NE(got.failure->detail.find("failing on purpose"), std::string::npos);
  }
  EXPECT_EQ(manager.spawn_count(), 3u);
  std::vector<ancm_host_event> failing;
  for (int i = 0; i < 3; ++i) {
    failing.push_back(ANCM_HOST_EVENT_CHILD_STARTED);
    failing.push_back(ANCM_HOST_EVENT_CHILD_START_FAILED);
  }
  auto blocked = failing;
  blocked.push_back(ANCM_HOST_EVENT_RAPID_FAIL_BLOCKED);  // once for both refusals
  EXPECT_EQ(events.seen(), blocked);
  // Still inside the minute: only the manager's stop lifts the block.
  manager.shutdown();
  blocked.push_back(ANCM_HOST_EVENT_RAPID_FAIL_UNBLOCKED);
  EXPECT_EQ(events.seen(), blocked);
}

TEST_F(OutofprocManager, ProcessesPerApplicationAreServedRoundRobin) {
  Settings settings = backend();
  settings.processes_per_application = 3;
  ProcessManager manager(settings, logs_.logger());
  std::vector<pid_t> pids;
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 6; ++i) {
    Acquired got = acquire(manager);
    ASSERT_TRUE(got.child) << (got.failure ? got.failure->reason : "");
    pids.push_back(got.child->pid());
    ports.insert(got.child->port());
  }
  EXPECT_EQ(std::set<pid_t>(pids.begin(), pids.end()).size(), 3u);
  EXPECT_EQ(ports.size(), 3u);
  EXPECT_EQ(pids[0], pids[3]);
  EXPECT_EQ(pids[1], pids[4]);
  EXPECT_EQ(pids[2], pids[5]);
  EXPECT_EQ(manager.spawn_count(), 3u);
  manager.shutdown();
  for (pid_t pid : pids) EXPECT_FALSE(process_exists(pid));
}

TEST_F(OutofprocManager, ConcurrentAcquiresShareOneStart) {
  ProcessManager manager(backend("--delay-ms 300"), logs_.logger());
  std::vector<std::future<Acquired>> results;
  for (int i = 0; i < 8; ++i) {
    results.push_back(std::async(std::launch::async, [&] { return acquire(manager); }));
  }
  std::set<pid_t> pids;
  for (auto& result : results) {
    Acquired got = result.get();
    ASSERT_TRUE(got.child);
    pids.insert(got.child->pid());
  }
  EXPECT_EQ(pids.size(), 1u);
  EXPECT_EQ(manager.spawn_count(), 1u);
}

TEST_F(OutofprocManager, ShutdownSendsTheEventAndLeavesNoProcess) {
  fs::path events = dir_.path() / "events.txt";
  ProcessManager manager(backend("--event-file " + events.string()), logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.child);
  pid_t pid = got.child->pid();
  manager.shutdown();
  EXPECT_EQ(read_text(events), "shutdown token-ok pid " + std::to_string(pid) + "\n");
  EXPECT_FALSE(process_exists(pid));
  EXPECT_TRUE(processes_in_group(pid).empty());
  EXPECT_FALSE(got.child->running());
  EXPECT_TRUE(logs_.contains("shutdown event on port " + std::to_string(got.child->port()) +
                             " answered 202"));

  Acquired after = acquire(manager);
  ASSERT_TRUE(after.failure);
  EXPECT_EQ(after.failure->reason, "the application is shutting down");
  manager.shutdown();  // twice is fine
}

TEST_F(OutofprocManager, ShutdownKillsAChildThatIgnoresIt) {
  Settings settings = backend("--stubborn --grandchild");
  settings.shutdown_time_limit = 1s;
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.child);
  pid_t pid = got.child->pid();
  auto before = std::chrono::steady_clock::now();
  manager.shutdown();
  auto took = std::chrono::steady_clock::now() - before;
  EXPECT_GE(took, 1s);  // it was given its shutdownTimeLimit, then killed
  EXPECT_FALSE(process_exists(pid));
  EXPECT_TRUE(processes_in_group(pid).empty());
  EXPECT_TRUE(logs_.contains("did not stop within 1 seconds"));
}

TEST_F(OutofprocManager, DestructorStopsEverything) {
  pid_t pid = 0;
  {
    ProcessManager manager(backend(), logs_.logger());
    Acquired got = acquire(manager);
    ASSERT_TRUE(got.child);
    pid = got.child->pid();
  }
  EXPECT_FALSE(process_exists(pid));
}

TEST_F(OutofprocManager, DestroyedFromItsOwnCallback) {
  // The manager thread outlives the test body here, so its logger must too.
  auto logs = std::make_shared<Logs>();
  Logger logger = [logs](ancm_log_level level, const std::string& message) {
    logs->logger()(level, message);
  };
  auto manager = std::make_unique<ProcessManager>(backend("--delay-ms 100"), logger);
  auto started = std::make_shared<std::promise<pid_t>>();
  manager->acquire([&manager, started](ProcessManager::Acquired acquired) {
    // On the manager thread: the last owner lets go here.
    std::shared_ptr<ChildProcess> child = acquired.ok() ? std::move(acquired).value() : nullptr;
    pid_t pid = child ? child->pid() : 0;
    child.reset();
    manager.reset();
    started->set_value(pid);
  });
  auto future = started->get_future();
  ASSERT_EQ(future.wait_for(20s), std::future_status::ready);
  pid_t pid = future.get();
  ASSERT_NE(pid, 0);
  EXPECT_TRUE(eventually([&] { return !process_exists(pid); }));
}

// PR_SET_PDEATHSIG: children die with the worker even when it is SIGKILLed
// and has no chance to stop them.
TEST_F(OutofprocManager, ChildrenDieWithAKilledWorker) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t worker = ::fork();
  ASSERT_GE(worker, 0);
  if (worker == 0) {
    ::close(fds[0]);
    ProcessManager manager(backend(), {});
    Acquired got = acquire(manager);
    pid_t child = got.child ? got.child->pid() : 0;
    (void)!::write(fds[1], &child, sizeof child);
    while (true) ::pause();
  }
  ::close(fds[1]);
  pid_t child = 0;
  ASSERT_EQ(::read(fds[0], &child, sizeof child), static_cast<ssize_t>(sizeof child));
  ::close(fds[0]);
  ASSERT_NE(child, 0);
  EXPECT_TRUE(process_alive(child));
  ::kill(worker, SIGKILL);
  ::waitpid(worker, nullptr, 0);
  EXPECT_TRUE(eventually([&] { return !process_alive(child); }));
}

TEST_F(OutofprocManager, ShutdownDuringAStartFailsTheWaiters) {
  Settings settings = backend("--never-listen");
  ProcessManager manager(settings, logs_.logger());
  auto promise = std::make_shared<std::promise<Acquired>>();
  manager.acquire([promise](ProcessManager::Acquired acquired) {
    promise->set_value(Acquired::of(std::move(acquired)));
  });
  ASSERT_TRUE(eventually([&] { return manager.spawn_count() == 1; }));
  manager.shutdown();
  auto future = promise->get_future();
  ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
  Acquired got = future.get();
  ASSERT_TRUE(got.failure);
  EXPECT_EQ(got.failure->reason, "the application is shutting down");
}

TEST_F(OutofprocManager, UnreachableChildThatStoppedListeningIsReplaced) {
  ProcessManager manager(backend("--close-after-first"), logs_.logger());
  Acquired first = acquire(manager);
  ASSERT_TRUE(first.child);
  EXPECT_NE(http_get(first.child->port()).find("pid"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return listening_inodes(first.child->port()).empty(); }));
  // The forwarder reports and retries at once: the retry waits for the check
  // and gets a fresh process, not the broken one.
  manager.report_unreachable(first.child);
  Acquired second = acquire(manager);
  ASSERT_TRUE(second.child) << (second.failure ? second.failure->reason : "");
  EXPECT_NE(second.child->pid(), first.child->pid());
  EXPECT_FALSE(first.child->running());
  EXPECT_FALSE(process_exists(first.child->pid()));
  EXPECT_TRUE(logs_.contains("no longer listens on port"));
  EXPECT_EQ(manager.spawn_count(), 2u);
}

TEST_F(OutofprocManager, UnreachableReportAboutAHealthyChildKeepsIt) {
  ProcessManager manager(backend(), logs_.logger());
  Acquired first = acquire(manager);
  ASSERT_TRUE(first.child);
  manager.report_unreachable(first.child);
  Acquired second = acquire(manager);
  ASSERT_TRUE(second.child);
  EXPECT_EQ(second.child->pid(), first.child->pid());
  EXPECT_EQ(manager.spawn_count(), 1u);
}

TEST_F(OutofprocManager, StdoutLogThatCannotBeOpenedIsOnlyAWarning) {
  Settings settings = backend();
  settings.stdout_log_enabled = true;
  write_text(dir_.path() / "file", "", fs::perms::owner_all);
  settings.stdout_log_file = dir_.path() / "file" / "stdout";  // under a file: cannot exist
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.child) << (got.failure ? got.failure->reason : "");
  EXPECT_TRUE(logs_.contains("runs without a stdout log"));
}

TEST_F(OutofprocManager, PythonHttpServerAsARealThirdPartyServer) {
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3";
  Settings settings = backend();
  settings.process_path = "/bin/sh";
  // A shell that starts the server as its child: readiness by a descendant.
  settings.arguments = "-c '/usr/bin/python3 -m http.server \"$ASPNETCORE_PORT\" --bind 127.0.0.1'";
  ProcessManager manager(settings, logs_.logger());
  Acquired got = acquire(manager);
  ASSERT_TRUE(got.child) << (got.failure ? got.failure->reason + "\n" + got.failure->detail : "");
  EXPECT_NE(http_get(got.child->port()).find("200 OK"), std::string::npos);
  pid_t pid = got.child->pid();
  manager.shutdown();
  EXPECT_TRUE(processes_in_group(pid).empty());
}

}  // namespace
}  // namespace ancm::outofproc
