#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "common/idx.h"
#include "common/mnist.h"
#include "tests/support/test_support.h"

using namespace mnist;
using mnist::testkit::TempDir;
using mnist::testkit::write_bytes;

namespace {

/// Expects fn to throw a runtime_error whose message holds both `file` and `problem`.
template <typename Fn>
void expect_error(Fn fn, const std::string& file, const std::string& problem) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected one about " << problem;
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find(problem), std::string::npos) << msg;
  }
}

/// An IDX header: magic for type/rank, then big-endian dims.
std::string header(uint8_t type, std::vector<uint32_t> dims) {
  std::string h = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift : {24, 16, 8, 0}) h += static_cast<char>((d >> shift) & 0xFF);
  }
  return h;
}

IdxArray sample_u8() {
  IdxArray a;
  a.type = IdxType::u8;
  a.dims = {2, 3};
  a.u8 = {0, 1, 2, 253, 254, 255};
  return a;
}

IdxArray sample_f32() {
  IdxArray a;
  a.type = IdxType::f32;
  a.dims = {3};
  a.f32 = {-1.5f, 0.0f, 3.25e7f};
  return a;
}

}  // namespace

class IdxRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(IdxRoundTrip, BothTypes) {
  TempDir dir;
  for (const IdxArray& a : {sample_u8(), sample_f32()}) {
    const auto path = dir / ("a" + GetParam());
    write_idx(path, a);
    const IdxArray b = read_idx(path);
    EXPECT_EQ(b.type, a.type);
    EXPECT_EQ(b.dims, a.dims);
    EXPECT_EQ(b.u8, a.u8);
    EXPECT_EQ(b.f32, a.f32);
  }
}
INSTANTIATE_TEST_SUITE_P(RawAndGzip, IdxRoundTrip, ::testing::Values(".idx", ".idx.gz"));

TEST(Idx, GzipFileIsReallyCompressedAndRawIsBigEndian) {
  TempDir dir;
  write_idx(dir / "a.gz", sample_u8());
  write_idx(dir / "a.raw", sample_u8());
  std::ifstream gz(dir / "a.gz", std::ios::binary), raw(dir / "a.raw", std::ios::binary);
  EXPECT_EQ(gz.get(), 0x1f);  // gzip magic
  EXPECT_EQ(gz.get(), 0x8b);
  std::string bytes((std::istreambuf_iterator<char>(raw)), {});
  EXPECT_EQ(bytes.substr(0, 12), header(0x08, {2, 3}));
}

TEST(IdxBadInput, MissingFile) {
  TempDir dir;
  expect_error([&] { read_idx(dir / "nope"); }, "nope", "not found");
}

TEST(IdxBadInput, EmptyFile) {
  TempDir dir;
  write_bytes(dir / "empty", "");
  expect_error([&] { read_idx(dir / "empty"); }, "empty", "empty file");
}

TEST(IdxBadInput, TruncatedHeader) {
  TempDir dir;
  write_bytes(dir / "short", std::string("\0\0", 2));
  expect_error([&] { read_idx(dir / "short"); }, "short", "truncated header");
  write_bytes(dir / "short2", header(0x08, {60000, 28, 28}).substr(0, 9));
  expect_error([&] { read_idx(dir / "short2"); }, "short2", "truncated header");
}

TEST(IdxBadInput, WrongMagic) {
  TempDir dir;
  write_bytes(dir / "png", "\x89PNG\r\n\x1a\n");
  expect_error([&] { read_idx(dir / "png"); }, "png", "wrong magic");
}

TEST(IdxBadInput, UnsupportedType) {
  TempDir dir;
  write_bytes(dir / "int32", header(0x0C, {1}) + std::string(4, '\0'));
  expect_error([&] { read_idx(dir / "int32"); }, "int32", "unsupported IDX element type");
}

