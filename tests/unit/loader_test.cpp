// The loader with real files: fake dotnet roots built in temp folders for the
// search order and version pick, self-contained app folders, the machine's
// real hostfxr, and stand-in hostfxr libraries for load errors and the error
// writer capture.
#include "ancm/loader/loader.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "fxr_version.h"
#include "hostfxr_search.h"

namespace fs = std::filesystem;
using namespace ancm::loader;

namespace {

// ------------------------------------------------------------------ helpers

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ancm-loader-test-XXXXXX").string();
    path_ = fs::path(::mkdtemp(pattern.data()));
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(const fs::path& relative) const { return path_ / relative; }

 private:
  fs::path path_;
};

fs::path write_file(const fs::path& path, const std::string& content = "") {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << content;
  return path;
}

fs::path write_executable(const fs::path& path) {
  write_file(path, "#!/bin/sh\n");
  fs::permissions(path, fs::perms::owner_all);
  return path;
}

// <root>/host/fxr/<version>/libhostfxr.so for each version.
fs::path make_root(const fs::path& root, const std::vector<std::string>& versions) {
  for (const std::string& version : versions) {
    write_file(root / "host" / "fxr" / version / "libhostfxr.so", "not really a library");
  }
  return root;
}

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

// Fixed places inside the test's folder, so /usr/share/dotnet on this
// machine never answers for a test.
SearchLocations locations_in(const TempDir& dir) {
  SearchLocations locations;
  locations.install_location_files = {dir / "etc/install_location_x64",
                                      dir / "etc/install_location"};
  locations.default_roots = {dir / "usr/share/dotnet", dir / "usr/lib/dotnet"};
  return locations;
}

LaunchPlan expect_plan(const ancm::common::Result<LaunchPlan, PlanFailure>& result) {
  if (!result.ok()) {
    ADD_FAILURE() << "unexpected failure: " << result.error().message;
    return {};
  }
  return result.value();
}

