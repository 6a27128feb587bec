/// \file
/// \brief The check every bad-input test makes: a std::runtime_error that names the file
/// and says what is wrong with it.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace mnist::hardening {

/// Expects fn() to throw std::runtime_error (or a subclass) whose message contains both
/// `file` and `problem`. Any other exception fails the test: the binaries turn
/// std::exception into an `error:` line, but a reader's contract is std::runtime_error.
template <typename Fn>
void expect_refusal(Fn fn, const std::string& file, const std::string& problem) {
  try {
    fn();
    ADD_FAILURE() << "accepted; expected a refusal about '" << problem << "'";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << "message does not name " << file << ": " << msg;
    EXPECT_NE(msg.find(problem), std::string::npos)
        << "message does not say " << problem << ": " << msg;
  }
}

}  // namespace mnist::hardening
