#pragma once
#include <chrono>
#include <optional>
#include <string>

namespace chronicle {

using Clock = std::chrono::system_clock;
using TimePoint = std::chrono::time_point<Clock, std::chrono::milliseconds>;

TimePoint now();
// RFC 3339 UTC with milliseconds: 2026-11-24T10:42:00.123Z
std::string to_rfc3339(TimePoint t);
std::optional<TimePoint> from_rfc3339(const std::string& s);
double seconds_between(TimePoint from, TimePoint to);

}  // namespace chronicle