PlanFailure expect_failure(const ancm::common::Result<LaunchPlan, PlanFailure>& result) {
  if (result.ok()) {
    ADD_FAILURE() << "unexpected plan with hostfxr " << result.value().hostfxr_path;
    return {PlanError::BadArguments, ""};
  }
  return result.error();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::unique_ptr<Hostfxr> expect_load(const fs::path& path) {
  auto loaded = Hostfxr::load(path);
  if (!loaded.ok()) {
    ADD_FAILURE() << loaded.error();
    return nullptr;
  }
  return std::move(loaded).value();
}

// An app folder holding app.dll, for framework-dependent plans.
struct AppFolder {
  TempDir dir;
  fs::path app = dir / "app";
  AppFolder() { write_file(app / "app.dll"); }
};

// -------------------------------------------------------- version ordering

using detail::FxrVersion;

FxrVersion version(const char* text) {
  auto parsed = FxrVersion::parse(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(FxrVersion{});
}

TEST(LoaderVersion, ParsesVersionFolderNames) {
  FxrVersion rc = version("10.0.0-rc.2.25502.107");
  EXPECT_EQ(rc.major, 10u);
  EXPECT_EQ(rc.prerelease, (std::vector<std::string>{"rc", "2", "25502", "107"}));
  EXPECT_TRUE(version("8.0.1+abc").prerelease.empty());
  for (const char* name : {"preview", "8.0", "8", "1.2.3.4", "1.2.3-", "1.2.3-a..b", "1.2.x", "",
                           "1..2", "v1.2.3", " 1.2.3", "1.2.3-rc_1"}) {
    EXPECT_FALSE(FxrVersion::parse(name)) << name;
  }
}

TEST(LoaderVersion, OrdersSemantically) {
  EXPECT_GT(version("10.0.1"), version("9.0.12"));
  EXPECT_GT(version("9.0.12"), version("9.0.2"));
  EXPECT_GT(version("9.0.2"), version("8.0.0"));
  EXPECT_GT(version("10.0.0"), version("10.0.0-rc.2.25502.107"));
  EXPECT_GT(version("10.0.1-preview.1"), version("10.0.0"));
  EXPECT_GT(version("10.0.0-rc.10"), version("10.0.0-rc.2"));
  EXPECT_GT(version("10.0.0-rc.1"), version("10.0.0-preview.7"));
  EXPECT_GT(version("1.0.0-alpha.1"), version("1.0.0-alpha"));
  EXPECT_GT(version("1.0.0-alpha"), version("1.0.0-1"));  // numeric before alphanumeric
  EXPECT_EQ(version("8.0.1+x"), version("8.0.1+y"));
}

// ---------------------------------------------- hostfxr in one dotnet root

TEST(LoaderSearch, PicksTheHighestVersionThatHoldsHostfxr) {
  AppFolder app;
  fs::path root = make_root(app.dir / "dotnet", {"8.0.1", "9.0.12", "10.0.0",
                                                 "10.0.0-rc.2.25502.107", "preview", "10.1"});
  fs::create_directories(root / "host/fxr/11.0.0");  // no libhostfxr.so inside
  write_file(root / "host/fxr/12.0.0", "a file, not a folder");
  auto plan = expect_plan(make_launch_plan("dotnet", "app.dll", app.app,
                                           fake_env({{"DOTNET_ROOT", root.string()}}),
                                           locations_in(app.dir)));
  EXPECT_EQ(plan.hostfxr_path, root / "host/fxr/10.0.0/libhostfxr.so");
  EXPECT_EQ(plan.dotnet_root, root);
  EXPECT_EQ(plan.host_path, root / "dotnet");
  EXPECT_FALSE(plan.self_contained);
  EXPECT_EQ(plan.found_via, "DOTNET_ROOT=" + root.string());
}

TEST(LoaderSearch, PrereleasesOnly) {
  TempDir dir;
  fs::path root = make_root(dir / "dotnet", {"10.0.0-rc.2", "10.0.0-rc.10", "9.0.0"});
  auto found = detail::hostfxr_in_root(root);
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_EQ(found.value(), root / "host/fxr/10.0.0-rc.10/libhostfxr.so");
}

TEST(LoaderSearch, SaysWhyARootHasNoHostfxr) {
  TempDir dir;
  auto missing = detail::hostfxr_in_root(dir / "nothing");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), (dir / "nothing/host/fxr").string() + " does not exist");

  fs::create_directories(dir / "r1/host/fxr/preview");
  auto no_version = detail::hostfxr_in_root(dir / "r1");
  ASSERT_FALSE(no_version.ok());
  EXPECT_TRUE(contains(no_version.error(), "has no version folder"));

  fs::create_directories(dir / "r2/host/fxr/8.0.0");
  fs::create_directories(dir / "r2/host/fxr/9.0.0");
  auto empty = detail::hostfxr_in_root(dir / "r2");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(contains(empty.error(), "(tried 9.0.0, 8.0.0)")) << empty.error();
}

// --------------------------------------------------- dotnet root precedence

TEST(LoaderSearch, ArchVariableThenDotnetRootThenPath) {
#if !defined(__x86_64__)
  GTEST_SKIP() << "DOTNET_ROOT_X64 is the x64 name";
#endif
  AppFolder app;
  fs::path arch_root = make_root(app.dir / "arch", {"8.0.0"});
  fs::path plain_root = make_root(app.dir / "plain", {"9.0.0"});
  fs::path path_root = make_root(app.dir / "onpath", {"10.0.0"});
  write_executable(path_root / "dotnet");
  std::map<std::string, std::string> vars = {{"DOTNET_ROOT_X64", arch_root.string()},
                                             {"DOTNET_ROOT", plain_root.string()},
                                             {"PATH", path_root.string()}};
  auto locations = locations_in(app.dir);

  auto plan =
      expect_plan(make_launch_plan("dotnet", "app.dll", app.app, fake_env(vars), locations));
  EXPECT_EQ(plan.dotnet_root, arch_root);  // the lower version still wins: order, not version
  vars.erase("DOTNET_ROOT_X64");
  plan = expect_plan(make_launch_plan("dotnet", "app.dll", app.app, fake_env(vars), locations));
  EXPECT_EQ(plan.dotnet_root, plain_root);
  vars["DOTNET_ROOT"] = "";  // empty counts as unset
  plan = expect_plan(make_launch_plan("dotnet", "app.dll", app.app, fake_env(vars), locations));
  EXPECT_EQ(plan.dotnet_root, path_root);
}

