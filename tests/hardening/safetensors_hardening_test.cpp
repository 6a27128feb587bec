// The safetensors reader on hostile files: headers that lie, dtypes and shapes that do not
// fit, values that are not numbers, files that are not safetensors at all. Each is refused
// naming the file (and the tensor, where there is one); nothing crashes or allocates wildly.
#include <gtest/gtest.h>

#include <cmath>

#include "common/params.h"
#include "common/safetensors.h"
#include "tests/hardening/bad_bytes.h"
#include "tests/hardening/expect_refusal.h"
#include "tests/support/test_support.h"

using namespace mnist;
using namespace mnist::hardening;
using mnist::testkit::TempDir;

namespace {

/// Writes a safetensors file with this header and data, and expects load_safetensors to
/// refuse it with a message naming the file and holding `problem`.
void expect_header_refused(const std::string& header, const std::string& data,
                           const std::string& problem) {
  TempDir dir;
  put_file(dir / "bad.safetensors", safetensors_bytes(header, data));
  SCOPED_TRACE(header);
  expect_refusal([&] { load_safetensors(dir / "bad.safetensors"); }, "bad.safetensors", problem);
}

const std::string kTenFloats(40, '\0');

}  // namespace

TEST(SafetensorsHardening, OffsetsThatLie) {
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[40,0]}})", kTenFloats,
                        "data_offsets outside the data");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[0,44]}})", kTenFloats,
                        "data_offsets outside the data");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[0,1000000000000]}})",
                        kTenFloats, "data_offsets outside the data");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[0,36]}})", kTenFloats,
                        "needs 40");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[0]}})", kTenFloats,
                        "data_offsets needs 2 numbers");
  expect_header_refused(
      R"({"a":{"dtype":"F32","shape":[5],"data_offsets":[0,20]},"b":{"dtype":"F32","shape":[5],"data_offsets":[16,36]}})",
      kTenFloats, "overlapping");
}

// Regression: the element count of a shape was multiplied out without an overflow check.
// [2^30, 2^30, 4] has 2^62 elements, 2^64 bytes, which wrapped to 0 and matched offsets
// [0,0]; the reader then made a tensor claiming 2^62 elements with no storage, and read it.
TEST(SafetensorsHardening, ShapeWhoseSizeOverflows) {
  expect_header_refused(
      R"({"w":{"dtype":"F32","shape":[1073741824,1073741824,4],"data_offsets":[0,0]}})", "",
      "tensor 'w' has shape [1073741824,1073741824,4]");
  expect_header_refused(
      R"({"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,0]}})",
      "", "tensor 'w' has shape");
  expect_header_refused(R"({"w":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,40]}})",
                        kTenFloats, "tensor 'w' has shape");
}

TEST(SafetensorsHardening, MalformedJson) {
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[0,40]}} x)", kTenFloats,
                        "trailing characters");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[0,40]})", kTenFloats,
                        "malformed JSON header");
  expect_header_refused(R"({"b\"c":{"dtype":"F32","shape":[10],"data_offsets":[0,40]}})",
                        kTenFloats, "escape sequences");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[-10],"data_offsets":[0,40]}})", kTenFloats,
                        "expected a number");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[1.5],"data_offsets":[0,40]}})", kTenFloats,
                        "malformed JSON header");
  expect_header_refused(
      R"({"b":{"dtype":"F32","shape":[99999999999999999999999],"data_offsets":[0,40]}})",
      kTenFloats, "number too large");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[4294967296],"data_offsets":[0,40]}})",
                        kTenFloats, "dimension too large");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10]}})", kTenFloats,
                        "lacks dtype, shape or data_offsets");
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[0,40],"extra":"1"}})",
                        kTenFloats, "unexpected key 'extra'");
  expect_header_refused(
      R"({"b":{"dtype":"F32","shape":[5],"data_offsets":[0,20]},"b":{"dtype":"F32","shape":[5],"data_offsets":[20,40]}})",
      kTenFloats, "appears twice");
  expect_header_refused(
      R"({"__metadata__":{"n":1},"b":{"dtype":"F32","shape":[10],"data_offsets":[0,40]}})",
      kTenFloats, "header");
  expect_header_refused(std::string("\x00\xff\x13\x37garbage", 11), kTenFloats,
                        "malformed JSON header");
  expect_header_refused("", kTenFloats, "malformed JSON header");
}

