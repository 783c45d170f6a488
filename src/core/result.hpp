#pragma once
// Results at adapter boundaries: failures that are expected (network, disk, bad input)
// travel as values with a code a user can read; exceptions are kept for programming errors.
#include <string>
#include <utility>
#include <variant>

namespace chronicle {

// The few kinds of failure a caller acts on differently: fix the request, look elsewhere, retry
// later, or report a bug. Adapters say which kind a failure of theirs is; HTTP statuses and CLI
// exit codes are mapped from the kind in one place each.
enum class ErrorKind {
  unset,        // derived from the code (see kind_of)
  invalid,      // the request cannot succeed as made: 400
  not_found,    // 404
  conflict,     // the state changed or does not allow it: 409
  unavailable,  // a store, queue or service cannot be reached or is busy: 503, retry
  throttled,    // a service asks us to slow down: 503, retry
  internal,     // chronicle or its configuration is wrong: 500
};

struct Error {
  std::string code;     // stable, machine-readable: "not_found", "invalid_url", ...
  std::string message;  // one sentence a user can act on
  ErrorKind kind = ErrorKind::unset;
  std::string detail = {};  // a tool's own words, whole, for who asks (the drawer, `show --verbose`)
};

// The error's kind: as set, else from well-known codes, else `invalid`.
inline ErrorKind kind_of(const Error& e) {
  if (e.kind != ErrorKind::unset) return e.kind;
  const std::string& c = e.code;
  if (c == "not_found") return ErrorKind::not_found;
  if (c == "conflict" || c == "finished") return ErrorKind::conflict;
  if (c == "storage_error" || c == "queue_error" || c == "unavailable" || c == "egress_unavailable")
    return ErrorKind::unavailable;
  if (c == "throttled") return ErrorKind::throttled;
  if (c == "internal") return ErrorKind::internal;
  return ErrorKind::invalid;
}

// How an error reaches a user: the status the API answers with, and the CLI's exit code (so
// scripts can tell "fix the command" from "try again later"). One table for both.
struct ErrorReport {
  unsigned http_status;
  int exit_code;
};
inline ErrorReport report_for(const Error& e) {
  if (e.code == "insufficient_storage") return {507, 5};
  if (e.code == "not_implemented") return {501, 2};
  switch (kind_of(e)) {
    case ErrorKind::not_found:
      return {404, 3};
    case ErrorKind::conflict:
      return {409, 4};
    case ErrorKind::unavailable:
    case ErrorKind::throttled:
      return {503, 5};
    case ErrorKind::internal:
      return {500, 6};
    default:
      return {400, 2};
  }
}

inline bool retryable(const Error& e) {
  const auto k = kind_of(e);
  return k == ErrorKind::unavailable || k == ErrorKind::throttled;
}

struct Ok {};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

inline Error make_error(std::string code, std::string message) { return Error{std::move(code), std::move(message)}; }
inline Error make_error(ErrorKind kind, std::string code, std::string message) {
  return Error{std::move(code), std::move(message), kind};
}

}  // namespace chronicle
