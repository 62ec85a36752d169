// `tinym2 listen`'s setup: its command line, the models it runs (the
// shipped ones by default) and the audio source it reads. listen.cc runs
// them; listen_print.h writes what comes out.
//
//   tm2::cli::ListenSettings st;
//   int status = tm2::cli::ParseListenArgs(argc, argv, &st);   // -1: go on
//   if (status >= 0) return status;
//   tm2::cli::ListenSetup setup;
//   if ((status = tm2::cli::OpenListenSetup(st, &setup)) >= 0) return status;
#ifndef TM2_NATIVE_CLI_LISTEN_SETUP_H_
#define TM2_NATIVE_CLI_LISTEN_SETUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "audio_source.h"
#include "format/model.h"
#include "kernels/select.h"

namespace tm2 {
namespace cli {

struct ListenSettings {
  std::string audio, device, gate, screen;
  bool from_stdin = false, from_device = false, screen_off = false, windows = false;
  long rate = 0, channels = 0, hop = 0;
  double summary_s = 60, merge_gap_s = -1, min_confidence = -1, seconds = 0;
  const KernelTable* kernels = nullptr;
};

struct LoadedModel {
  std::vector<uint8_t> bytes;
  Model model;
};

// What a run needs: the models (screen only when `screening`), the source
// and its name for messages.
struct ListenSetup {
  LoadedModel gate, screen;
  bool screening = false;
  std::unique_ptr<AudioSource> source;
  std::string input;
};

// Reads the arguments after "listen" into *st; -1 to go on, else the exit
// status (0 after --help, 2 for a usage error, with the message on stderr).
int ParseListenArgs(int argc, char** argv, ListenSettings* st);
// Loads the models and opens the source; -1 to go on, else the exit status
// (1, with the message on stderr).
int OpenListenSetup(ListenSettings* st, ListenSetup* setup);
// "tinym2 listen: MESSAGE" on stderr; returns 1.
int ListenFail(const std::string& message);

}  // namespace cli
}  // namespace tm2

#endif  // TM2_NATIVE_CLI_LISTEN_SETUP_H_
