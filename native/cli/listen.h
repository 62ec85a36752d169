// `tinym2 listen`: a one-branch model on every window of a stream read from
// an audio file or raw PCM on stdin, one JSON line per window.
#ifndef TM2_NATIVE_CLI_LISTEN_H_
#define TM2_NATIVE_CLI_LISTEN_H_

namespace tm2 {
namespace cli {

// argv holds the arguments after "listen"; returns the exit status.
int Listen(int argc, char** argv);

}  // namespace cli
}  // namespace tm2

#endif  // TM2_NATIVE_CLI_LISTEN_H_
