// The IDX reader on malformed files: each case is refused with a message naming the file
// and the problem, without a crash and without allocating what a lying header claims.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include "common/idx.h"
#include "tests/hardening/bad_bytes.h"
#include "tests/hardening/expect_refusal.h"
#include "tests/support/test_support.h"

using namespace mnist;
using namespace mnist::hardening;
using mnist::testkit::TempDir;

namespace {

/// Peak resident memory of this process so far, in MiB.
double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

/// A valid image file holding one 28x28 image.
std::string one_image() {
  return idx_header(0x08, {1, 28, 28}) + std::string(784, '\x11');
}

}  // namespace

TEST(IdxHardening, RankOutsideOneToEight) {
  TempDir dir;
  put_file(dir / "rank0", std::string("\0\0\x08\0", 4));
  expect_refusal([&] { read_idx(dir / "rank0"); }, "rank0", "unsupported rank 0");
  put_file(dir / "rank9", idx_header(0x08, {1, 1, 1, 1, 1, 1, 1, 1, 1}) + "x");
  expect_refusal([&] { read_idx(dir / "rank9"); }, "rank9", "unsupported rank 9");
}

TEST(IdxHardening, DimensionAboveInt32) {
  TempDir dir;
  put_file(dir / "big", idx_header(0x08, {0x80000000u}) + "x");
  expect_refusal([&] { read_idx(dir / "big"); }, "big", "dimension too large");
}

TEST(IdxHardening, ImplausibleElementCountIsRefusedFromTheHeader) {
  TempDir dir;
  // 65536 * 65536 * 2 = 2^33 elements, above the reader's ceiling of 2^32.
  put_file(dir / "product", idx_header(0x08, {65536, 65536, 2}) + "abc");
  expect_refusal([&] { read_idx(dir / "product"); }, "product", "implausible");
}

TEST(IdxHardening, LyingHeaderDoesNotAllocateWhatItClaims) {
  TempDir dir;
  // Claims 4e9 float32 elements (16 GB) but holds 10 bytes: it must fail once those 10
  // bytes are read, memory growing with the data that arrived, not with the claim.
  put_file(dir / "liar", idx_header(0x0D, {1000000000u, 4}) + std::string(10, 'x'));
  const double before = peak_rss_mib();
  expect_refusal([&] { read_idx(dir / "liar"); }, "liar", "truncated data");
  EXPECT_LT(peak_rss_mib() - before, 64.0) << "the reader allocated far more than the file holds";
}

TEST(IdxHardening, Float32DataCutInsideAnElement) {
  TempDir dir;
  put_file(dir / "f32", idx_header(0x0D, {2}) + std::string(7, '\0'));
  expect_refusal([&] { read_idx(dir / "f32"); }, "f32", "truncated data");
}

// Regression: the reader stopped at the header's count and ignored the rest, so a file
// whose header understates its data (a wrong count, two files glued together) loaded.
TEST(IdxHardening, DataBeyondWhatTheHeaderClaims) {
  TempDir dir;
  put_file(dir / "long", idx_header(0x08, {2}) + "\x01\x02\x03");
  expect_refusal([&] { read_idx(dir / "long"); }, "long", "trailing data");
  put_file(dir / "glued", one_image() + one_image());
  expect_refusal([&] { read_idx(dir / "glued"); }, "glued", "trailing data");
}

TEST(IdxHardening, NotARegularFile) {
  TempDir dir;
  std::filesystem::create_directory(dir / "a_directory");
  expect_refusal([&] { read_idx(dir / "a_directory"); }, "a_directory", "not a regular file");
  expect_refusal([] { read_idx("/dev/zero"); }, "/dev/zero", "not a regular file");
}

TEST(IdxHardening, ZeroElementsIsAValidIdxFile) {
  // The format allows it; refusing an empty *data set* is the MNIST loader's job.
  TempDir dir;
  put_file(dir / "empty_array", idx_header(0x08, {0, 28, 28}));
  const IdxArray a = read_idx(dir / "empty_array");
  EXPECT_EQ(a.dims, (std::vector<int>{0, 28, 28}));
  EXPECT_EQ(a.count(), 0);
  EXPECT_TRUE(a.u8.empty());
}

// Regression (found by replaying the fuzz corpus under UBSan): writing an array of zero
// elements passed memcpy the null data() of an empty vector, which is undefined behaviour.
TEST(IdxHardening, WriteAndReadBackAnEmptyArray) {
  TempDir dir;
  IdxArray empty;
  empty.dims = {0, 28, 28};
  write_idx(dir / "empty_array", empty);
  EXPECT_EQ(file_bytes(dir / "empty_array"), idx_header(0x08, {0, 28, 28}));
  EXPECT_EQ(read_idx(dir / "empty_array").dims, empty.dims);
}

TEST(IdxHardening, GzipCorruptedInTheMiddle) {
  TempDir dir;
  std::string gz = gzip(one_image());
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
  put_file(dir / "corrupt.gz", gz);
  expect_refusal([&] { read_idx(dir / "corrupt.gz"); }, "corrupt.gz", "read error");
}

