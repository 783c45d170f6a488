#include "sys/disk.hpp"

#include <sys/statvfs.h>

namespace chronicle::sys {

std::optional<DiskSpace> disk_space(const std::filesystem::path& path) {
  struct statvfs st {};
  if (::statvfs(path.c_str(), &st) != 0) return std::nullopt;
  return DiskSpace{static_cast<std::uint64_t>(st.f_bavail) * st.f_frsize,
                   static_cast<std::uint64_t>(st.f_blocks) * st.f_frsize};
}

}  // namespace chronicle::sys
