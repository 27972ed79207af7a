// The Contents index of an apt state's suite and architecture (fetch/apt.h, fetch/contents.h), fetched by apt itself
// as apt-file has it fetched: the index target Contents-deb (apt's doc/acquire-additional-files.md), so apt checks
// it against the InRelease it verified, as it checks the Packages indexes. It lives in STATE/contents, with a lists
// directory and sources list of its own whose entry asks for that target alone (`target=Contents-deb`, and
// `arch-=all`: a shared library is never in an Architecture: all package, and Contents-all is 590 MB unpacked), so
// that the daily update of the Packages indexes neither downloads it nor deletes it. It is large (trixie amd64:
// 12.7 MB to download, 170 MB unpacked): only `run --fetch` reads it, only for a library the policy's names do not
// give, at most once a week per suite. Where apt put it is asked of apt (`apt-get indextargets`), and it is read
// through `apt-helper cat-file`, which undoes whatever compression apt kept it in, as a stream.
//
// What a read found is remembered in STATE/contents/answers (path, then the packages or "-"), so that `why`, which
// never touches the network nor reads 170 MB, can say which package ships a library `run --fetch` looked up.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fetch/apt.h"
#include "util/expected.h"

namespace elfrun::fetch {

// Path (relative, as the index writes it) -> the packages that ship it; an empty list: the index has no such file.
using ContentsAnswers = std::map<std::string, std::vector<std::string>>;

// The answers for `paths` from the suite's Contents index: remembered ones when an earlier read answered them all
// and the index is younger than a week, else the index read (downloaded first when absent or older; `progress` is
// told before a download). An error with apt's own words when it cannot be fetched or read.
Expected<ContentsAnswers> look_up_contents(const AptState& state, const std::vector<std::string>& paths,
                                           const std::function<void(const std::string&)>& progress);

// Offline (why): what an earlier read remembered, nullopt unless it answered every one of `paths`.
std::optional<ContentsAnswers> remembered_contents(const AptState& state, const std::vector<std::string>& paths);

}  // namespace elfrun::fetch
