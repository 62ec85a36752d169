// Labelled recordings: the generic manifest and the adapters for the
// project's shared dataset layouts.
//
// Manifest CSV (header row required, columns in any order):
//   path,label,group[,modality][,split][,source]
// `path` is relative to the manifest's folder unless absolute; `group` is
// the unit that never straddles train and validation (participant,
// speaker, content id); `split` is train | validation | evaluation | test
// (evaluation rows are only measured; test rows are never loaded); `source` names a channel or
// collection so metrics can be reported per source.
#ifndef TM2_FACTORY_DATA_DATASET_H_
#define TM2_FACTORY_DATA_DATASET_H_

#include <string>
#include <vector>

namespace tm2 {
namespace factory {

struct Example {
  std::string path, label, group, modality, split, source;
};

std::vector<Example> ReadManifest(const std::string& csv_path);
void WriteManifest(const std::string& csv_path, const std::vector<Example>& rows);

// Adapters. `label_kind` picks what a layout's label means where it has
// more than one (coswara: "sound_type", or the participant's "covid_status"
// or "gender" from metadata.json).
//   covid19-cough:   metadata.json; label positive/negative, source
//                    call-center/telegram, group = file (no participant ids)
//   coswara:         <participant>/<sound>.flac; modality = cough, breathing,
//                    counting or vowel; group = participant
//   speech-commands: <class>/[<word>_]<speaker>_nohash_<n>.flac; group = speaker
//   fsdd:            <digit>_<speaker>_<n>.flac; group = speaker
std::vector<Example> LoadDataset(const std::string& format, const std::string& path,
                                 const std::string& label_kind = "");

// The formats LoadDataset reads, for the message that refuses another one.
bool IsDatasetFormat(const std::string& format);
extern const char* const kDatasetFormats;  // "manifest, covid19-cough, coswara, speech-commands, fsdd"

}  // namespace factory
}  // namespace tm2

#endif  // TM2_FACTORY_DATA_DATASET_H_
