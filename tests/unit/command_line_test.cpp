// `ancm-host run` flags: sizes with units, and counts without.
#include "ancm/server/command_line.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ancm::server {
namespace {

std::optional<std::size_t> body_limit(const std::string& size) {
  auto parsed = parse_run_arguments({"app", "--max-body-bytes", size});
  if (!parsed.ok()) return std::nullopt;
  return parsed.value().limits.max_body_bytes_override;
}

TEST(CommandLineSizes, SiUnitsArePowersOfAThousandAndIecOnesOf1024) {
  EXPECT_EQ(body_limit("30000000"), 30'000'000u);
  EXPECT_EQ(body_limit("10KB"), 10'000u);
  EXPECT_EQ(body_limit("10MB"), 10'000'000u);
  EXPECT_EQ(body_limit("2GB"), 2'000'000'000u);
  EXPECT_EQ(body_limit("1TB"), 1'000'000'000'000u);
  EXPECT_EQ(body_limit("10KiB"), 10u << 10);
  EXPECT_EQ(body_limit("10MiB"), 10u << 20);
  EXPECT_EQ(body_limit("1GiB"), 1u << 30);
  EXPECT_EQ(body_limit("1TiB"), 1ull << 40);
}

TEST(CommandLineSizes, NginxsLettersArePowersOf1024) {
  EXPECT_EQ(body_limit("16k"), 16u << 10);
  EXPECT_EQ(body_limit("16K"), 16u << 10);
  EXPECT_EQ(body_limit("8m"), 8u << 20);
  EXPECT_EQ(body_limit("1g"), 1u << 30);
}

TEST(CommandLineSizes, AnythingElseIsRefusedNamingTheFlag) {
  for (std::string bad : {"", "MB", "10XB", "10mb", "10 MB", "-1", "1.5MB", "0x10", "2048TiB"}) {
    auto parsed = parse_run_arguments({"app", "--max-body-bytes", bad});
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().find("--max-body-bytes needs a size"), std::string::npos)
        << parsed.error();
  }
}

TEST(CommandLineSizes, MinimumsApplyAfterTheUnit) {
  EXPECT_FALSE(parse_run_arguments({"app", "--max-header-bytes", "255"}).ok());
  auto parsed = parse_run_arguments({"app", "--max-header-bytes", "1k"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().limits.max_header_bytes, 1024u);
}

TEST(CommandLineCounts, StreamsAreACountNotASize) {
  EXPECT_FALSE(parse_run_arguments({"app", "--http2-max-streams", "1k"}).ok());
  auto parsed = parse_run_arguments({"app", "--http2-max-streams", "250"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().limits.http2_max_concurrent_streams, 250u);
}

TEST(CommandLineCounts, HeaderCountReachesTheWorker) {
  EXPECT_FALSE(parse_run_arguments({"app", "--max-header-count", "0"}).ok());
  auto parsed = parse_run_arguments({"app", "--max-header-count", "250"});
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().limits.max_header_count, 250u);
  WorkerOptions worker;
  worker.target = "app";
  worker.control_fd = 3;
  worker.limits.max_header_count = 250;
  auto back = parse_worker_arguments(worker_arguments(worker));
  ASSERT_TRUE(back.ok()) << back.error();
  EXPECT_EQ(back.value().limits.max_header_count, 250u);
}

}  // namespace
}  // namespace ancm::server
