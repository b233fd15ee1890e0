// The version and size checks of the handler ABI (handler_abi.h,
// handler_glue.h): what a handler accepts from the server it is loaded into.
#include "ancm/handler_abi.h"

#include <gtest/gtest.h>

#include "ancm/handler_glue.h"

namespace {

int creates = 0;

std::shared_ptr<ancm::abi::HandlerApplication> create(const ancm_app_params&, ancm_failure*) {
  ++creates;
  return nullptr;  // never reached in the failing cases; refused here otherwise
}

struct Tables {
  ancm_request_api api{};
  ancm_host_services host{};
  ancm_app_params params{};
  Tables() {
    api.abi_version = ANCM_HANDLER_ABI_VERSION;
    api.struct_size = sizeof(ancm_request_api);
    host.struct_size = sizeof(ancm_host_services);
    params.abi_version = ANCM_HANDLER_ABI_VERSION;
    params.struct_size = sizeof(ancm_app_params);
    params.host = &host;
    params.request_api = &api;
  }
};

TEST(HandlerAbi, TablesOfThisBuildFit) {
  Tables tables;
  EXPECT_EQ(ancm::abi::abi_mismatch(tables.params, "test"), "");
}

// The enums cross the boundary by value: both sides must agree on their
// width whatever flags either was built with.
TEST(HandlerAbi, EnumsAreAsWideAsInt) {
  EXPECT_EQ(sizeof(ancm_log_level), sizeof(int));
  EXPECT_EQ(sizeof(ancm_host_event), sizeof(int));
}

TEST(HandlerAbi, AnotherVersionIsRefusedByName) {
  Tables tables;
  tables.params.abi_version = ANCM_HANDLER_ABI_VERSION - 1;
  auto why = ancm::abi::abi_mismatch(tables.params, "test");
  EXPECT_NE(why.find("built for handler ABI version " + std::to_string(ANCM_HANDLER_ABI_VERSION)),
            std::string::npos)
      << why;
  EXPECT_NE(why.find("speaks version " + std::to_string(ANCM_HANDLER_ABI_VERSION - 1)),
            std::string::npos)
      << why;
}

TEST(HandlerAbi, AnOlderServersShorterRequestTableIsRefused) {
  Tables tables;
  tables.api.struct_size = offsetof(ancm_request_api, write_body_borrowed);
  auto why = ancm::abi::abi_mismatch(tables.params, "test");
  EXPECT_NE(why.find("ancm_request_api"), std::string::npos) << why;
  EXPECT_NE(why.find("the server is older than the handler"), std::string::npos) << why;
}

TEST(HandlerAbi, AnOlderHandlerWorksWithALongerTable) {
  Tables tables;
  tables.api.struct_size = sizeof(ancm_request_api) + sizeof(void (*)());  // one appended
  ancm::abi::AbiNeeds older;
  older.request_api = offsetof(ancm_request_api, write_body_borrowed);
  EXPECT_EQ(ancm::abi::abi_mismatch(tables.params, "test", older), "");
  EXPECT_TRUE(ANCM_ABI_HAS(ancm_request_api, &tables.api, write_body_borrowed));
  tables.api.struct_size = offsetof(ancm_request_api, write_body_borrowed);
  EXPECT_FALSE(ANCM_ABI_HAS(ancm_request_api, &tables.api, write_body_borrowed));
}

int reported = 0;
void count_report(void*, ancm_host_event) { ++reported; }

// report_event was appended to ancm_host_services: a shim from before it
// still runs the handler, which then reports nothing.
TEST(HandlerAbi, AShimWithoutReportEventIsAcceptedAndNotCalled) {
  Tables tables;
  tables.host.report_event = &count_report;
  reported = 0;
  ancm::abi::host_report(&tables.host, ANCM_HOST_EVENT_CHILD_STARTED);
  EXPECT_EQ(reported, 1);
  tables.host.struct_size = offsetof(ancm_host_services, report_event);
  EXPECT_EQ(ancm::abi::abi_mismatch(tables.params, "test"), "");
  ancm::abi::host_report(&tables.host, ANCM_HOST_EVENT_CHILD_STARTED);
  EXPECT_EQ(reported, 1);  // past the end of the table it was given
  tables.host.struct_size = sizeof(ancm_host_services);
  tables.host.report_event = nullptr;
  ancm::abi::host_report(&tables.host, ANCM_HOST_EVENT_CHILD_STARTED);  // NULL: nothing
  EXPECT_EQ(reported, 1);
  tables.host.struct_size = offsetof(ancm_host_services, fail_request);
  EXPECT_NE(ancm::abi::abi_mismatch(tables.params, "test"), "");  // what it calls unchecked
}

TEST(HandlerAbi, CreateApplicationFailsBeforeTheHandlerRunsWhenTheTablesDoNotFit) {
  Tables tables;
  tables.host.struct_size = 0;
  const ancm_handler_api* handler = ancm::abi::handler_api<&create>("test");
  EXPECT_EQ(handler->abi_version, ANCM_HANDLER_ABI_VERSION);
  EXPECT_EQ(handler->struct_size, sizeof(ancm_handler_api));
  ancm_application* app = nullptr;
  ancm_failure failure{};
  ASSERT_EQ(handler->create_application(&tables.params, &app, &failure), ANCM_FAILED);
  EXPECT_EQ(app, nullptr);
  EXPECT_EQ(creates, 0);
  EXPECT_EQ(failure.status, 500);
  EXPECT_EQ(failure.substatus, 0);
  std::string reason(failure.reason.data, failure.reason.len);
  EXPECT_NE(reason.find("ancm_host_services"), std::string::npos) << reason;
}

}  // namespace
