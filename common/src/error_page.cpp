#include "ancm/common/error_page.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "ancm/common/ascii.h"

namespace ancm::common {
namespace {

struct PageText {
  int status;
  int substatus;
  std::string_view title;
  std::string_view heading;  // an extra <h2> above the summary, or empty
  std::string_view summary;
  std::array<std::string_view, 3> solutions;  // empty ones are skipped
};

constexpr std::string_view kCheckCommand =
    "Run 'ancm-host check <app folder>': it validates web.config and prints the resolved "
    "processPath, arguments and hostingModel.";

// Handler library failures read the same whichever library it was.
constexpr std::array<std::string_view, 3> handler_load_solutions(std::string_view library) {
  return {library,
          "Read the ancm-host log (debugLevel handler setting or ASPNETCORE_MODULE_DEBUG) for the "
          "loader error: a missing shared library or a wrong architecture.",
          "Reinstall ancm-host so that the binary and its handler libraries come from the same "
          "build."};
}

constexpr std::array<PageText, 14> kPages = {{
    {500, 0, "ANCM In-Process Handler Load Failure", "",
     "The host could not load the request handler for this app.",
     handler_load_solutions("Check that libancm_inproc.so and libancm_outofproc.so are in the "
                            "lib folder next to the ancm-host binary and are readable.")},
    {500,
     19,
     "Internal Server Error",
     "Configuration Error",
     "The aspNetCore section of this app's web.config is invalid, so the app cannot start.",
     {"Run 'ancm-host check <app folder>': it names the file, line and attribute that are wrong "
      "and the values that are allowed.",
      "Make sure web.config is well-formed XML with a configuration/system.webServer/aspNetCore "
      "element that has a processPath.",
      "Once web.config is fixed, the next request starts the app again."}},
    {500,
     30,
     "ASP.NET Core app failed to start",
     "",
     "The app was loaded in-process, but it stopped or threw before its server started.",
     {"Set stdoutLogEnabled=\"true\" in web.config and read the stdout log for the exception.",
      "Run the app by hand from its folder ('dotnet MyApp.dll', or './MyApp' when "
      "self-contained) to see the error directly.",
      "Check what the app needs at start-up: environment variables, connection strings, file "
      "permissions of the user ancm-host runs as."}},
    {500,
     31,
     "ANCM Failed to Find Native Dependencies",
     "",
     "The .NET runtime could not start: a framework or native dependency is missing.",
     {"Compare 'dotnet --list-runtimes' with the framework in the app's runtimeconfig.json and "
      "install the missing one.",
      "If .NET is installed in an unusual place, set DOTNET_ROOT to the folder that holds "
      "host/fxr.",
      "For a self-contained app, make sure the whole publish folder was copied."}},
    {500,
     32,
     "ANCM Failed to Load dll",
     "",
     "hostfxr (libhostfxr.so) could not be found or loaded.",
     {"Check that .NET is installed and works: 'dotnet --info'.",
      "Publish the app for Linux (for example -r linux-x64 when self-contained), not for "
      "Windows.",
      "Set DOTNET_ROOT when dotnet is not on the PATH of the user ancm-host runs as."}},
    {500, 33, "ANCM Request Handler Load Failure", "",
     "The in-process request handler (libancm_inproc.so) could not be loaded.",
     handler_load_solutions("Check that libancm_inproc.so is in the lib folder next to the "
                            "ancm-host binary and is readable.")},
    {500,
     34,
     "ANCM Mixed Hosting Models Not Supported",
     "",
     "This worker already serves an app with a different hostingModel.",
     {"Give every app in one ancm-host instance the same hostingModel, or run the apps in "
      "separate instances.",
      "A hostingModel change in web.config recycles the worker; if this page stays, restart "
      "ancm-host.",
      kCheckCommand}},
    {500,
     35,
     "ANCM Multiple In-Process Applications in same Process",
     "",
     "Only one in-process app fits in a worker: the .NET runtime cannot be loaded twice.",
     {"Run each in-process app in its own ancm-host instance.",
      "Or set hostingModel=\"outofprocess\" for all but one of the apps.", kCheckCommand}},
    {500, 36, "ANCM Out-Of-Process Handler Load Failure", "",
     "The out-of-process request handler (libancm_outofproc.so) could not be loaded.",
     handler_load_solutions("Check that libancm_outofproc.so is in the lib folder next to the "
                            "ancm-host binary and is readable.")},
    {500,
     37,
     "ANCM Failed to Start Within Startup Time Limit",
     "",
     "The app did not finish starting within startupTimeLimit.",
     {"Read the stdout log and the ancm-host log to see what the app was doing while starting.",
      "If the app needs longer (migrations, cache warm-up), raise startupTimeLimit in web.config "
      "(up to 3600 seconds).",
      "Look for a start-up step waiting on something unreachable: a database, a secret store, a "
      "network share."}},
    {500,
     38,
     "ANCM Application DLL Not Found",
     "",
     "The app's assembly or executable named in web.config does not exist.",
     {"Check that the file named by processPath and arguments exists; relative paths are taken "
      "against the web.config's folder.",
      kCheckCommand, "Publish the app again and copy the whole publish folder."}},
    {502,
     3,
     "Bad Gateway",
     "",
     "The app's process did not answer this request: it failed, dropped the connection, or "
     "took longer than requestTimeout.",
     {"Read the stdout log for errors from the app at the time of the request.",
      "If requests legitimately take longer, raise requestTimeout (hh:mm:ss, up to 360:00:00).",
      "Check in the ancm-host log whether the app's process exited or was restarted."}},
    {502,
     5,
     "ANCM Out-Of-Process Startup Failure",
     "",
     "The app's process could not be started, or it did not listen on its port within "
     "startupTimeLimit.",
     {"Run processPath with its arguments by hand in the app folder (e.g. 'dotnet MyApp.dll') "
      "and see whether it starts.",
      "Set stdoutLogEnabled=\"true\" in web.config and read the stdout log.",
      "Make sure the app listens on the ASPNETCORE_PORT it is given (UseIISIntegration does), "
      "and that it does not crash more than rapidFailsPerMinute times a minute."}},
    {503,
     0,
     "Service Unavailable",
     "",
     "The app is offline or shutting down.",
     {"If app_offline.htm is in the app folder, remove it to bring the app back.",
      "If the app is restarting after a web.config change, try again in a few seconds.",
      "Check the ancm-host log for why the app stopped."}},
}};

const PageText* find_page(ErrorCode code) {
  auto it = std::find_if(kPages.begin(), kPages.end(), [&](const PageText& page) {
    return page.status == code.status && page.substatus == code.substatus;
  });
  return it == kPages.end() ? nullptr : &*it;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Server Error";
  }
}

PageText generic_page(ErrorCode code) {
  return PageText{
      code.status,
      code.substatus,
      reason_phrase(code.status),
      "",
      "The server could not handle this request for the app.",
      {"Read the ancm-host log and, if enabled, the app's stdout log.", kCheckCommand, ""}};
}

bool means_detailed(std::string_view name, std::string_view value) {
  if (name == "ASPNETCORE_DETAILEDERRORS") return value == "1" || iequals(value, "true");
  return iequals(value, "Development");
}

std::optional<std::string> web_config_value(
    const std::vector<std::pair<std::string, std::string>>& variables, std::string_view name) {
  // Last one wins, as in the web.config collection; names compare as Windows does.
  for (auto it = variables.rbegin(); it != variables.rend(); ++it) {
    if (iequals(it->first, name)) return it->second;
  }
  return std::nullopt;
}

void append_section(std::string& html, std::string_view heading, std::string_view body) {
  html += "<h2>";
  html += heading;
  html += "</h2>\n<pre>";
  html += html_escape(body);
  html += "</pre>\n";
}

constexpr std::string_view kStyle =
    "body{font-family:'Segoe UI',Helvetica,Arial,sans-serif;margin:2em;color:#222;}"
    "h1{color:#b00;font-size:1.6em;}h2{font-size:1.2em;margin-top:1.5em;}"
    "pre{background:#f4f4f4;padding:1em;overflow:auto;white-space:pre-wrap;}";

}  // namespace