TEST(LoaderSearch, DotnetRootWithoutHostfxrFallsThroughToDotnetOnPathByRealpath) {
  AppFolder app;
  fs::path empty_root = app.dir / "empty-root";
  fs::create_directories(empty_root);
  // /usr/bin/dotnet -> /usr/share/dotnet/dotnet, as the Debian packages lay it out.
  fs::path real_root = make_root(app.dir / "share/dotnet", {"8.0.0"});
  write_executable(real_root / "dotnet");
  fs::path bin = app.dir / "bin";
  fs::create_directories(bin);
  fs::create_symlink("../share/dotnet/dotnet", bin / "dotnet");
  // A non-executable dotnet earlier on PATH is passed over, and so is an empty entry.
  fs::path not_executable = app.dir / "noexec";
  write_file(not_executable / "dotnet");
  std::string path = ":" + not_executable.string() + ":" + bin.string();

  auto plan = expect_plan(make_launch_plan(
      "dotnet", "app.dll", app.app,
      fake_env({{"DOTNET_ROOT", empty_root.string()}, {"PATH", path}}), locations_in(app.dir)));
  EXPECT_EQ(plan.dotnet_root, fs::canonical(real_root));
  EXPECT_EQ(plan.hostfxr_path, fs::canonical(real_root) / "host/fxr/8.0.0/libhostfxr.so");
  EXPECT_EQ(plan.host_path, fs::canonical(real_root) / "dotnet");
  EXPECT_TRUE(contains(plan.found_via, "dotnet on PATH (" + (bin / "dotnet").string()))
      << plan.found_via;
}

TEST(LoaderSearch, EmptyDotnetRootAndNoDotnetOnPathIsHostfxrNotFound) {
  AppFolder app;
  fs::path empty_root = app.dir / "empty-root";
  fs::path empty_bin = app.dir / "empty-bin";
  fs::create_directories(empty_root);
  fs::create_directories(empty_bin);
  auto failure = expect_failure(make_launch_plan(
      "dotnet", "app.dll", app.app,
      fake_env({{"DOTNET_ROOT", empty_root.string()}, {"PATH", empty_bin.string()}}),
      locations_in(app.dir)));
  EXPECT_EQ(failure.kind, PlanError::HostfxrNotFound);
  const std::string& message = failure.message;
  // Every place tried, in order.
  std::vector<std::string> places = {
      detail::arch_dotnet_root_variable() + " is not set",
      "DOTNET_ROOT=" + empty_root.string() + ": " + (empty_root / "host/fxr").string() +
          " does not exist",
      "no executable dotnet on PATH (" + empty_bin.string() + ")",
      (app.dir / "etc/install_location_x64").string() + ": cannot be read",
      (app.dir / "etc/install_location").string() + ": cannot be read",
      (app.dir / "usr/share/dotnet").string() + ": ",
      (app.dir / "usr/lib/dotnet").string() + ": ",
  };
  std::size_t at = 0;
  for (const std::string& place : places) {
    std::size_t found = message.find(place, at);
    EXPECT_NE(found, std::string::npos) << "'" << place << "' missing or out of order in:\n"
                                        << message;
    if (found != std::string::npos) at = found;
  }
}

TEST(LoaderSearch, InstallLocationFileFirstLine) {
  AppFolder app;
  fs::path root = make_root(app.dir / "opt/dotnet", {"8.0.0"});
  write_file(app.dir / "etc/install_location",
             "  " + root.string() + " \r\n/ignored/second/line\n");
  auto plan = expect_plan(make_launch_plan("dotnet", "app.dll", app.app,
                                           fake_env({{"PATH", (app.dir / "none").string()}}),
                                           locations_in(app.dir)));
  EXPECT_EQ(plan.dotnet_root, root);
  // The arch-specific file comes first.
  fs::path arch_root = make_root(app.dir / "opt/dotnet-x64", {"8.0.0"});
  write_file(app.dir / "etc/install_location_x64", arch_root.string() + "\n");
  plan = expect_plan(
      make_launch_plan("dotnet", "app.dll", app.app, fake_env({}), locations_in(app.dir)));
  EXPECT_EQ(plan.dotnet_root, arch_root);
}

