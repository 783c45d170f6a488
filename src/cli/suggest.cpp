#include "cli/suggest.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>

namespace chronicle::cli {
namespace {

// Optimal string alignment distance: insertions, deletions, substitutions and transpositions.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i)
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

// The options `app` and the commands above it take (fallthrough lets a parent's options come
// after a subcommand), as they are written on a command line.
std::vector<const CLI::Option*> options_in_scope(const CLI::App* app) {
  std::vector<const CLI::Option*> out;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent())
    for (const CLI::Option* o : a->get_options()) out.push_back(o);
  return out;
}

const CLI::Option* find_option(const std::vector<const CLI::Option*>& options, const std::string& flag) {
  for (const CLI::Option* o : options) {
    for (const auto& l : o->get_lnames())
      if (flag == "--" + l) return o;
    for (const auto& s : o->get_snames())
      if (flag == "-" + s) return o;
  }
  return nullptr;
}

std::string command_path(const CLI::App* app) {
  std::vector<std::string> names;
  for (const CLI::App* a = app; a != nullptr; a = a->get_parent())
    names.push_back(a->get_parent() == nullptr ? std::string("chronicle") : a->get_name());
  std::string path;
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    if (!path.empty()) path += ' ';
    path += *it;
  }
  return path;
}

std::string explain(const std::string& word, const std::string& what, const std::optional<std::string>& meant) {
  return "'" + word + "' is not " + what + (meant ? "; did you mean '" + *meant + "'?" : "");
}

}  // namespace

std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates) {
  const std::size_t allowed = std::max<std::size_t>(1, word.size() / 3);
  std::optional<std::string> best;
  std::size_t best_distance = allowed + 1;
  for (const auto& c : candidates) {
    const std::size_t d = distance(word, c);
    if (d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::optional<std::string> typo_hint(const CLI::App& app, const std::vector<std::string>& args) {
  const CLI::App* current = &app;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") return std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string flag = arg.substr(0, arg.find('='));
      const auto options = options_in_scope(current);
      if (const CLI::Option* known = find_option(options, flag)) {
        if (known->get_expected_min() > 0 && flag.size() == arg.size()) ++i;  // its value
        continue;
      }
      std::vector<std::string> names;
      for (const CLI::Option* o : options) {
        for (const auto& l : o->get_lnames()) names.push_back("--" + l);
        for (const auto& s : o->get_snames()) names.push_back("-" + s);
      }
      return explain(flag, "an option of '" + command_path(current) + "'", closest(flag, names));
    }
    const auto subcommands = current->get_subcommands([](const CLI::App*) { return true; });
    if (subcommands.empty()) continue;  // a positional argument of the command
    const auto next =
        std::find_if(subcommands.begin(), subcommands.end(), [&](const CLI::App* s) { return s->get_name() == arg; });
    if (next != subcommands.end()) {
      current = *next;
      continue;
    }
    std::vector<std::string> names;
    names.reserve(subcommands.size());
    for (const CLI::App* s : subcommands) names.push_back(s->get_name());
    return explain(arg, current == &app ? std::string("a command") : "a command of '" + command_path(current) + "'",
                   closest(arg, names));
  }
  return std::nullopt;
}

}  // namespace chronicle::cli
