#pragma once
#include <deque>
#include <set>
#include <string>

namespace chronicle::chat {

// The ids of the messages seen lately, so one the server sends again after a reconnect is kept once.
class SeenIds {
 public:
  bool first_time(const std::string& id) {
    if (id.empty()) return true;
    if (!set_.insert(id).second) return false;
    order_.push_back(id);
    if (order_.size() > kKept) {
      set_.erase(order_.front());
      order_.pop_front();
    }
    return true;
  }

 private:
  static constexpr std::size_t kKept = 20000;
  std::set<std::string> set_;
  std::deque<std::string> order_;
};

}  // namespace chronicle::chat