TEST(IdxBadInput, HeaderClaimsMoreThanTheFileHolds) {
  TempDir dir;
  // Claims 2^31-1 x 2^31-1 bytes: must fail on plausibility, never try to allocate it.
  write_bytes(dir / "huge", header(0x08, {0x7FFFFFFF, 0x7FFFFFFF}) + "abc");
  expect_error([&] { read_idx(dir / "huge"); }, "huge", "implausible");
  // Claims 60000 images but holds 10 bytes: fails at the end of the real data.
  write_bytes(dir / "lying", header(0x08, {60000, 28, 28}) + std::string(10, 'x'));
  expect_error([&] { read_idx(dir / "lying"); }, "lying", "truncated data");
}

TEST(MnistBadInput, CountMismatch) {
  TempDir dir;
  write_bytes(dir / "img", header(0x08, {2, 28, 28}) + std::string(2 * 784, '\0'));
  write_bytes(dir / "lab", header(0x08, {3}) + std::string(3, '\1'));
  expect_error([&] { load_mnist_files(dir / "img", dir / "lab"); }, "lab", "holds 3 labels");
}

TEST(MnistBadInput, LabelAboveNine) {
  TempDir dir;
  write_bytes(dir / "img", header(0x08, {2, 28, 28}) + std::string(2 * 784, '\0'));
  write_bytes(dir / "lab", header(0x08, {2}) + std::string("\x03\x0a", 2));
  expect_error([&] { load_mnist_files(dir / "img", dir / "lab"); }, "lab", "label 10");
}

TEST(MnistBadInput, NotTwentyEightByTwentyEight) {
  TempDir dir;
  write_bytes(dir / "img", header(0x08, {2, 32, 32}) + std::string(2 * 1024, '\0'));
  write_bytes(dir / "lab", header(0x08, {2}) + std::string(2, '\0'));
  expect_error([&] { load_mnist_files(dir / "img", dir / "lab"); }, "img", "32x32");
}

TEST(MnistBadInput, LabelsGivenAsImages) {
  TempDir dir;
  write_bytes(dir / "lab", header(0x08, {2}) + std::string(2, '\0'));
  expect_error([&] { load_mnist_files(dir / "lab", dir / "lab"); }, "lab",
               "not an MNIST image file");
}

TEST(MnistBadInput, MissingDirectory) {
  TempDir dir;
  expect_error([&] { load_mnist(dir / "nowhere", Split::test); }, "nowhere", "not found");
}

TEST(Mnist, SmallFilesLoadScaledAndBatch) {
  TempDir dir;
  std::string pixels(3 * 784, '\0');
  pixels[0] = static_cast<char>(255);
  pixels[784 + 1] = static_cast<char>(51);
  write_bytes(dir / "t10k-images-idx3-ubyte", header(0x08, {3, 28, 28}) + pixels);
  IdxArray labels;
  labels.dims = {3};
  labels.u8 = {7, 2, 1};
  write_idx(dir / "t10k-labels-idx1-ubyte.gz", labels);  // raw and gz mixed in one dir
  const Dataset set = load_mnist(dir.path(), Split::test);
  ASSERT_EQ(set.size(), 3);
  EXPECT_EQ(set.images(0, 0, 0, 0), 1.0f);
  EXPECT_FLOAT_EQ(set.images(1, 0, 0, 1), 0.2f);
  EXPECT_EQ(set.labels, (std::vector<int>{7, 2, 1}));

  const std::vector<int> order = {2, 0, 1};
  const Batch b = gather_batch(set, order, 1, 2);  // examples 0 and 1
  EXPECT_EQ(b.images.shape(), (Shape{2, 1, 28, 28}));
  EXPECT_EQ(b.labels, (std::vector<int>{7, 2}));
  EXPECT_EQ(b.images(0, 0, 0, 0), 1.0f);
  EXPECT_THROW(gather_batch(set, order, 2, 2), std::out_of_range);

  EXPECT_EQ(load_mnist(dir.path(), Split::test, 2).size(), 2);
  expect_error([&] { load_mnist(dir.path(), Split::test, 4); }, "t10k-images", "limit 4");
}

TEST(Mnist, ShuffleIsSeededAndPortable) {
  EXPECT_EQ(shuffled_indices(100, 5), shuffled_indices(100, 5));
  EXPECT_NE(shuffled_indices(100, 5), shuffled_indices(100, 6));
}