TEST(IdxHardening, GzipWithABadChecksum) {
  TempDir dir;
  std::string gz = gzip(one_image());
  gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 0x01);  // inside the CRC-32
  put_file(dir / "crc.gz", gz);
  expect_refusal([&] { read_idx(dir / "crc.gz"); }, "crc.gz", "incorrect data check");
}

TEST(IdxHardening, GzipErrorNamesTheFileOnce) {
  // zlib's own message starts with the path too; the reader must not say it twice.
  TempDir dir;
  std::string gz = gzip(one_image());
  gz[gz.size() - 6] = static_cast<char>(gz[gz.size() - 6] ^ 0x01);
  const std::string path = (dir / "crc.gz").string();
  put_file(path, gz);
  try {
    read_idx(path);
    ADD_FAILURE() << "a file with a bad checksum was read";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    const size_t first = msg.find(path);
    ASSERT_NE(first, std::string::npos) << msg;
    EXPECT_EQ(msg.find(path, first + 1), std::string::npos) << msg;
  }
}

TEST(IdxHardening, GzipCutShort) {
  TempDir dir;
  const std::string gz = gzip(one_image());
  put_file(dir / "cut.gz", gz.substr(0, gz.size() / 2));
  expect_refusal([&] { read_idx(dir / "cut.gz"); }, "cut.gz", "truncated");
}

TEST(IdxHardening, GzipOfALyingHeader) {
  TempDir dir;
  put_file(dir / "liar.gz", gzip(idx_header(0x08, {60000, 28, 28}) + std::string(100, '\0')));
  expect_refusal([&] { read_idx(dir / "liar.gz"); }, "liar.gz", "truncated data");
}

// Regression: a gzip file whose 8-byte trailer (CRC-32 and size) was cut off read as
// complete, so a damaged pixel in a stored block went unnoticed.
TEST(IdxHardening, GzipWithoutItsTrailer) {
  TempDir dir;
  const std::string gz = gzip(one_image());
  for (size_t cut : {1, 4, 8}) {
    put_file(dir / "no_trailer.gz", gz.substr(0, gz.size() - cut));
    expect_refusal([&] { read_idx(dir / "no_trailer.gz"); }, "no_trailer.gz",
                   "truncated gzip stream");
  }
}

TEST(IdxHardening, GzipWithASizeMismatch) {
  TempDir dir;
  std::string gz = gzip(one_image());
  gz[gz.size() - 4] = static_cast<char>(gz[gz.size() - 4] ^ 0x01);  // inside ISIZE
  put_file(dir / "size.gz", gz);
  expect_refusal([&] { read_idx(dir / "size.gz"); }, "size.gz", "incorrect length check");
}

// Regression: bytes after the end of the gzip stream were ignored.
TEST(IdxHardening, GzipWithTrailingGarbage) {
  TempDir dir;
  for (const std::string& tail :
       {std::string("x"), std::string("garbage after the stream"), std::string(1, '\x1f')}) {
    put_file(dir / "tail.gz", gzip(one_image()) + tail);
    expect_refusal([&] { read_idx(dir / "tail.gz"); }, "tail.gz",
                   "trailing data after the end of the gzip stream");
  }
}

TEST(IdxHardening, ConcatenatedGzipMembersReadAsOneStream) {
  // What `gzip -c a >> f; gzip -c b >> f` makes, and `gzip -d` reads as a then b.
  TempDir dir;
  const std::string bytes = one_image();
  put_file(dir / "two.gz", gzip(bytes.substr(0, 100)) + gzip(bytes.substr(100)));
  const IdxArray a = read_idx(dir / "two.gz");
  EXPECT_EQ(a.dims, (std::vector<int>{1, 28, 28}));
  EXPECT_EQ(a.u8, std::vector<uint8_t>(784, 0x11));
}

// Regression: the type byte 0x0B was printed as "0x11" (decimal digits after "0x").
TEST(IdxHardening, UnsupportedTypeIsPrintedInHex) {
  TempDir dir;
  put_file(dir / "int16", idx_header(0x0B, {2}) + "abcd");
  expect_refusal([&] { read_idx(dir / "int16"); }, "int16", "unsupported IDX element type 0x0B");
}

// Regression: `--limit 10` on a file declaring 4,000,000 images read and held all of them.
// Here the file declares 4,000,000 but holds only 10: reading 10 rows must succeed without
// touching the rest, and quickly, in bounded memory.
TEST(IdxHardening, MaxRowsReadsOnlyWhatIsAsked) {
  TempDir dir;
  const std::string ten(10 * 784, '\x22');
  for (const char* name : {"declared.idx", "declared.idx.gz"}) {
    const std::string bytes = idx_header(0x08, {4000000, 28, 28}) + ten;
    put_file(dir / name, std::string(name).ends_with(".gz") ? gzip(bytes) : bytes);
    const double before = peak_rss_mib();
    const IdxArray a = read_idx(dir / name, 10);
    EXPECT_EQ(a.dims, (std::vector<int>{10, 28, 28}));
    EXPECT_EQ(a.rows_in_file, 4000000);
    EXPECT_EQ(a.u8.size(), 7840u);
    EXPECT_LT(peak_rss_mib() - before, 64) << "reading 10 images grew the process by MiB";
    expect_refusal([&] { read_idx(dir / name); }, name, "truncated");  // all of it: cut short
  }
}