TEST(LoaderSearch, DefaultRootsLastInOrder) {
  AppFolder app;
  fs::path lib_root = make_root(app.dir / "usr/lib/dotnet", {"8.0.0"});
  auto plan = expect_plan(
      make_launch_plan("dotnet", "app.dll", app.app, fake_env({}), locations_in(app.dir)));
  EXPECT_EQ(plan.dotnet_root, lib_root);
  fs::path share_root = make_root(app.dir / "usr/share/dotnet", {"6.0.0"});
  plan = expect_plan(
      make_launch_plan("dotnet", "app.dll", app.app, fake_env({}), locations_in(app.dir)));
  EXPECT_EQ(plan.dotnet_root, share_root);
}

TEST(LoaderSearch, DefaultLocationsAreTheSystemOnes) {
  SearchLocations locations;
  EXPECT_EQ(locations.default_roots,
            (std::vector<fs::path>{"/usr/share/dotnet", "/usr/lib/dotnet"}));
  ASSERT_FALSE(locations.install_location_files.empty());
  EXPECT_EQ(locations.install_location_files.back(), "/etc/dotnet/install_location");
#if defined(__x86_64__)
  EXPECT_EQ(locations.install_location_files.front(), "/etc/dotnet/install_location_x64");
  EXPECT_EQ(detail::arch_dotnet_root_variable(), "DOTNET_ROOT_X64");
#endif
}

// ------------------------------------------------- framework-dependent plans

class LoaderFrameworkDependent : public ::testing::Test {
 protected:
  LaunchPlan plan(const std::string& arguments) {
    return expect_plan(make_launch_plan("dotnet", arguments, app_, env_, locations_in(dir_)));
  }
  PlanFailure failure(const std::string& arguments) {
    return expect_failure(make_launch_plan("dotnet", arguments, app_, env_, locations_in(dir_)));
  }

  TempDir dir_;
  fs::path root_ = make_root(dir_ / "dotnet", {"8.0.0"});
  fs::path app_ = dir_ / "site/app";
  EnvLookup env_ = fake_env({{"DOTNET_ROOT", root_.string()}});
};

