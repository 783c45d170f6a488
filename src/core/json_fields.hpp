#pragma once
// How the documents of jobs and channels write and read their optional fields.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "core/time.hpp"

namespace chronicle {

inline nlohmann::json time_or_null(const std::optional<TimePoint>& t) {
  return t ? nlohmann::json(to_rfc3339(*t)) : nlohmann::json(nullptr);
}

// nullopt when the key is missing, not a string, or not an RFC 3339 time.
inline std::optional<TimePoint> time_from(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return from_rfc3339(it->get<std::string>());
}

inline nlohmann::json text_or_null(const std::string& s) {
  return s.empty() ? nlohmann::json(nullptr) : nlohmann::json(s);
}

}  // namespace chronicle
