#include <gtest/gtest.h>

#include "common/cli.h"

using namespace mnist;

namespace {
const CliSpec kSpec{"prog",
                    "a test program",
                    {Flag::data, Flag::epochs, Flag::batch, Flag::seed, Flag::lr, Flag::verbose},
                    {},
                    {{"rung", "N", "which rung", "3"}, {"fast", "", "a switch", ""}}};

std::optional<Options> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_cli(static_cast<int>(argv.size()), argv.data(), kSpec);
}

void expect_usage_error(std::vector<std::string> args, const std::string& text) {
  try {
    parse(args);
    ADD_FAILURE() << "accepted; expected an error mentioning " << text;
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Cli, DefaultsAndValues) {
  auto o = parse({});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->epochs, 5);
  EXPECT_EQ(o->batch, 128);
  EXPECT_EQ(o->extra_int("rung"), 3);
  EXPECT_FALSE(o->extra_switch("fast"));
  o = parse({"--epochs", "2", "--batch=64", "--seed", "18446744073709551615", "--lr", "0.01",
             "--data", "/x", "--verbose", "--rung", "1", "--fast"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->epochs, 2);
  EXPECT_EQ(o->batch, 64);
  EXPECT_EQ(o->seed, UINT64_MAX);
  EXPECT_FLOAT_EQ(o->lr, 0.01f);
  EXPECT_EQ(o->data_dir, "/x");
  EXPECT_TRUE(o->verbose);
  EXPECT_EQ(o->extra_int("rung"), 1);
  EXPECT_TRUE(o->extra_switch("fast"));
}

TEST(Cli, HelpReturnsNothing) {
  ::testing::internal::CaptureStdout();
  EXPECT_FALSE(parse({"--help"}));
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("--epochs N"), std::string::npos);
  EXPECT_NE(out.find("--rung N"), std::string::npos);
}

TEST(Cli, MistakesNameTheFlag) {
  expect_usage_error({"--bogus"}, "unknown flag '--bogus'");
  expect_usage_error({"--threads", "2"}, "unknown flag '--threads'");  // not in this spec
  expect_usage_error({"--epochs"}, "--epochs needs a value");
  expect_usage_error({"--epochs", "five"}, "--epochs: 'five' is not a number");
  expect_usage_error({"--epochs", "3x"}, "not a number");
  expect_usage_error({"--epochs", "-1"}, "--epochs: -1 is out of range");
  expect_usage_error({"--batch", "0"}, "--batch: 0 is out of range");
  expect_usage_error({"--seed", "99999999999999999999999"}, "out of range");
  expect_usage_error({"--data", ""}, "non-empty");
  expect_usage_error({"--verbose=1"}, "takes no value");
  expect_usage_error({"stray"}, "unexpected argument 'stray'");
}

TEST(Cli, RunMainMapsErrorsToExitStatus) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_main([]() -> int { throw UsageError("bad flag"); }), 2);
  EXPECT_EQ(run_main([]() -> int { throw std::runtime_error("bad file"); }), 1);
  EXPECT_EQ(run_main([] { return 0; }), 0);
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err, "error: bad flag\nerror: bad file\n");
}
