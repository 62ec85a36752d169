#include "util.h"

#include <sodium.h>

#include <ctime>
#include <vector>

namespace tm2study {

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> b(bytes);
  randombytes_buf(b.data(), b.size());
  std::string hex(bytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), b.data(), b.size());
  hex.pop_back();
  return hex;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string hex(sizeof(h) * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), h, sizeof(h));
  hex.pop_back();
  return hex;
}

bool IsHex(const std::string& s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string NowIso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char b[32];
  std::strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return b;
}

std::optional<std::map<std::string, std::string>> ParseUploadMetadata(const std::string& header) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(',', pos);
    if (end == std::string::npos) end = header.size();
    std::string pair = header.substr(pos, end - pos);
    pos = end + 1;
    while (!pair.empty() && pair.front() == ' ') pair.erase(0, 1);
    const size_t space = pair.find(' ');
    const std::string key = pair.substr(0, space);
    if (key.empty() || out.count(key)) return std::nullopt;
    std::string value;
    if (space != std::string::npos) {
      const std::string b64 = pair.substr(space + 1);
      value.resize(b64.size());
      size_t len = 0;
      if (sodium_base642bin(reinterpret_cast<unsigned char*>(value.data()), value.size(),
                            b64.data(), b64.size(), nullptr, &len, nullptr,
                            sodium_base64_VARIANT_ORIGINAL) != 0)
        return std::nullopt;
      value.resize(len);
    }
    out[key] = value;
  }
  return out;
}

}  // namespace tm2study
