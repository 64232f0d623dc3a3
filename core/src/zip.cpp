#include "zip.h"

#include <zlib.h>

#include <algorithm>
#include <initializer_list>

#include "erwin/errors.h"

namespace erwin::zip {
namespace {

// Little-endian fields of the archive; FormatError naming the file and the field when a field
// lies outside it.
class Fields {
 public:
  Fields(std::string_view bytes, const std::string& path) : bytes_(bytes), path_(path) {}
  size_t size() const { return bytes_.size(); }
  const std::string& path() const { return path_; }
  std::string_view at(uint64_t offset, uint64_t length, const std::string& field) const {
    if (offset > bytes_.size() || length > bytes_.size() - offset)
      throw FormatError(path_ + ": " + field + " lies outside the file (truncated or damaged)");
    return bytes_.substr(offset, length);
  }
  uint64_t uint(uint64_t offset, size_t width, const std::string& field) const {
    const std::string_view p = at(offset, width, field);
    uint64_t value = 0;
    for (size_t i = 0; i < width; ++i) value |= uint64_t(uint8_t(p[i])) << (8 * i);
    return value;
  }

 private:
  std::string_view bytes_;
  const std::string& path_;
};

struct Directory {
  uint64_t entries, offset;
};

Directory find_directory(const Fields& zip) {
  constexpr size_t kEndRecordSize = 22;
  if (zip.size() < kEndRecordSize)
    throw FormatError(zip.path() + ": not a zip archive (too short)");
  const size_t lowest =
      zip.size() > kEndRecordSize + kMax16 ? zip.size() - kEndRecordSize - kMax16 : 0;
  for (size_t end = zip.size() - kEndRecordSize + 1; end-- > lowest;) {
    if (zip.uint(end, 4, "signature") != kEndOfDirectorySignature) continue;
    const Directory directory{zip.uint(end + 10, 2, "entry count"),
                              zip.uint(end + 16, 4, "central directory offset")};
    if (directory.entries != kMax16 && directory.offset != kMax32) return directory;
    if (end < 20 || zip.uint(end - 20, 4, "ZIP64 locator") != kZip64LocatorSignature)
      throw FormatError(zip.path() + ": ZIP64 end-of-directory locator missing");
    const uint64_t record = zip.uint(end - 20 + 8, 8, "ZIP64 end-of-directory offset");
    if (zip.uint(record, 4, "ZIP64 end-of-directory record") != kZip64EndSignature)
      throw FormatError(zip.path() + ": bad ZIP64 end-of-directory record");
    return {zip.uint(record + 32, 8, "ZIP64 entry count"),
            zip.uint(record + 48, 8, "ZIP64 central directory offset")};
  }
  throw FormatError(zip.path() +
                    ": not a zip archive or truncated (no end-of-central-directory record)");
}

// Sizes and offset stored as 0xffffffff are in the ZIP64 extra field (APPNOTE 4.5.3), in the
// order size, compressed size, local header offset.
void apply_zip64_fields(const Fields& zip, uint64_t extra, uint64_t extra_end,
                        std::initializer_list<uint64_t*> fields, const std::string& what) {
  while (extra + 4 <= extra_end) {
    const uint64_t id = zip.uint(extra, 2, what + " extra field");
    const uint64_t length = zip.uint(extra + 2, 2, what + " extra field");
    if (id == kZip64ExtraId) {
      uint64_t at = extra + 4;
      for (uint64_t* field : fields) {
        if (*field != kMax32) continue;
        if (at + 8 > extra + 4 + length) throw FormatError(what + ": bad ZIP64 extra field");
        *field = zip.uint(at, 8, what + " ZIP64 extra field");
        at += 8;
      }
      return;
    }
    extra += 4 + length;
  }
}

// The member whose central directory entry starts at `entry`; `next` is set to the entry after.
Member read_member(const Fields& zip, uint64_t entry, uint64_t& next) {
  if (zip.uint(entry, 4, "central directory entry") != kCentralHeaderSignature)
    throw FormatError(zip.path() + ": corrupt zip central directory");
  Member member;
  const uint64_t name_length = zip.uint(entry + 28, 2, "central directory entry");
  const uint64_t extra_length = zip.uint(entry + 30, 2, "central directory entry");
  member.name = std::string(zip.at(entry + 46, name_length, "member name"));
  next = entry + 46 + name_length + extra_length + zip.uint(entry + 32, 2, "member comment");
  const std::string what = zip.path() + ": member " + member.name;
  const uint64_t flags = zip.uint(entry + 8, 2, what);
  member.method = static_cast<uint16_t>(zip.uint(entry + 10, 2, what));
  member.crc = static_cast<uint32_t>(zip.uint(entry + 16, 4, what));
  uint64_t compressed = zip.uint(entry + 20, 4, what);
  member.size = zip.uint(entry + 24, 4, what);
  uint64_t local = zip.uint(entry + 42, 4, what);
  apply_zip64_fields(zip, entry + 46 + name_length, entry + 46 + name_length + extra_length,
                     {&member.size, &compressed, &local}, what);
  if (flags & 0x1) throw FormatError(what + ": encrypted members are not supported");
  if (member.method != 0 && member.method != 8)
    throw FormatError(what + ": unsupported compression method " + std::to_string(member.method) +
                      " (only stored and deflated)");
  if (member.method == 0 && compressed != member.size)
    throw FormatError(what + ": stored member with differing compressed and uncompressed sizes");
  if (zip.uint(local, 4, what + " local header") != kLocalHeaderSignature)
    throw FormatError(what + ": bad local header signature");
  const uint64_t data = local + 30 + zip.uint(local + 26, 2, what + " local header") +
                        zip.uint(local + 28, 2, what + " local header");
  member.data = zip.at(data, compressed, what + " data");
  return member;
}

std::string inflate_member(const Member& member, const std::string& what) {
  // Deflate expands at most 1032-fold (RFC 1951: a 258-byte match per 2 bits), so a larger
  // declared size is a lie; checking it first keeps a small file from allocating gigabytes.
  constexpr uint64_t kMaxDeflateRatio = 1032, kSlack = 1024;
  if (member.size / kMaxDeflateRatio > member.data.size() + kSlack)
    throw FormatError(what + ": declares " + std::to_string(member.size) + " bytes from " +
                      std::to_string(member.data.size()) +
                      " compressed bytes, more than deflate can expand to (damaged or hostile "
                      "archive)");
  std::string out(member.size, '\0');
  z_stream stream{};
  if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw FormatError(what + ": zlib failed");
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(member.data.data()));
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  int status = Z_OK;
  // zlib counts in uInt: feed and drain at most 1 GiB per call so that large members work.
  constexpr uint64_t kChunk = 1u << 30;
  uint64_t in_left = member.data.size(), out_left = member.size;
  while (status == Z_OK) {
    if (stream.avail_in == 0) {
      stream.avail_in = static_cast<uInt>(std::min(in_left, kChunk));
      in_left -= stream.avail_in;
    }
    if (stream.avail_out == 0) {
      stream.avail_out = static_cast<uInt>(std::min(out_left, kChunk));
      out_left -= stream.avail_out;
    }
    status = inflate(&stream, Z_NO_FLUSH);
    if (status == Z_BUF_ERROR && (stream.avail_in != 0 || in_left != 0) &&
        (stream.avail_out != 0 || out_left != 0))
      status = Z_OK;  // no progress possible this round only because a buffer was refilled
  }
  const uint64_t produced = stream.total_out;
  inflateEnd(&stream);
  if (status != Z_STREAM_END || produced != member.size)
    throw FormatError(what + ": corrupt deflate data (" + std::to_string(produced) + " of " +
                      std::to_string(member.size) + " bytes inflated)");
  return out;
}

// Members whose data overlap (several directory entries naming the same bytes) are how a small
// file claims many times its size: a written archive never has them.
void check_disjoint(const std::vector<Member>& members, std::string_view bytes,
                    const std::string& path) {
  std::vector<const Member*> order;
  for (const Member& member : members) order.push_back(&member);
  std::sort(order.begin(), order.end(),
            [](const Member* a, const Member* b) { return a->data.data() < b->data.data(); });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i - 1]->data.data() + order[i - 1]->data.size() > order[i]->data.data())
      throw FormatError(path + ": members " + order[i - 1]->name + " and " + order[i]->name +
                        " overlap at byte " + std::to_string(order[i]->data.data() - bytes.data()) +
                        " (damaged or hostile archive)");
}

}  // namespace

std::vector<Member> read_members(std::string_view bytes, const std::string& path) {
  const Fields zip(bytes, path);
  const Directory directory = find_directory(zip);
  std::vector<Member> members;
  uint64_t entry = directory.offset;
  // Each entry takes at least 46 bytes of the file, so a false count fails before it allocates.
  for (uint64_t i = 0; i < directory.entries; ++i)
    members.push_back(read_member(zip, entry, entry));
  check_disjoint(members, bytes, path);
  return members;
}

std::string_view content(const Member& member, std::string& inflated, const std::string& what) {
  std::string_view data = member.data;
  if (member.method == 8) {
    inflated = inflate_member(member, what);
    data = inflated;
  }
  if (crc32_of(data.data(), data.size()) != member.crc)
    throw FormatError(what + ": CRC mismatch (the archive is corrupt)");
  return data;
}

uint32_t crc32_of(const char* data, uint64_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  constexpr uint64_t kChunk = 1u << 30;  // zlib counts in uInt
  for (uint64_t done = 0; done < size;) {
    const uint64_t n = std::min(size - done, kChunk);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data + done), static_cast<uInt>(n));
    done += n;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace erwin::zip
