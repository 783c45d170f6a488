#pragma once
// Writers racing for one conditional write, for the contract suites.
#include <functional>
#include <thread>
#include <vector>

namespace chronicle::contract {

// On threads at once; or one after another for a backend whose stand-in does not make a
// conditional write atomic (it sets `kSerialConditionalWrites`: moto checks a DynamoDB condition
// and writes without a lock, where DynamoDB is atomic per item). Either way exactly one writer
// holding the version it read may win: the conditions are the store's code, which is what the
// contracts test.
template <typename Backend>
void race(const std::vector<std::function<void()>>& writers) {
  if constexpr (requires { Backend::kSerialConditionalWrites; }) {
    for (const auto& w : writers) w();
  } else {
    std::vector<std::thread> threads;
    threads.reserve(writers.size());
    for (const auto& w : writers) threads.emplace_back(w);
    for (auto& t : threads) t.join();
  }
}

}  // namespace chronicle::contract
