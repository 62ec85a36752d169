// Where the study server keeps audio: DATA/partial/<upload>.part while a
// take uploads, DATA/audio/<study>/<participant>/<upload>.wav once complete.
// Every name is server-generated hex (checked again here), so no request
// can name a path.
#ifndef TM2_STUDY_SERVER_STORAGE_H_
#define TM2_STUDY_SERVER_STORAGE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tm2study {

class Storage {
 public:
  explicit Storage(std::string data_dir);  // creates the folders

  std::string PartialPath(const std::string& upload) const;
  std::string FinalPath(const std::string& study, const std::string& participant,
                        const std::string& upload) const;

  // Opens the partial file cut to `offset` bytes (a crash may have left
  // bytes past the committed offset) for appending; -1 on failure.
  int OpenForAppend(const std::string& upload, int64_t offset) const;
  // Reads up to `max` bytes from the start of a file.
  std::vector<uint8_t> ReadPrefix(const std::string& path, size_t max) const;
  // Moves a finished partial file into place, durably (fsync of file and folder).
  bool Finish(const std::string& upload, const std::string& study,
              const std::string& participant) const;
  void RemoveUpload(const std::string& upload) const;  // partial file, if any
  void RemoveFinal(const std::string& study, const std::string& participant,
                   const std::string& upload) const;
  void RemoveParticipant(const std::string& study, const std::string& participant) const;

 private:
  std::string dir_;
};

}  // namespace tm2study

#endif  // TM2_STUDY_SERVER_STORAGE_H_
