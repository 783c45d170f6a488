#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace chronicle {

// Job ids are ULIDs (26 characters of Crockford base32): time-ordered, so sorting ids
// sorts jobs by creation time and an id doubles as a pagination cursor.
std::string new_job_id();
bool looks_like_job_id(const std::string& s);
// The start of an id as a person types it (4 to 26 of its characters, either case), upper-cased;
// nullopt when it cannot be one.
std::optional<std::string> id_prefix(const std::string& s);
// The one of `ids` that `given` is, or is the start of (see id_prefix): not_found, or ambiguous_id
// naming two, otherwise. `what` names the kind in the messages ("channel").
Result<std::string> resolve_id_among(const std::string& given, const std::vector<std::string>& ids,
                                     std::string_view what);
// The same among a list of things with an `id` (channels, webhooks: few enough to list).
template <class Items>
Result<std::string> resolve_id_in(const std::string& given, const Items& items, std::string_view what) {
  std::vector<std::string> ids;
  ids.reserve(std::size(items));
  for (const auto& item : items) ids.push_back(item.id);
  return resolve_id_among(given, ids, what);
}

}  // namespace chronicle
