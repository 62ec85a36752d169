#include "password.h"

#include <sodium.h>

#include <mutex>
#include <stdexcept>

namespace tm2study {
namespace {

// One Argon2id computation at a time: each takes 64 MB, and logins from
// many addresses at once must not add up to gigabytes.
std::mutex& HashLock() {
  static std::mutex mu;
  return mu;
}

}  // namespace

std::string HashPassword(const std::string& password) {
  char out[crypto_pwhash_STRBYTES];
  std::lock_guard<std::mutex> lock(HashLock());
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    throw std::runtime_error("Argon2id: out of memory while hashing the password");
  return out;
}

bool VerifyPassword(const std::string& hash, const std::string& password) {
  std::lock_guard<std::mutex> lock(HashLock());
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

void VerifyNothing(const std::string& password) {
  static const std::string dummy = HashPassword("tm2-no-such-researcher");
  VerifyPassword(dummy, password);
}

}  // namespace tm2study