TEST_F(LoaderFrameworkDependent, ArgvIsTheAbsoluteDllThenTheSplitArguments) {
  write_file(app_ / "MyApp.dll");
  LaunchPlan p = plan(R"(./MyApp.dll --urls "http://a b" 'x y' plain "" it\'s)");
  EXPECT_EQ(p.app_dll, app_ / "MyApp.dll");
  EXPECT_EQ(p.argv, (std::vector<std::string>{(app_ / "MyApp.dll").string(), "--urls", "http://a b",
                                              "x y", "plain", "", "it's"}));
}

TEST_F(LoaderFrameworkDependent, DllPathsRelativeUpwardsAndAbsolute) {
  write_file(dir_ / "site/bin/Up.dll");
  EXPECT_EQ(plan("../bin/Up.dll").app_dll, dir_ / "site/bin/Up.dll");
  write_file(dir_ / "elsewhere/Abs.dll");
  LaunchPlan p = plan("\"" + (dir_ / "elsewhere/Abs.dll").string() + "\" x");
  EXPECT_EQ(p.argv, (std::vector<std::string>{(dir_ / "elsewhere/Abs.dll").string(), "x"}));
}

TEST_F(LoaderFrameworkDependent, MissingDllIsAppDllNotFoundNamingThePath) {
  PlanFailure f = failure("./Missing.dll --flag");
  EXPECT_EQ(f.kind, PlanError::AppDllNotFound);
  EXPECT_TRUE(contains(f.message, (app_ / "Missing.dll").string())) << f.message;
}

TEST_F(LoaderFrameworkDependent, EmptyOrUnsplittableArgumentsAreBadArguments) {
  PlanFailure empty = failure("   ");
  EXPECT_EQ(empty.kind, PlanError::BadArguments);
  EXPECT_TRUE(contains(empty.message, "arguments is empty")) << empty.message;
  PlanFailure quote = failure("app.dll \"open");
  EXPECT_EQ(quote.kind, PlanError::BadArguments);
  EXPECT_TRUE(contains(quote.message, "unterminated")) << quote.message;
  EXPECT_EQ(expect_failure(make_launch_plan("", "a.dll", app_, env_, locations_in(dir_))).kind,
            PlanError::BadArguments);
}

TEST_F(LoaderFrameworkDependent, HostfxrIsLookedForBeforeTheDll) {
  EXPECT_EQ(expect_failure(
                make_launch_plan("dotnet", "Missing.dll", app_, fake_env({}), locations_in(dir_)))
                .kind,
            PlanError::HostfxrNotFound);
}

TEST_F(LoaderFrameworkDependent, AnExplicitMuxerPathUsesItsOwnRoot) {
  write_file(app_ / "app.dll");
  write_executable(root_ / "dotnet");
  auto p = expect_plan(make_launch_plan((root_ / "dotnet").string(), "app.dll", app_, fake_env({}),
                                        locations_in(dir_)));
  EXPECT_FALSE(p.self_contained);
  EXPECT_EQ(p.dotnet_root, fs::canonical(root_));
  EXPECT_EQ(p.hostfxr_path, fs::canonical(root_) / "host/fxr/8.0.0/libhostfxr.so");
  EXPECT_EQ(p.host_path, root_ / "dotnet");
  EXPECT_EQ(p.argv, (std::vector<std::string>{(app_ / "app.dll").string()}));
}

// ---------------------------------------------------- self-contained plans

class LoaderSelfContained : public ::testing::Test {
 protected:
  ancm::common::Result<LaunchPlan, PlanFailure> make(const std::string& process_path,
                                                     const std::string& arguments = "") {
    // DOTNET_ROOT is set to prove a self-contained app ignores it.
    return make_launch_plan(process_path, arguments, app_,
                            fake_env({{"DOTNET_ROOT", root_.string()}}), locations_in(dir_));
  }

  TempDir dir_;
  fs::path root_ = make_root(dir_ / "dotnet", {"8.0.0"});
  fs::path app_ = dir_ / "app";
};

TEST_F(LoaderSelfContained, HostfxrAndDllNextToTheExecutable) {
  write_executable(app_ / "MyApp");
  write_file(app_ / "libhostfxr.so");
  write_file(app_ / "MyApp.dll");
  LaunchPlan p = expect_plan(make((app_ / "MyApp").string(), R"(--flag "a b" 'c')"));
  EXPECT_TRUE(p.self_contained);
  EXPECT_EQ(p.hostfxr_path, app_ / "libhostfxr.so");
  EXPECT_EQ(p.host_path, app_ / "MyApp");
  EXPECT_EQ(p.dotnet_root, app_);
  EXPECT_EQ(p.app_dll, app_ / "MyApp.dll");
  EXPECT_EQ(p.argv,
            (std::vector<std::string>{(app_ / "MyApp.dll").string(), "--flag", "a b", "c"}));
}

TEST_F(LoaderSelfContained, RelativeAndExeNamesAndDottedNames) {
  write_executable(app_ / "MyApp");
  write_file(app_ / "libhostfxr.so");
  write_file(app_ / "MyApp.dll");
  LaunchPlan relative = expect_plan(make("./MyApp"));
  EXPECT_EQ(relative.host_path, app_ / "MyApp");
  LaunchPlan exe = expect_plan(make((app_ / "MyApp.exe").string()));  // only MyApp exists
  EXPECT_EQ(exe.host_path, app_ / "MyApp");
  EXPECT_EQ(exe.app_dll, app_ / "MyApp.dll");
  // Only ".exe" is an extension: My.App's dll is My.App.dll.
  write_executable(app_ / "My.App");
  write_file(app_ / "My.App.dll");
  EXPECT_EQ(expect_plan(make((app_ / "My.App").string())).app_dll, app_ / "My.App.dll");
}

TEST_F(LoaderSelfContained, MissingDllIsAppDllNotFound) {
  write_executable(app_ / "MyApp");
  write_file(app_ / "libhostfxr.so");
  PlanFailure f = expect_failure(make((app_ / "MyApp").string()));
  EXPECT_EQ(f.kind, PlanError::AppDllNotFound);
  EXPECT_TRUE(contains(f.message, (app_ / "MyApp.dll").string())) << f.message;
}

TEST_F(LoaderSelfContained, MissingHostfxrIsHostfxrNotFound) {
  write_executable(app_ / "MyApp");
  write_file(app_ / "MyApp.dll");
  PlanFailure f = expect_failure(make((app_ / "MyApp").string()));
  EXPECT_EQ(f.kind, PlanError::HostfxrNotFound);
  EXPECT_TRUE(contains(f.message, (app_ / "libhostfxr.so").string())) << f.message;
}

// ------------------------------------------------------- status, stack size

TEST(LoaderStatus, NamesEveryCommonStatus) {
  const std::map<std::uint32_t, std::string> names = {
      {0x0, "Success"},
      {0x1, "Success_HostAlreadyInitialized"},
      {0x2, "Success_DifferentRuntimeProperties"},
      {0x80008081, "InvalidArgFailure"},
      {0x80008082, "CoreHostLibLoadFailure"},
      {0x80008083, "CoreHostLibMissingFailure"},
      {0x80008084, "CoreHostEntryPointFailure"},
      {0x80008085, "CoreHostCurHostFindFailure"},
      {0x80008087, "CoreClrResolveFailure"},
      {0x80008088, "CoreClrBindFailure"},
      {0x80008089, "CoreClrInitFailure"},
      {0x8000808a, "CoreClrExeFailure"},
      {0x8000808b, "ResolverInitFailure"},
      {0x8000808c, "ResolverResolveFailure"},
      {0x8000808d, "LibHostCurExeFindFailure"},
      {0x8000808e, "LibHostInitFailure"},
      {0x80008091, "LibHostSdkFindFailure"},
      {0x80008092, "LibHostInvalidArgs"},
      {0x80008093, "InvalidConfigFile"},
      {0x80008094, "AppArgNotRunnable"},
      {0x80008095, "AppHostExeNotBoundFailure"},
      {0x80008096, "FrameworkMissingFailure"},
      {0x80008097, "HostApiFailed"},
      {0x80008098, "HostApiBufferTooSmall"},
      {0x80008099, "LibHostUnknownCommand"},
      {0x8000809a, "LibHostAppRootFindFailure"},
      {0x8000809b, "SdkResolverResolveFailure"},
      {0x8000809c, "FrameworkCompatFailure"},
      {0x8000809d, "FrameworkCompatRetry"},
      {0x8000809e, "AppHostExeNotBundle"},
      {0x8000809f, "BundleExtractionFailure"},
      {0x800080a0, "BundleExtractionIOError"},
      {0x800080a1, "LibHostDuplicateProperty"},
      {0x800080a2, "HostApiUnsupportedVersion"},
      {0x800080a3, "HostInvalidState"},
      {0x800080a4, "HostPropertyNotFound"},
      {0x800080a5, "CoreHostIncompatibleConfig"},
      {0x800080a6, "HostApiUnsupportedScenario"},
      {0x800080a7, "HostFeatureDisabled"},
  };
  for (const auto& [code, name] : names) {
    std::string text = describe_hostfxr_status(static_cast<std::int32_t>(code));
    EXPECT_TRUE(text.starts_with(name + " (0x")) << text;
  }
  EXPECT_EQ(describe_hostfxr_status(static_cast<std::int32_t>(0x80008096)),
            "FrameworkMissingFailure (0x80008096): a framework the app needs was not found");
}

TEST(LoaderStatus, UnknownCodesAreHex) {
  EXPECT_EQ(describe_hostfxr_status(static_cast<std::int32_t>(0x8000ffff)),
            "0x8000ffff (not a known hostfxr status)");
  EXPECT_EQ(describe_hostfxr_status(42), "0x0000002a (not a known hostfxr status)");
}

TEST(LoaderStatus, FrameworkMissingAndSuccess) {
  EXPECT_TRUE(is_framework_missing(static_cast<std::int32_t>(0x80008096)));
  EXPECT_TRUE(is_framework_missing(static_cast<std::int32_t>(0x8000809c)));
  EXPECT_FALSE(is_framework_missing(static_cast<std::int32_t>(0x80008081)));
  EXPECT_FALSE(is_framework_missing(0));
  EXPECT_TRUE(is_hostfxr_success(0));
  EXPECT_TRUE(is_hostfxr_success(2));
  EXPECT_FALSE(is_hostfxr_success(static_cast<std::int32_t>(0x80008096)));
}

// The runtime reads DEFAULT_STACK_SIZE as hex. ANCM once passed decimal
// ("1048576"), which the runtime read as 0x1048576: a 16 MiB stack.
TEST(LoaderStackSize, RuntimePropertyIsHexWithoutPrefix) {
  EXPECT_EQ(format_runtime_stack_size(8388608), "800000");
  EXPECT_EQ(format_runtime_stack_size(1048576), "100000");
  EXPECT_NE(format_runtime_stack_size(1048576), "1048576");
  EXPECT_EQ(format_runtime_stack_size(0x1f0000), "1f0000");
  EXPECT_EQ(format_runtime_stack_size(0), "0");
}

// ------------------------------------------------------ loading hostfxr

TEST(LoaderHostfxr, NotALibraryFailsWithPathAndReason) {
  TempDir dir;
  fs::path fake = write_file(dir / "libhostfxr.so", "this is text, not an ELF file\n");
  auto loaded = Hostfxr::load(fake);
  ASSERT_FALSE(loaded.ok());
  const std::string& error = loaded.error();
  EXPECT_TRUE(contains(error, "could not load hostfxr " + fake.string() + ": ")) << error;
  EXPECT_TRUE(contains(error, "ELF") || contains(error, "too short")) << error;

  auto missing = Hostfxr::load(dir / "absent.so");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error(), "No such file")) << missing.error();
}

