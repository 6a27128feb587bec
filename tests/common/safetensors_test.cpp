#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>

#include "common/params.h"
#include "common/safetensors.h"
#include "tests/support/test_support.h"

using namespace mnist;
using mnist::testkit::TempDir;
using mnist::testkit::write_bytes;

namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

/// A safetensors file from a header text and a data block.
std::string file_with(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

void expect_refused(const std::filesystem::path& p, const std::string& problem) {
  try {
    load_params(p);
    ADD_FAILURE() << "loaded; expected a refusal about " << problem;
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(p.filename().string()), std::string::npos) << msg;
    EXPECT_NE(msg.find(problem), std::string::npos) << msg;
  }
}

}  // namespace

TEST(Safetensors, ParamsRoundTripBitExact) {
  TempDir dir;
  const Params p = init_params(3);
  save_params(dir / "w.safetensors", p);
  const Params q = load_params(dir / "w.safetensors");
  for (size_t i = 0; i < 6; ++i) {
    const Tensor& a = *p.list()[i].tensor;
    const Tensor& b = *q.list()[i].tensor;
    ASSERT_EQ(a.shape(), b.shape());
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
  }
}

TEST(Safetensors, FileLayoutIsTheStandardOne) {
  TempDir dir;
  save_params(dir / "w.safetensors", init_params(3));
  const std::string bytes = read_all(dir / "w.safetensors");
  uint64_t n;
  std::memcpy(&n, bytes.data(), 8);
  EXPECT_EQ(n % 8, 0u);  // data starts 8-byte aligned
  const std::string header = bytes.substr(8, n);
  EXPECT_NE(header.find("\"conv1.weight\":{\"dtype\":\"F32\",\"shape\":[32,1,3,3]"),
            std::string::npos);
  EXPECT_EQ(bytes.size(), 8 + n + 34826 * 4);
}

TEST(SafetensorsRefuses, MissingTensor) {
  TempDir dir;
  Params p = init_params(1);
  std::vector<NamedTensorRef> refs;
  for (auto [name, t] : p.list()) {
    if (name != "fc.bias") refs.push_back({std::string(name), t});
  }
  save_safetensors(dir / "w.safetensors", refs);
  expect_refused(dir / "w.safetensors", "missing tensor 'fc.bias'");
}

TEST(SafetensorsRefuses, ExtraTensor) {
  // All six of the network's tensors are there, plus one it does not have.
  TempDir dir;
  Params p = init_params(1);
  Tensor extra({4});
  std::vector<NamedTensorRef> refs;
  for (auto [name, t] : p.list()) refs.push_back({std::string(name), t});
  refs.push_back({"conv3.weight", &extra});
  save_safetensors(dir / "w.safetensors", refs);
  expect_refused(dir / "w.safetensors", "unexpected tensor 'conv3.weight'");
}

TEST(SafetensorsRefuses, WrongShape) {
  TempDir dir;
  Params p = init_params(1);
  p.fc_bias = Tensor({11});
  save_params(dir / "w.safetensors", p);
  expect_refused(dir / "w.safetensors", "'fc.bias' has shape [11]");
}

TEST(SafetensorsRefuses, WrongDtype) {
  TempDir dir;
  write_bytes(dir / "w.safetensors",
              file_with(R"({"fc.bias":{"dtype":"F16","shape":[10],"data_offsets":[0,20]}})",
                        std::string(20, '\0')));
  expect_refused(dir / "w.safetensors", "dtype F16");
}

TEST(SafetensorsRefuses, TruncatedFile) {
  TempDir dir;
  save_params(dir / "w.safetensors", init_params(1));
  const std::string bytes = read_all(dir / "w.safetensors");
  write_bytes(dir / "cut.safetensors", bytes.substr(0, bytes.size() - 100));
  expect_refused(dir / "cut.safetensors", "cut short");
  write_bytes(dir / "tiny.safetensors", bytes.substr(0, 5));
  expect_refused(dir / "tiny.safetensors", "cut short");
  write_bytes(dir / "hdr.safetensors", bytes.substr(0, 40));
  expect_refused(dir / "hdr.safetensors", "cut short");
}

TEST(SafetensorsRefuses, NonFiniteValue) {
  TempDir dir;
  for (float bad : {NAN, INFINITY}) {
    Params p = init_params(1);
    p.conv2_weight[17] = bad;
    save_params(dir / "w.safetensors", p);
    expect_refused(dir / "w.safetensors", "'conv2.weight' holds a non-finite value at element 17");
  }
}

TEST(SafetensorsRefuses, HeaderThatLies) {
  TempDir dir;
  const std::string data(40, '\0');
  write_bytes(dir / "a.safetensors",
              file_with(R"({"x":{"dtype":"F32","shape":[10],"data_offsets":[0,80]}})", data));
  expect_refused(dir / "a.safetensors", "outside the data");
  write_bytes(dir / "b.safetensors",
              file_with(R"({"x":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", data));
  expect_refused(dir / "b.safetensors", "needs 12");
  write_bytes(dir / "c.safetensors",
              file_with(R"({"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                        R"("y":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}})",
                        data));
  expect_refused(dir / "c.safetensors", "overlapping");
  write_bytes(dir / "d.safetensors", file_with(R"({"x":{"dtype":"F32",)", data));
  expect_refused(dir / "d.safetensors", "header");
  write_bytes(dir / "e.safetensors", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8));
  expect_refused(dir / "e.safetensors", "implausible");
}

TEST(Safetensors, MetadataIsSkipped) {
  TempDir dir;
  write_bytes(
      dir / "m.safetensors",
      file_with(
          R"({"__metadata__":{"format":"pt"},"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})",
          std::string(4, '\0')));
  const auto tensors = load_safetensors(dir / "m.safetensors");
  ASSERT_EQ(tensors.size(), 1u);
  EXPECT_EQ(tensors.at("x").shape(), (Shape{1}));
}

TEST(Safetensors, InterruptedSaveLeavesPreviousFileIntact) {
  TempDir dir;
  const auto path = dir / "w.safetensors";
  save_params(path, init_params(1));
  const std::string before = read_all(path);
  // A save that fails half-way: in a child process whose files may not grow past 4 KiB
  // (RLIMIT_FSIZE, with SIGXFSZ ignored), write() fails with EFBIG inside the temporary
  // file, as it would on a full disk. The target must be untouched and the temporary gone.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    const rlimit small{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &small);
    try {
      save_params(path, init_params(2));
    } catch (const std::runtime_error& e) {
      _exit(std::string(e.what()).find("write error: File too large") != std::string::npos ? 0 : 2);
    }
    _exit(1);  // the save succeeded
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the save succeeded; 2: the error lacked the reason";
  EXPECT_EQ(read_all(path), before);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(entry.path().filename(), "w.safetensors") << "left behind: " << entry.path();
  }
}
