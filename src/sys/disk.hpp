#pragma once
#include <filesystem>
#include <optional>

#include "core/service.hpp"

namespace chronicle::sys {

// Space on the filesystem holding `path`, as an unprivileged process may use it.
std::optional<DiskSpace> disk_space(const std::filesystem::path& path);

}  // namespace chronicle::sys
