// Researcher passwords for the dashboard: Argon2id through libsodium's
// crypto_pwhash_str (a self-describing string with salt and limits), at
// libsodium's "interactive" limits (64 MB, 2 passes: ~0.1-0.3 s a login),
// one at a time (logins queue rather than take 64 MB each at once).
//
//   std::string h = HashPassword("a long passphrase");   // store h
//   bool ok = VerifyPassword(h, attempt);
#ifndef TM2_STUDY_SERVER_PASSWORD_H_
#define TM2_STUDY_SERVER_PASSWORD_H_

#include <string>

namespace tm2study {

// Throws std::runtime_error when libsodium cannot allocate the memory.
std::string HashPassword(const std::string& password);
bool VerifyPassword(const std::string& hash, const std::string& password);
// Spends the time a verification would, for unknown names (no timing
// difference tells which researcher names exist).
void VerifyNothing(const std::string& password);

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_PASSWORD_H_