std::string_view error_title(ErrorCode code) {
  const PageText* page = find_page(code);
  return page != nullptr ? page->title : reason_phrase(code.status);
}

std::string_view truncate_utf8(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool starts_char = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (starts_char && chars++ == max_chars) return text.substr(0, i);
  }
  return text;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_error_page(const ErrorPageInput& input) {
  return render_error_page(input, error_title(input.code));
}

std::string render_error_page(const ErrorPageInput& input, std::string_view title) {
  const PageText* known = find_page(input.code);
  PageText page = known != nullptr ? *known : generic_page(input.code);
  std::string heading = "HTTP Error " + std::to_string(input.code.status) + "." +
                        std::to_string(input.code.substatus) + " - " + html_escape(title);

  std::string html = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  html += "<title>" + heading + "</title>\n<style>";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n<h1>" + heading + "</h1>\n";
  if (!page.heading.empty()) html += "<h2>" + html_escape(page.heading) + "</h2>\n";
  html += "<p>" + html_escape(page.summary) + "</p>\n";
  html += "<h2>Common solutions to this issue:</h2>\n<ul>\n";
  for (std::string_view solution : page.solutions) {
    if (!solution.empty()) html += "<li>" + html_escape(solution) + "</li>\n";
  }
  html += "</ul>\n";

  if (input.detailed) {
    if (!input.specific_error.empty()) append_section(html, "Specific error", input.specific_error);
    if (!input.app_output.empty()) {
      std::string_view shown = truncate_utf8(input.app_output, kMaxAppOutputChars);
      std::string output(shown);
      if (shown.size() < input.app_output.size()) {
        output += "\n... (output cut after the first 30,000 characters)";
      }
      append_section(html, "Application output", output);
    }
  } else {
    html +=
        "<h2>Troubleshooting</h2>\n<p>Details of this error are hidden. To show them on this "
        "page, set ASPNETCORE_DETAILEDERRORS=1 or ASPNETCORE_ENVIRONMENT=Development in the "
        "environment of ancm-host or in the environmentVariables of web.config. Do not leave "
        "this on for a public site.</p>\n";
  }
  html += "</body>\n</html>\n";
  return html;
}

bool detailed_errors_enabled(
    const std::vector<std::pair<std::string, std::string>>& web_config_env) {
  // Each variable is looked up on its own: the process value, when set,
  // decides for that variable; otherwise web.config's does.
  for (std::string_view name :
       {"ASPNETCORE_DETAILEDERRORS", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT"}) {
    std::optional<std::string> value;
    if (const char* process = std::getenv(std::string(name).c_str())) {
      value = process;
    } else {
      value = web_config_value(web_config_env, name);
    }
    if (value && means_detailed(name, *value)) return true;
  }
  return false;
}

}  // namespace ancm::common