TEST(SafetensorsHardening, DtypesOtherThanF32) {
  for (const char* dtype : {"F16", "BF16", "F64", "I32", "U8", "f32", ""}) {
    expect_header_refused(
        std::string(R"({"b":{"dtype":")") + dtype + R"(","shape":[10],"data_offsets":[0,40]}})",
        kTenFloats, "has dtype " + std::string(dtype) + ", want F32");
  }
}

TEST(SafetensorsHardening, NonFiniteValuesAnywhere) {
  TempDir dir;
  for (float bad : {-INFINITY, -NAN}) {
    for (bool last : {false, true}) {
      Params p = init_params(2);
      (last ? p.fc_bias[9] : p.conv1_weight[0]) = bad;
      save_params(dir / "w.safetensors", p);
      expect_refusal([&] { load_params(dir / "w.safetensors"); }, "w.safetensors",
                     last ? "'fc.bias' holds a non-finite value at element 9"
                          : "'conv1.weight' holds a non-finite value at element 0");
    }
  }
}

TEST(SafetensorsHardening, SubnormalAndExtremeFiniteValuesLoad) {
  // Finite is finite: the reader must not refuse the edges of float32.
  TempDir dir;
  Params p = init_params(2);
  p.fc_bias[0] = 1e-45f;         // the smallest subnormal
  p.fc_bias[1] = 3.4028235e38f;  // the largest float
  p.fc_bias[2] = -0.0f;
  save_params(dir / "w.safetensors", p);
  const Params q = load_params(dir / "w.safetensors");
  EXPECT_EQ(q.fc_bias[0], 1e-45f);
  EXPECT_EQ(q.fc_bias[1], 3.4028235e38f);
  EXPECT_TRUE(std::signbit(q.fc_bias[2]));
}

TEST(SafetensorsHardening, WrongNames) {
  // Every tensor there, each under a prefixed name (as a wrapped PyTorch module saves them).
  TempDir dir;
  Params p = init_params(1);
  std::vector<NamedTensorRef> refs;
  for (auto [name, t] : p.list()) refs.push_back({"model." + std::string(name), t});
  save_safetensors(dir / "w.safetensors", refs);
  expect_refusal([&] { load_params(dir / "w.safetensors"); }, "w.safetensors",
                 "missing tensor 'conv1.weight'");
}

TEST(SafetensorsHardening, NotASafetensorsFile) {
  TempDir dir;
  put_file(dir / "labels.safetensors", idx_header(0x08, {10000}) + std::string(10000, '\1'));
  expect_refusal([&] { load_params(dir / "labels.safetensors"); }, "labels.safetensors",
                 "implausible");
  put_file(dir / "empty.safetensors", "");
  expect_refusal([&] { load_params(dir / "empty.safetensors"); }, "empty.safetensors", "cut short");
  put_file(dir / "seven.safetensors", "1234567");
  expect_refusal([&] { load_params(dir / "seven.safetensors"); }, "seven.safetensors", "cut short");
  std::filesystem::create_directory(dir / "dir.safetensors");
  expect_refusal([&] { load_params(dir / "dir.safetensors"); }, "dir.safetensors",
                 "is a directory, not a regular file");
}

TEST(SafetensorsHardening, HeaderWithoutData) {
  expect_header_refused(R"({"b":{"dtype":"F32","shape":[10],"data_offsets":[0,40]}})", "",
                        "data_offsets outside the data");
}

TEST(SafetensorsHardening, EmptyAndScalarTensorsAreValid) {
  TempDir dir;
  put_file(
      dir / "s.safetensors",
      safetensors_bytes(
          R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"e":{"dtype":"F32","shape":[2147483647,0,5],"data_offsets":[4,4]}})",
          std::string("\0\0\x80\x3f", 4)));  // 1.0f, little-endian
  const auto t = load_safetensors(dir / "s.safetensors");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t.at("s").size(), 1);
  EXPECT_EQ(t.at("s")[0], 1.0f);
  EXPECT_EQ(t.at("e").size(), 0);
  EXPECT_EQ(t.at("e").shape(), (Shape{2147483647, 0, 5}));
}
