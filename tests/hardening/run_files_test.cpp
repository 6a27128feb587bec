// Inputs are never outputs (common/run_files.h): one file reached by two names is still one
// file, and a run refuses before any work when an output would overwrite what it reads.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/cli.h"
#include "common/run_files.h"
#include "tests/hardening/bad_bytes.h"
#include "tests/support/test_support.h"

using namespace mnist;
using namespace mnist::hardening;
using mnist::testkit::TempDir;
namespace fs = std::filesystem;

namespace {
/// The UsageError check_no_output_is_an_input() throws, or "" when it accepts.
std::string conflict(const std::vector<FileFlag>& inputs, const std::vector<FileFlag>& outputs) {
  try {
    check_no_output_is_an_input(inputs, outputs);
    return "";
  } catch (const UsageError& e) {
    return e.what();
  }
}
}  // namespace

TEST(RunFiles, OneFileByManyNames) {
  TempDir dir;
  put_file(dir / "w", "weights");
  fs::create_hard_link(dir / "w", dir / "hard");
  fs::create_symlink(dir / "w", dir / "soft");
  fs::create_directory(dir / "sub");
  EXPECT_TRUE(same_file(dir / "w", dir / "hard"));
  EXPECT_TRUE(same_file(dir / "w", dir / "soft"));
  EXPECT_TRUE(same_file(dir / "w", dir / "sub" / ".." / "w"));
  // Files that do not exist yet: the same once written if their resolved paths agree.
  EXPECT_TRUE(same_file(dir / "new.json", dir / "sub" / ".." / "new.json"));
  EXPECT_FALSE(same_file(dir / "new.json", dir / "other.json"));
  EXPECT_FALSE(same_file(dir / "w", dir / "new.json"));
}

// Regression: `stage03 --weights w --logits w` replaced the input weights.
TEST(RunFiles, AnOutputThatIsAnInputIsRefusedNamingBothFlags) {
  TempDir dir;
  put_file(dir / "w.safetensors", "weights");
  const std::string msg =
      conflict({{"--weights", dir / "w.safetensors"}}, {{"--logits", dir / "." / "w.safetensors"}});
  EXPECT_NE(msg.find("--logits"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--weights"), std::string::npos) << msg;
  EXPECT_NE(msg.find("an output must not overwrite an input"), std::string::npos) << msg;
  EXPECT_EQ(file_bytes(dir / "w.safetensors"), "weights");
}

TEST(RunFiles, TwoOutputsInOneFileAreRefused) {
  TempDir dir;
  const std::string msg =
      conflict({}, {{"--out", dir / "x"}, {"--json", dir / "sub" / ".." / "x"}});
  EXPECT_NE(msg.find("--json"), std::string::npos) << msg;
  EXPECT_NE(msg.find("two outputs cannot share one file"), std::string::npos) << msg;
  EXPECT_EQ(conflict({{"--weights", dir / "w"}}, {{"--out", dir / "x"}, {"--json", dir / "y"}}),
            "");
}

// Regression: stage 04 saved over whatever --weights named, the shipped weights included.
TEST(RunFiles, AnExistingOutIsReplacedOnlyWithForce) {
  TempDir dir;
  put_file(dir / "kept.safetensors", "kept");
  try {
    check_may_replace({"--out", dir / "kept.safetensors"}, false);
    ADD_FAILURE() << "an existing --out was accepted without --force";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("already exists; pass --force"), std::string::npos)
        << e.what();
  }
  EXPECT_NO_THROW(check_may_replace({"--out", dir / "kept.safetensors"}, true));
  EXPECT_NO_THROW(check_may_replace({"--out", dir / "new.safetensors"}, false));
}

TEST(RunFiles, UnwritableOutputsNameTheirFlag) {
  TempDir dir;
  try {
    check_outputs_writable({{"--json", dir / "missing" / "r.json", 10}});
    ADD_FAILURE() << "an output in a missing directory was accepted";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("r.json: cannot open for writing: No such file or directory (--json)"),
              std::string::npos)
        << msg;
  }
}
