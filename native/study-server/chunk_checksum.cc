#include "chunk_checksum.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstring>

namespace tm2study {

struct ChunkChecksum::Impl {
  EVP_MD_CTX* ctx = nullptr;
  std::string expected;  // raw digest bytes
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

std::unique_ptr<ChunkChecksum> ChunkChecksum::Parse(const std::string& header, std::string* error) {
  const size_t space = header.find(' ');
  const std::string algorithm = header.substr(0, space);
  const EVP_MD* md = algorithm == "sha1" ? EVP_sha1() : algorithm == "sha256" ? EVP_sha256() : nullptr;
  if (!md) {
    *error = "Upload-Checksum algorithm '" + algorithm.substr(0, 20) + "' is not supported (" +
             kChecksumAlgorithms + ")";
    return nullptr;
  }
  const std::string b64 = space == std::string::npos ? "" : header.substr(space + 1);
  std::string digest(b64.size(), '\0');
  size_t len = 0;
  if (b64.empty() ||
      sodium_base642bin(reinterpret_cast<unsigned char*>(digest.data()), digest.size(), b64.data(),
                        b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      len != static_cast<size_t>(EVP_MD_get_size(md))) {
    *error = "Upload-Checksum must be '" + algorithm + " <base64 of the " +
             std::to_string(EVP_MD_get_size(md)) + "-byte digest>'";
    return nullptr;
  }
  digest.resize(len);
  std::unique_ptr<ChunkChecksum> c(new ChunkChecksum());
  c->impl_ = std::make_unique<Impl>();
  c->impl_->expected = digest;
  c->impl_->ctx = EVP_MD_CTX_new();
  if (!c->impl_->ctx || EVP_DigestInit_ex(c->impl_->ctx, md, nullptr) != 1) {
    *error = "the server cannot compute " + algorithm;
    return nullptr;
  }
  return c;
}

ChunkChecksum::~ChunkChecksum() = default;

void ChunkChecksum::Update(const char* data, size_t n) { EVP_DigestUpdate(impl_->ctx, data, n); }

bool ChunkChecksum::Matches() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, out, &len) != 1) return false;
  return len == impl_->expected.size() && std::memcmp(out, impl_->expected.data(), len) == 0;
}

}  // namespace tm2study
