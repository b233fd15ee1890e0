#include "web_config.h"

namespace ancm::test {

std::string WebConfig::text() const {
  std::string xml =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<configuration>\n"
      "  <location path=\".\" inheritInChildApplications=\"false\">\n"
      "    <system.webServer>\n"
      "      <handlers>\n"
      "        <add name=\"aspNetCore\" path=\"*\" verb=\"*\" modules=\"AspNetCoreModuleV2\" "
      "resourceType=\"Unspecified\" />\n"
      "      </handlers>\n"
      "      <aspNetCore processPath=\"" +
      process_path + "\" arguments=\"" + arguments +
      "\" stdoutLogEnabled=\"false\" stdoutLogFile=\".\\logs\\stdout\" hostingModel=\"" +
      hosting_model + "\" " + extra_attributes + ">\n";
  if (!environment.empty()) {
    xml += "        <environmentVariables>\n";
    for (const auto& [name, value] : environment) {
      xml += "          <environmentVariable name=\"" + name + "\" value=\"" + value + "\" />\n";
    }
    xml += "        </environmentVariables>\n";
  }
  if (!handler_settings.empty()) {
    xml += "        <handlerSettings>\n";
    for (const auto& [name, value] : handler_settings) {
      xml += "          <handlerSetting name=\"" + name + "\" value=\"" + value + "\" />\n";
    }
    xml += "        </handlerSettings>\n";
  }
  xml +=
      "      </aspNetCore>\n"
      "    </system.webServer>\n"
      "  </location>\n"
      "</configuration>\n";
  return xml;
}

}  // namespace ancm::test
