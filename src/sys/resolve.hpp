#pragma once
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/url_policy.hpp"

namespace chronicle::sys {

// The system resolver (getaddrinfo), as a chronicle::Resolver.
Result<std::vector<IpAddress>> resolve_host(const std::string& host);

}  // namespace chronicle::sys
