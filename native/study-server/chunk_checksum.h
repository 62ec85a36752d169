// The tus checksum extension: `Upload-Checksum: <algorithm> <base64 digest>`
// on a PATCH names the digest of that request's body. sha1 (which tus
// requires) and sha256 are supported (OpenSSL's EVP, already linked by
// cpp-httplib); a body whose digest differs is not kept (460).
#ifndef TM2_STUDY_SERVER_CHUNK_CHECKSUM_H_
#define TM2_STUDY_SERVER_CHUNK_CHECKSUM_H_

#include <cstddef>
#include <memory>
#include <string>

namespace tm2study {

constexpr char kChecksumAlgorithms[] = "sha1,sha256";

class ChunkChecksum {
 public:
  // Parses the header; on a malformed header or an unknown algorithm
  // returns null and sets `error`.
  static std::unique_ptr<ChunkChecksum> Parse(const std::string& header, std::string* error);
  ~ChunkChecksum();
  void Update(const char* data, size_t n);
  bool Matches();  // call once, after the last Update

 private:
  ChunkChecksum() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_CHUNK_CHECKSUM_H_
