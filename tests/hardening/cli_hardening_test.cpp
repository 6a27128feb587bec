// The shared command-line parser on values a person might mistype: each is a UsageError
// (exit status 2) naming the flag, and nothing out of range gets through.
#include <gtest/gtest.h>

#include <cmath>

#include "common/cli.h"

using namespace mnist;

namespace {

// Every shared flag, so each can be tried here.
const CliSpec kAllFlags{
    "prog",
    "every shared flag",
    {Flag::data, Flag::weights, Flag::out, Flag::force, Flag::epochs, Flag::batch, Flag::seed,
     Flag::threads, Flag::limit, Flag::lr, Flag::json, Flag::verbose},
    {},
    {{"rung", "N", "an extra flag", "3"}}};

std::optional<Options> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return parse_cli(static_cast<int>(argv.size()), argv.data(), kAllFlags);
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& text) {
  std::string joined;
  for (const auto& a : args) joined += " " + a;
  try {
    parse(args);
    ADD_FAILURE() << "accepted" << joined << "; expected an error mentioning " << text;
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << joined << ": " << e.what();
  }
}

}  // namespace

// Regression: the range check was `value < lo || value > hi`, which is false for NaN, so
// `--lr nan` was accepted and training would have run on a NaN learning rate.
TEST(CliHardening, NotANumberLearningRate) {
  for (const char* text : {"nan", "NaN", "NAN", "-nan", "nan(123)"}) {
    expect_usage_error({"--lr", text}, "--lr");
  }
}

TEST(CliHardening, InfiniteOrTinyLearningRate) {
  expect_usage_error({"--lr", "inf"}, "--lr: inf is out of range");
  expect_usage_error({"--lr", "infinity"}, "out of range");
  expect_usage_error({"--lr", "-0.001"}, "out of range");
  expect_usage_error({"--lr", "0"}, "--lr: 0 is out of range");
  expect_usage_error({"--lr", "1e-50"}, "out of range");
  expect_usage_error({"--lr", "1e39"}, "out of range");
}

TEST(CliHardening, IntegersWrittenOddly) {
  for (const char* text : {"+5", " 5", "5 ", "0x10", "1e3", "5.0", "5,000", "٣", "--5"}) {
    expect_usage_error({"--batch", text}, "is not a number");
  }
  expect_usage_error({"--batch="}, "--batch: '' is not a number");
  expect_usage_error({"--batch=5=6"}, "not a number");
}

TEST(CliHardening, IntegersOutOfRange) {
  expect_usage_error({"--batch", "0"}, "--batch: 0 is out of range");
  expect_usage_error({"--batch", "60001"}, "out of range");
  expect_usage_error({"--batch", "99999999999"}, "out of range");
  expect_usage_error({"--epochs", "-1"}, "--epochs: -1 is out of range");
  expect_usage_error({"--epochs", "1001"}, "out of range");
  expect_usage_error({"--threads", "0"}, "--threads: 0 is out of range");
  expect_usage_error({"--threads", "1025"}, "out of range");
  expect_usage_error({"--limit", "0"}, "--limit: 0 is out of range");
  expect_usage_error({"--limit", "60001"}, "out of range");
  expect_usage_error({"--seed", "-1"}, "--seed: '-1' is not a number");
  expect_usage_error({"--seed", "18446744073709551616"}, "out of range");
}

TEST(CliHardening, MalformedFlags) {
  expect_usage_error({"--"}, "unknown flag '--'");
  expect_usage_error({"--=5"}, "unknown flag '--'");
  expect_usage_error({"-batch", "5"}, "unexpected argument '-batch'");
  expect_usage_error({"--BATCH", "5"}, "unknown flag '--BATCH'");
  expect_usage_error({"--batch"}, "--batch needs a value");
  expect_usage_error({"--weights="}, "--weights needs a non-empty value");
  expect_usage_error({"--json="}, "--json needs a non-empty value");
  expect_usage_error({"--rung"}, "--rung needs a value");
}

TEST(CliHardening, ExtraIntegerFlagThatIsNotANumber) {
  auto o = parse({"--rung", "two"});
  ASSERT_TRUE(o);
  try {
    o->extra_int("rung");
    ADD_FAILURE() << "extra_int accepted 'two'";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--rung: 'two' is not a number"), std::string::npos)
        << e.what();
  }
}

TEST(CliHardening, EdgesOfTheRangesAreAccepted) {
  auto o = parse({"--batch", "60000", "--epochs", "1", "--threads", "1", "--limit", "1", "--lr",
                  "10", "--seed", "0"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->batch, 60000);
  EXPECT_EQ(o->epochs, 1);
  EXPECT_EQ(o->threads, 1);
  EXPECT_EQ(o->limit, 1);
  EXPECT_EQ(o->lr, 10.0f);
  EXPECT_EQ(o->seed, 0u);
}

// Regression: the limits were printed with %f, so `--lr 1e-10` was refused as out of the
// range "0.000000 to 10.000000", which contains nothing that explains the refusal.
TEST(CliHardening, RangesArePrintedWithTheirRealLimits) {
  expect_usage_error({"--lr", "1e-10"}, "--lr: 1e-10 is out of range (1e-09 to 10)");
  expect_usage_error({"--batch", "60001"}, "(1 to 60000)");
}

TEST(CliHardening, OutAndForce) {
  auto o = parse({"--out", "w.safetensors", "--force"});
  ASSERT_TRUE(o);
  EXPECT_EQ(o->out, std::filesystem::path("w.safetensors"));
  EXPECT_TRUE(o->force);
  EXPECT_FALSE(o->verbose) << "--force set --verbose too";
  EXPECT_FALSE(parse({})->force);
  expect_usage_error({"--out="}, "--out needs a non-empty value");
  expect_usage_error({"--force=yes"}, "--force takes no value");
}
