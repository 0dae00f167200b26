// Folders: relative paths and empty folders in the manifest, sanitised per component and made
// unique; large manifests (10,000 files) travel as control messages in parts.
#include <catch2/catch.hpp>

#include "test_support.h"
#include "transfer/control.h"
#include "transfer/file_name.h"
#include "transfer/manifest.h"

using namespace ferry;
using namespace ferry::transfer;
using namespace ferry::transfer::test;

namespace {

constexpr uint32_t kChunk = 4096;

Manifest tree_manifest() {
  Manifest m;
  m.chunk_size = 64 * 1024;
  m.files.push_back({0, "a.jpg", 100, "image/jpeg", "Photos/2026"});
  m.files.push_back({1, "notes.txt", 0, "", ""});
  m.files.push_back({2, "\xe6\x97\xa5\xe6\x9c\xac.txt", 5, "text/plain", "\xd0\x9f\xd0\xb0\xd0\xbf\xd0\xba\xd0\xb0"});
  m.empty_dirs = {"Photos/empty", "Other"};
  return m;
}

Manifest parsed(const Manifest& m) {
  auto r = parse_manifest(encode_manifest(m));
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("a folder tree round trips: paths, Unicode names and empty folders") {
  const Manifest m = tree_manifest();
  CHECK(parsed(m) == m);
  CHECK(m.files[0].path() == "Photos/2026/a.jpg");
  CHECK(m.files[1].path() == "notes.txt");
}

TEST_CASE("received folder paths are sanitised per component") {
  const auto dir_of = [](const std::string& raw) {
    Manifest m = tree_manifest();
    m.files[0].dir = raw;
    return parsed(m).files[0].dir;
  };
  // No traversal, no absolute paths, no drive letters, no reserved names, no empty parts.
  CHECK(dir_of("../../etc") == "file/file/etc");
  CHECK(dir_of("/etc/ssh") == "etc/ssh");
  CHECK(dir_of("C:\\Users\\x") == "C_/Users/x");
  CHECK(dir_of("a//./b/") == "a/b");
  CHECK(dir_of("CON/aux.txt") == "_CON/_aux.txt");
  CHECK(dir_of("a/\xe2\x80\xaegpj.exe") == "a/_gpj.exe");  // a bidi override cannot hide a name
  CHECK(dir_of(".") == "");
  for (const std::string raw : {"..", "../..", "a/../../b", "..\\..\\x", "\\\\server\\share"}) {
    const std::string d = dir_of(raw);
    INFO(raw << " -> " << d);
    CHECK(d.find("..") == std::string::npos);
    CHECK(d.find('\\') == std::string::npos);
    CHECK((d.empty() || d.front() != '/'));
  }
}

TEST_CASE("files that would land on one path are renamed, case-insensitively") {
  Manifest m;
  m.chunk_size = 64 * 1024;
  m.files.push_back({0, "a.txt", 1, "", "x"});
  m.files.push_back({1, "A.TXT", 1, "", "X"});       // the same file on Windows and macOS
  m.files.push_back({2, "a.txt", 1, "", "x/./"});    // the same after sanitising
  m.files.push_back({3, "sub", 1, "", "x"});         // a file where a folder is
  m.files.push_back({4, "leaf", 1, "", "x/sub"});
  m.empty_dirs = {"x/sub", "e", "E", "x"};            // not empty, repeated, and holding a file
  const Manifest p = parsed(m);
  CHECK(p.files[0].path() == "x/a.txt");
  CHECK(p.files[1].path() == "X/A (2).TXT");
  CHECK(p.files[2].path() == "x/a (3).txt");
  CHECK(p.files[3].path() == "x/sub (2)");
  CHECK(p.files[4].path() == "x/sub/leaf");
  CHECK(p.empty_dirs == std::vector<std::string>{"e"});
}

TEST_CASE("a renamed long name keeps its number") {
  Manifest m;
  m.chunk_size = 64 * 1024;
  const std::string long_name = std::string(300, 'n') + ".txt";
  m.files.push_back({0, long_name, 1, "", ""});
  m.files.push_back({1, long_name, 1, "", ""});
  const Manifest p = parsed(m);
  CHECK(p.files[0].name.size() <= kMaxFileNameBytes);
  CHECK(p.files[1].name.size() <= kMaxFileNameBytes);
  CHECK(p.files[0].name != p.files[1].name);
  CHECK(p.files[1].name.ends_with(" (2).txt"));
}

TEST_CASE("folder limits: too deep, too long, too many, too large") {
  const auto code = [](const Manifest& m) {
    auto r = parse_manifest(encode_manifest(m));
    return r ? std::string("ok") : r.error().code;
  };
  Manifest deep = tree_manifest();
  std::string d = "d";
  for (size_t i = 1; i < kMaxDirDepth; ++i) d += "/d";
  deep.files[0].dir = d;
  CHECK(code(deep) == "ok");
  deep.files[0].dir = d + "/d";
  CHECK_FALSE(validate_manifest(deep).ok());

  Manifest many = tree_manifest();
  many.empty_dirs.assign(kMaxEmptyDirs + 1, "x");
  CHECK_FALSE(validate_manifest(many).ok());

  // 16,384 files with 300-byte paths are more than kMaxManifestBytes.
  Manifest big;
  big.chunk_size = 64 * 1024;
  for (uint32_t i = 0; i < kMaxManifestFiles; ++i) {
    big.files.push_back({i, "f" + std::to_string(i), 1, "", std::string(300, 'p')});
  }
  auto valid = validate_manifest(big);
  REQUIRE_FALSE(valid.ok());
  CHECK(valid.error().code == "bad_manifest");
  std::vector<SourceFile> sources(kMaxManifestFiles + 1, SourceFile{"f", 1, "", ""});
  CHECK_FALSE(Sender::create(key_from(1), 7, sources, SenderOptions{}, seeded_random(1)).ok());
}

TEST_CASE("a tree with nested and empty folders arrives whole") {
  const Bytes a = pseudo_random_bytes(3 * kChunk + 1, 1);
  const Bytes b = pseudo_random_bytes(10, 2);
  Link link = Link::make_tree({{"Trip/day 1/a.bin", a}, {"Trip/b.txt", b}, {"Trip/\xe2\x9c\x88/c", {}}},
                              {"Trip/empty", "Trip/day 2/nothing"}, kChunk);
  link.deliver_to_receiver(link.sender.connect(key_from(1)));
  link.pump();
  CHECK(link.receiver.state() == Receiver::State::kComplete);
  const Manifest& m = *link.receiver.manifest();
  CHECK(m.files[0].path() == "Trip/day 1/a.bin");
  CHECK(m.files[2].path() == "Trip/\xe2\x9c\x88/c");
  CHECK(m.empty_dirs == std::vector<std::string>{"Trip/empty", "Trip/day 2/nothing"});
  CHECK((link.sink[0] == a));
  CHECK((link.sink[1] == b));
}

TEST_CASE("10,000 small files go as one offer: the manifest and the answers travel in parts") {
  std::vector<std::pair<std::string, Bytes>> files;
  for (int i = 0; i < 10000; ++i) {
    files.push_back({"Many/folder " + std::to_string(i / 100) + "/file " + std::to_string(i) + ".txt",
                     Bytes(static_cast<size_t>(i % 7), static_cast<uint8_t>(i))});
  }
  Link link = Link::make_tree(files, {}, kChunk);
  const auto frames = link.sender.connect(key_from(1));
  CHECK(frames.size() > 1);  // the manifest alone is about 500 KB
  for (const auto& f : frames) CHECK(f.size() <= kMaxControlFrameBytes);
  link.deliver_to_receiver(frames);
  link.pump();
  REQUIRE(link.receiver.state() == Receiver::State::kComplete);
  CHECK(link.sender.state() == Sender::State::kComplete);
  CHECK(link.receiver.manifest()->files.size() == 10000);
  CHECK(link.receiver.manifest()->files[9999].path() == "Many/folder 99/file 9999.txt");
  for (int i = 0; i < 10000; i += 997) CHECK((link.sink[static_cast<uint32_t>(i)] == files[static_cast<size_t>(i)].second));
}

TEST_CASE("a message in parts opens only whole, in order, and within its limit") {
  const crypto::SecretKey key = key_from(1);
  ControlSealer sealer(key, 7, protocol::Origin::kSender);
  const RandomFn rng = seeded_random(3);
  Manifest big;
  big.chunk_size = 64 * 1024;
  for (uint32_t i = 0; i < 5000; ++i) big.files.push_back({i, "file " + std::to_string(i), 1, "", "some/folder"});
  Epoch e{};
  e[0] = 1;
  const auto parts = sealer.seal({e, big}, rng);
  REQUIRE(parts.size() >= 3);
  const auto frame = [](const Bytes& b) { return std::get<protocol::ControlFrame>(parse_ok(b)); };

  SECTION("in order: nothing until the last part, then the whole") {
    ControlOpener opener(key, 7, protocol::Origin::kSender);
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      auto r = opener.open(frame(parts[i]), nullptr);
      REQUIRE(r.ok());
      CHECK_FALSE(r->has_value());
    }
    auto last = opener.open(frame(parts.back()), nullptr);
    REQUIRE(last.ok());
    REQUIRE(last->has_value());
    CHECK(std::get<Manifest>((*last)->body) == big);
  }
  SECTION("a missing part: the rest never makes a message") {
    ControlOpener opener(key, 7, protocol::Origin::kSender);
    REQUIRE(opener.open(frame(parts[0]), nullptr).ok());
    for (size_t i = 2; i < parts.size(); ++i) {
      auto r = opener.open(frame(parts[i]), nullptr);
      if (i + 1 == parts.size()) CHECK_FALSE((r.ok() && r->has_value() && std::get<Manifest>((*r)->body) == big));
    }
  }
  SECTION("a replayed part is refused") {
    ControlOpener opener(key, 7, protocol::Origin::kSender);
    REQUIRE(opener.open(frame(parts[0]), nullptr).ok());
    CHECK(opener.open(frame(parts[0]), nullptr).error().code == "replay");
  }
  SECTION("a whole message after a partial one drops the parts and is taken on its own") {
    ControlOpener opener(key, 7, protocol::Origin::kSender);
    REQUIRE(opener.open(frame(parts[0]), nullptr).ok());
    ControlSealer later(key, 7, protocol::Origin::kSender, sealer.last_seq());
    auto r = opener.open(frame(seal_one(later, {e, PauseMsg{}}, rng)), nullptr);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK(std::holds_alternative<PauseMsg>((*r)->body));
  }
  SECTION("parts of another epoch do not join") {
    ControlOpener opener(key, 7, protocol::Origin::kSender);
    REQUIRE(opener.open(frame(parts[0]), nullptr).ok());
    Epoch other = e;
    other[0] = 2;
    ControlSealer later(key, 7, protocol::Origin::kSender, sealer.last_seq());
    auto others = later.seal({other, big}, rng);
    CHECK(opener.open(frame(others[1]), nullptr).error().code == "bad_part");
  }
  SECTION("a first part (a reconnected sender's new manifest) replaces an unfinished message") {
    ControlOpener opener(key, 7, protocol::Origin::kSender);
    REQUIRE(opener.open(frame(parts[0]), nullptr).ok());  // the old connection's start only
    Epoch other = e;
    other[0] = 3;
    ControlSealer later(key, 7, protocol::Origin::kSender, sealer.last_seq());
    const auto again = later.seal({other, big}, rng);
    Result<std::optional<ControlMessage>> r = std::optional<ControlMessage>();
    for (const auto& p : again) r = opener.open(frame(p), nullptr);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK((*r)->epoch == other);
    CHECK(std::get<Manifest>((*r)->body) == big);
  }
  SECTION("a middle part with nothing before it is refused") {
    ControlOpener opener(key, 7, protocol::Origin::kSender);
    CHECK(opener.open(frame(parts[1]), nullptr).error().code == "bad_part");
    CHECK_FALSE(opener.assembling());
  }
  SECTION("a stale epoch's message in parts is refused when whole") {
    ControlOpener opener(key, 7, protocol::Origin::kSender);
    Epoch now = e;
    now[0] = 9;
    ControlSealer s2(key, 7, protocol::Origin::kSender);
    HaveMsg have;
    for (uint32_t i = 0; i < 9000; ++i) have.files.push_back({i, {{0, 1}}});
    const auto stale = s2.seal({e, have}, rng);
    REQUIRE(stale.size() > 1);
    Result<std::optional<ControlMessage>> r = std::optional<ControlMessage>();
    for (const auto& p : stale) r = opener.open(frame(p), &now);
    CHECK(r.error().code == "wrong_epoch");
  }
}

TEST_CASE("a part that would grow a message past its limit is refused") {
  const crypto::SecretKey key = key_from(1);
  const RandomFn rng = seeded_random(4);
  ControlOpener opener(key, 7, protocol::Origin::kSender);
  // Parts made by hand (a hostile but authenticated peer): never "last", each one full.
  ControlSealer sealer(key, 7, protocol::Origin::kSender);
  const auto sealed_part = [&](uint64_t seq) {
    protocol::ControlFrame f;
    f.transfer_id = 7;
    f.origin = protocol::Origin::kSender;
    f.seq = seq;
    Bytes plain(kEpochBytes, 0);
    plain.push_back(static_cast<uint8_t>(ControlKind::kPart));
    plain.push_back(seq == 1 ? 2 : 0);  // first, then middle parts
    plain.resize(plain.size() + kControlPartBytes, 0x41);
    crypto::seal_chunk(f.payload, crypto::derive_file_key(key, 7, kSenderControlFileId),
                       crypto::ChunkId{7, kSenderControlFileId, seq, false}, plain, rng);
    return f;
  };
  std::string last_code;
  uint64_t seq = 1;
  for (; seq < 200; ++seq) {
    auto r = opener.open(sealed_part(seq), nullptr);
    if (!r) {
      last_code = r.error().code;
      break;
    }
  }
  CHECK(last_code == "control_too_large");
  CHECK(seq * kControlPartBytes > kMaxControlMessageBytes);
  CHECK((seq - 1) * kControlPartBytes <= kMaxControlMessageBytes);
}
