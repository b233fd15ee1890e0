// A Beast response as the tests' HttpResponse (header names lower-cased), for
// the clients in http_client.cpp and tls_client.cpp.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http_client.h"

namespace ancm::test {

HttpResponse to_test_response(
    boost::beast::http::response<boost::beast::http::string_body> message);

}  // namespace ancm::test
