// ANCM's error pages: the status table, the HTML, and when details show.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ancm::common {

struct ErrorCode {
  int status = 500;
  int substatus = 0;
};

// "ASP.NET Core app failed to start" for 500.30, "ANCM Out-Of-Process
// Startup Failure" for 502.5, ... Known codes: 500.0, 500.19, 500.30-500.38,
// 502.3, 502.5, 503.0; others get the status's reason phrase.
std::string_view error_title(ErrorCode code);

// How much of the app's output a page shows (and handlers need to keep).
inline constexpr std::size_t kMaxAppOutputChars = 30000;

// The longest prefix of `text` with at most max_chars UTF-8 characters,
// never cutting a multi-byte sequence.
std::string_view truncate_utf8(std::string_view text, std::size_t max_chars);

struct ErrorPageInput {
  ErrorCode code;
  std::string specific_error;  // one or more lines: what went wrong
  std::string app_output;      // captured stdout/stderr of the app, may be empty
  bool detailed = false;       // show specific_error and app_output
};

// A complete text/html page: title and heading
// "HTTP Error <status>.<sub> - <title>", common solutions for the code,
// and, when detailed, the specific error and the first 30,000 characters of
// the app output, HTML-escaped.
std::string render_error_page(const ErrorPageInput& input);

// Same, with `title` in place of error_title(input.code), e.g.
// "ANCM Out-Of-Process Handler Load Failure" for a 500.0 out-of-process.
std::string render_error_page(const ErrorPageInput& input, std::string_view title);

// Detailed errors are on when ASPNETCORE_DETAILEDERRORS is 1/true or
// ASPNETCORE_ENVIRONMENT (or DOTNET_ENVIRONMENT) is Development, looked up in
// the process environment first, then in the web.config variables.
bool detailed_errors_enabled(
    const std::vector<std::pair<std::string, std::string>>& web_config_env);

std::string html_escape(std::string_view text);

}  // namespace ancm::common
