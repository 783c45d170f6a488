#pragma once
// "Did you mean": the command or option a mistyped word was most likely meant to be.
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace chronicle::cli {

// The candidate nearest `word` by edit distance (a swap of neighbours counts once), when it is
// near enough to be a typo of it: at most one edit for short words, a third of the word's length
// for longer ones.
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates);

// Walks the command line as `app` would and says what is wrong with the first word it cannot
// place, and what it was probably meant to be: "'suibmit' is not a command; did you mean
// 'submit'?". nullopt when every word has its place (the error is of another kind).
std::optional<std::string> typo_hint(const CLI::App& app, const std::vector<std::string>& args);

}  // namespace chronicle::cli
