#pragma once
// The one zip reader of the project: .npz archives (npy.cpp) and torch.save / torch.jit.save
// archives (torch_pickle.cpp). Every header field, size and offset is checked against the
// archive's bytes before it is used, a deflated member is never inflated past its declared size
// (and a size deflate could not reach is refused before allocating), and every member's CRC-32
// is checked. Errors are erwin::FormatError naming the file and the member.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace erwin::zip {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndOfDirectorySignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint64_t kMax16 = 0xffff, kMax32 = 0xffffffff;

struct Member {
  std::string name;
  uint16_t method = 0;    // 0 stored, 8 deflated
  uint32_t crc = 0;       // of the uncompressed content
  uint64_t size = 0;      // uncompressed size
  std::string_view data;  // the stored or compressed bytes, inside the archive
};

// The members of the archive `bytes` (the file `path`) in central-directory order. Encrypted
// members and methods other than stored and deflated are refused.
std::vector<Member> read_members(std::string_view bytes, const std::string& path);

// A member's content, its CRC-32 checked: stored bytes as they are, deflated ones inflated into
// `inflated`. `what` names the member in errors ("file.npz:pos.npy").
std::string_view content(const Member& member, std::string& inflated, const std::string& what);

uint32_t crc32_of(const char* data, uint64_t size);

}  // namespace erwin::zip