TEST(LoaderHostfxr, MissingEntryPointsAreNamed) {
  auto loaded = Hostfxr::load(ANCM_FAKE_HOSTFXR_PARTIAL);
  ASSERT_FALSE(loaded.ok());
  const std::string& error = loaded.error();
  EXPECT_TRUE(contains(error, "lacks the entry point(s) hostfxr_run_app, hostfxr_set_error_writer"))
      << error;
  EXPECT_FALSE(contains(error, "hostfxr_close")) << error;
}

// What hostfxr writes goes to the capture of the writing thread only, and the
// previous writer is back when the capture ends.
TEST(LoaderHostfxr, ErrorWriterCaptureIsPerThreadAndNests) {
  auto hostfxr = expect_load(ANCM_FAKE_HOSTFXR);
  ASSERT_TRUE(hostfxr);
  void* self = ::dlopen(ANCM_FAKE_HOSTFXR, RTLD_NOW | RTLD_NOLOAD);
  ASSERT_NE(self, nullptr);
  using CurrentWriter = HostfxrErrorWriterFn (*)();
  auto current_writer =
      reinterpret_cast<CurrentWriter>(::dlsym(self, "fake_hostfxr_current_writer"));
  ASSERT_NE(current_writer, nullptr);

  LaunchPlan plan;
  plan.host_path = "/host/dotnet";
  plan.dotnet_root = "/host";
  HostfxrHandle handle = nullptr;
  {
    ErrorWriterCapture outer(*hostfxr);
    plan.argv = {"outer one"};
    EXPECT_TRUE(is_framework_missing(hostfxr->initialize(plan, &handle)));
    {
      ErrorWriterCapture inner(*hostfxr);
      plan.argv = {"inner", "two"};
      hostfxr->initialize(plan, &handle);
      EXPECT_EQ(inner.text(),
                "inner\ntwo\nsize=" + std::to_string(sizeof(HostfxrInitializeParameters)) +
                    "\nhost_path=/host/dotnet\ndotnet_root=/host\n");
    }
    std::thread other([&] {
      LaunchPlan elsewhere = plan;
      elsewhere.argv = {"from another thread"};
      HostfxrHandle h = nullptr;
      hostfxr->initialize(elsewhere, &h);
    });
    other.join();
    plan.argv = {"outer again"};
    hostfxr->initialize(plan, &handle);
    std::string text = outer.text();
    EXPECT_TRUE(text.starts_with("outer one\n")) << text;
    EXPECT_TRUE(contains(text, "outer again\n")) << text;
    EXPECT_FALSE(contains(text, "inner")) << text;
    EXPECT_FALSE(contains(text, "another thread")) << text;
  }
  EXPECT_EQ(current_writer(), nullptr);
  ::dlclose(self);
}

