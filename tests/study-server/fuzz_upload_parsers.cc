// libFuzzer target for what the study server reads from a request before
// trusting it: the WAV header of an upload's first bytes (whole, and as a
// prefix of a longer upload), the tus Upload-Metadata header and the
// Upload-Checksum header. Besides ASan/UBSan, it checks that an accepted
// header never points past the upload.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chunk_checksum.h"
#include "util.h"
#include "wav_header.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (size_t total : {size, size * 2 + 7}) {
    const tm2study::WavHeader h = tm2study::ParseWavHeader(data, size, total);
    if (h.result == tm2study::WavHeader::Result::kOk &&
        (h.data_offset > total || h.data_bytes > total - h.data_offset || h.channels < 1 ||
         h.channels > 2 || h.sample_rate < 8000 || h.sample_rate > 48000))
      __builtin_trap();
  }
  const std::string text(reinterpret_cast<const char*>(data), size);
  tm2study::ParseUploadMetadata(text);
  std::string error;
  if (auto c = tm2study::ChunkChecksum::Parse(text, &error)) {
    c->Update(text.data(), text.size());
    c->Matches();
  }
  return 0;
}
