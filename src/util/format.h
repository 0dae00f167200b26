// Text for people: byte counts in the units a file manager shows (decimal, like macOS, iOS and
// Android, so "50 MB" here matches "50 MB" there).
#pragma once

#include <string>

namespace ferry {

// 999 B, 1.5 KB, 50.0 MB, 4.3 GB ...
std::string format_bytes(double bytes);

}  // namespace ferry