// The machine's own hostfxr, found as processPath="dotnet" finds it.
class LoaderRealHostfxr : public ::testing::Test {
 protected:
  void SetUp() override {
    write_file(app_ / "app.dll");
    auto result = make_launch_plan("dotnet", "app.dll --some-arg", app_);
    if (!result.ok()) {
      FAIL() << "dotnet is expected on this machine: " << result.error().message;
    }
    plan_ = result.value();
    hostfxr_ = expect_load(plan_.hostfxr_path);
    ASSERT_TRUE(hostfxr_);
  }

  void write_runtimeconfig(const std::string& framework_version, const std::string& roll_forward) {
    write_file(app_ / "app.runtimeconfig.json",
               R"({"runtimeOptions": {"tfm": "net8.0", "rollForward": ")" + roll_forward +
                   R"(", "framework": {"name": "Microsoft.NETCore.App", "version": ")" +
                   framework_version + R"("}}})");
  }

  TempDir dir_;
  fs::path app_ = dir_ / "app";
  LaunchPlan plan_;
  std::unique_ptr<Hostfxr> hostfxr_;
};

TEST_F(LoaderRealHostfxr, EveryEntryPointResolves) {
  EXPECT_TRUE(plan_.hostfxr_path.filename() == "libhostfxr.so") << plan_.hostfxr_path;
  const HostfxrApi& api = hostfxr_->api();
  EXPECT_NE(api.initialize_for_dotnet_command_line, nullptr);
  EXPECT_NE(api.set_runtime_property_value, nullptr);
  EXPECT_NE(api.get_runtime_property_value, nullptr);
  EXPECT_NE(api.run_app, nullptr);
  EXPECT_NE(api.close, nullptr);
  EXPECT_NE(api.set_error_writer, nullptr);
  EXPECT_EQ(hostfxr_->path(), plan_.hostfxr_path);
}

