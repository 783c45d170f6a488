#pragma once
#include <chrono>
#include <cstdint>
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
// Milliseconds since the Unix epoch, as stores keep a time in a number column or attribute.
inline std::int64_t to_epoch_ms(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint from_epoch_ms(std::int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

}  // namespace chronicle
