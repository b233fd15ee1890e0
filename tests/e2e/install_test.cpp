// `cmake --install` makes a tree that works wherever it is put: the installed
// binary finds its handler libraries and Ancm.Host.dll from its own path, and
// a binary copied without them refuses to start, saying where it looked.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ancm/shim/shim.h"
#include "command_output.h"
#include "host_exit.h"
#include "host_process.h"
#include "http_client.h"
#include "published_app.h"
#include "temp_dir.h"

namespace ancm::test {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

AspNetCoreEdit in_model(const std::string& model) {
  AspNetCoreEdit edit;
  edit.hosting_model = model;
  return edit;
}

class InstallTest : public ::testing::Test {
 protected:
  InstallTest() : dir_("ancm-install") {}

  // cmake --install of this build into <dir>/<name>; the prefix.
  fs::path install(const std::string& name) {
    auto prefix = dir_ / name;
    std::string command = std::string(ANCM_TEST_CMAKE) + " --install " + ANCM_TEST_BUILD_DIR +
                          " --prefix " + prefix.string() + " > " + (dir_ / "install.log").string() +
                          " 2>&1; echo $?";
    EXPECT_EQ(command_output(command), "0\n") << read_all(dir_ / "install.log");
    return prefix;
  }

  // The binary alone, copied to <dir>/<name>/bin, and the Hello app in `model`
  // for it to serve: the options that run it.
  HostOptions binary_alone(const std::string& name, const std::string& model) {
    auto bin = dir_ / name / "bin";
    fs::create_directories(bin);
    fs::copy_file(ancm_host_binary(), bin / "ancm-host");
    auto app = dir_ / "app";
    install_app("Hello", app, in_model(model));
    HostOptions options;
    options.executable = bin / "ancm-host";
    options.target = app;
    return options;
  }

  // The Hello test app in `model`, served by `binary`; its answer to GET /.
  std::string serve_hello(const fs::path& binary, const std::string& model,
                          std::string* output = nullptr) {
    auto app = dir_ / ("app-" + model);
    install_app("Hello", app, in_model(model));
    HostOptions options;
    options.executable = binary;
    options.target = app;
    HostProcess host(options);
    if (output) *output = host.output();
    if (!host.started()) return "(not started) " + host.output();
    auto response = http_get(host.port(), "/");
    if (output) *output = host.output();
    return response ? response->body : "(no answer) " + host.output();
  }

  TempDir dir_;
};

TEST_F(InstallTest, TheInstalledTreeServesBothModels) {
  auto prefix = install("opt");
  auto binary = prefix / "bin" / "ancm-host";
  for (std::string model : {"inprocess", "outofprocess"}) {
    std::string output;
    EXPECT_EQ(serve_hello(binary, model, &output), "Hello World!") << model;
    auto library = prefix / "lib" / "ancm-host" /
                   (model == "inprocess" ? "libancm_inproc.so" : "libancm_outofproc.so");
    EXPECT_NE(output.find(std::string(shim::kLoadedHandlerLibrary) + " " + library.string()),
              std::string::npos)
        << output;
  }
}

// Moved after installing (as a tarball of it would be): nothing in it names
// the place it was installed to, but the systemd unit.
TEST_F(InstallTest, AMovedTreeStillServes) {
  auto installed = install("first");
  auto moved = dir_ / "elsewhere";
  fs::rename(installed, moved);
  EXPECT_EQ(serve_hello(moved / "bin" / "ancm-host", "inprocess"), "Hello World!");
}

TEST_F(InstallTest, TheUnitRunsTheInstalledBinary) {
  auto prefix = install("usr");
  auto unit = read_all(prefix / "lib" / "systemd" / "system" / "ancm-host@.service");
  EXPECT_NE(unit.find("ExecStart=" + (prefix / "bin" / "ancm-host").string() + " run ${APP} $ARGS"),
            std::string::npos)
      << unit;
  EXPECT_NE(unit.find("EnvironmentFile=-/etc/ancm-host/%i.conf"), std::string::npos) << unit;
  EXPECT_NE(unit.find("Type=notify"), std::string::npos) << unit;
  EXPECT_TRUE(fs::exists(prefix / "share" / "doc" / "ancm-host" / "examples" / "instance.conf"));
  EXPECT_TRUE(fs::exists(prefix / "lib" / "ancm-host" / "managed" / "Ancm.Host.dll"));
  EXPECT_TRUE(fs::exists(prefix / "lib" / "ancm-host" / "ancm-host-master"));
}

TEST_F(InstallTest, CheckNamesTheHandlerLibraryItWouldLoad) {
  auto prefix = install("opt");
  auto app = dir_ / "app";
  install_app("Hello", app, in_model("outofprocess"));
  auto output = command_output((prefix / "bin" / "ancm-host").string() + " check " + app.string() +
                               " 2>&1; echo \"exit $?\"");
  EXPECT_NE(output.find("handler library: " +
                        (prefix / "lib" / "ancm-host" / "libancm_outofproc.so").string()),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("exit 0"), std::string::npos) << output;
}

// The first hour's stumble: the binary copied to a bin/ of its own.
TEST_F(InstallTest, ABinaryWithoutItsLibrariesRefusesToStartAndSaysWhereItLooked) {
  auto options = binary_alone("lonely", "inprocess");
  HostProcess host(options);
  expect_exit_code(host, 1);
  auto looked_in = (dir_ / "lonely" / "lib" / "ancm-host").string();
  EXPECT_NE(host.output().find(looked_in), std::string::npos) << host.output();
  EXPECT_NE(host.output().find("ANCM_HANDLER_DIR"), std::string::npos) << host.output();

  auto check = command_output(options.executable.string() + " check " + options.target.string() +
                              " 2>&1; echo \"exit $?\"");
  EXPECT_NE(check.find(looked_in), std::string::npos) << check;
  EXPECT_NE(check.find("exit 1"), std::string::npos) << check;
}

// Copied alone but pointed at its handler libraries, the binary runs the
// master in its own process (no ancm-host-master beside it) and serves.
TEST_F(InstallTest, ABinaryWithoutItsMasterProgramServesWithTheMasterInProcess) {
  auto options = binary_alone("alone", "outofprocess");
  options.env["ANCM_HANDLER_DIR"] =
      (ancm_host_binary().parent_path().parent_path() / "lib").string();
  HostProcess host(options);
  ASSERT_TRUE(host.started()) << host.output();
  EXPECT_EQ(fs::read_symlink("/proc/" + std::to_string(host.pid()) + "/exe"), options.executable);
  auto response = http_get(host.port(), "/");
  ASSERT_TRUE(response) << host.output();
  EXPECT_EQ(response->body, "Hello World!");
}

}  // namespace
}  // namespace ancm::test