TEST_F(LoaderRealHostfxr, MissingFrameworkIsReportedThroughTheErrorWriter) {
  write_runtimeconfig("99.0.0", "Disable");
  HostfxrHandle handle = nullptr;
  ErrorWriterCapture capture(*hostfxr_);
  std::int32_t status = hostfxr_->initialize(plan_, &handle);
  EXPECT_TRUE(is_framework_missing(status)) << describe_hostfxr_status(status);
  EXPECT_TRUE(contains(capture.text(), "Microsoft.NETCore.App")) << capture.text();
  EXPECT_TRUE(contains(capture.text(), "99.0.0")) << capture.text();
}

// Initializes (without running) an app folder whose runtimeconfig rolls
// forward to whatever runtime this machine has: checks the parameter block,
// argv and the property calls against the real thing.
TEST_F(LoaderRealHostfxr, InitializesSetsAndReadsProperties) {
  write_runtimeconfig("8.0.0", "LatestMajor");
  HostfxrHandle handle = nullptr;
  ErrorWriterCapture capture(*hostfxr_);
  std::int32_t status = hostfxr_->initialize(plan_, &handle);
  ASSERT_TRUE(is_hostfxr_success(status)) << describe_hostfxr_status(status) << "\n"
                                          << capture.text();
  ASSERT_NE(handle, nullptr);
  const HostfxrApi& api = hostfxr_->api();
  std::string stack = format_runtime_stack_size(1048576);
  EXPECT_EQ(api.set_runtime_property_value(handle, "DEFAULT_STACK_SIZE", stack.c_str()), 0);
  const char* value = nullptr;
  EXPECT_EQ(api.get_runtime_property_value(handle, "DEFAULT_STACK_SIZE", &value), 0);
  EXPECT_STREQ(value, "100000");
  EXPECT_EQ(api.get_runtime_property_value(handle, "APP_CONTEXT_BASE_DIRECTORY", &value), 0);
  EXPECT_EQ(fs::path(value), app_ / "");
  EXPECT_EQ(static_cast<std::uint32_t>(
                api.get_runtime_property_value(handle, "NO_SUCH_PROPERTY", &value)),
            0x800080a4u);  // HostPropertyNotFound
  EXPECT_EQ(api.close(handle), 0);
}

}  // namespace
