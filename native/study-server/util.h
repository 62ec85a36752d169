// Small helpers of the study server: random ids and tokens, SHA-256
// (libsodium), UTC timestamps, and the tus Upload-Metadata header.
#ifndef TM2_STUDY_SERVER_UTIL_H_
#define TM2_STUDY_SERVER_UTIL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace tm2study {

// `bytes` random bytes (libsodium's CSPRNG) as lower-case hex.
std::string RandomHex(size_t bytes);
std::string Sha256Hex(const std::string& data);
bool IsHex(const std::string& s, size_t length);
// "2026-12-03T10:15:00Z"
std::string NowIso();
// tus Upload-Metadata: "key base64,key2 base64,key3"; nullopt when malformed.
std::optional<std::map<std::string, std::string>> ParseUploadMetadata(const std::string& header);

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_UTIL_H_
