// libFuzzer harness for the sealed MANIFEST's parser and the names and types it hands to the UI
// (transfer/manifest.h, file_name.h, download_type.h). The peer writes every byte of it.
// Properties: parsing never crashes; a parsed manifest re-encodes and parses back to itself;
// every name is already sanitised (sanitising again changes nothing), non-empty and within
// kMaxFileNameBytes; every offered type is one the safe list returns unchanged. The raw input is
// also sanitised as a name directly: the same properties hold.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "transfer/download_type.h"
#include "transfer/file_name.h"
#include "transfer/manifest.h"

namespace {

void check_name(const std::string& name) {
  namespace t = ferry::transfer;
  if (name.empty() || name.size() > t::kMaxFileNameBytes) std::abort();
  if (t::sanitize_file_name(name) != name) std::abort();
  if (name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace t = ferry::transfer;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  check_name(t::sanitize_file_name(raw));
  const std::string type = t::safe_download_type(raw);
  if (t::safe_download_type(type) != type) std::abort();

  auto m = t::parse_manifest(ferry::ByteView(data, size));
  if (!m) {
    if (m.error().code.empty()) std::abort();  // every rejection names its cause
    return 0;
  }
  for (const auto& f : m->files) {
    check_name(f.name);
    const std::string offered = t::safe_download_type(f.mime);
    if (t::safe_download_type(offered) != offered) std::abort();
  }
  auto again = t::parse_manifest(t::encode_manifest(*m));
  if (!again || !(*again == *m)) std::abort();
  return 0;
}
