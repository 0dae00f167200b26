// Manifest encoding and strict parsing, have-maps, and control message codec and sealing.
#include <catch2/catch.hpp>

#include "test_support.h"
#include "transfer/control.h"
#include "transfer/have_map.h"
#include "transfer/manifest.h"

using namespace ferry;
using namespace ferry::transfer;

namespace {

Manifest sample_manifest() {
  Manifest m;
  m.chunk_size = 64 * 1024;
  m.files.push_back({0, "photo.jpg", 3 * 1024 * 1024 + 5, "image/jpeg"});
  m.files.push_back({1, "empty.txt", 0, ""});
  m.files.push_back({2, "na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x9a\x80.txt", 10, "text/plain"});
  return m;
}

}  // namespace

TEST_CASE("manifest round trips") {
  const Manifest m = sample_manifest();
  auto parsed = parse_manifest(encode_manifest(m));
  REQUIRE(parsed.ok());
  CHECK(*parsed == m);
}

TEST_CASE("chunk arithmetic: an empty file has exactly one empty chunk") {
  CHECK(chunk_count(0, 1024) == 1);
  CHECK(chunk_length(0, 1024, 0) == 0);
  CHECK(chunk_count(1, 1024) == 1);
  CHECK(chunk_count(1024, 1024) == 1);
  CHECK(chunk_count(1025, 1024) == 2);
  CHECK(chunk_length(1025, 1024, 1) == 1);
  CHECK(bytes_in_chunks(1025, 1024, 2, true) == 1025);
  CHECK(bytes_in_chunks(1025, 1024, 1, false) == 1024);
  CHECK(bytes_in_chunks(0, 1024, 1, true) == 0);
}

TEST_CASE("received manifest names are sanitised") {
  Manifest m = sample_manifest();
  m.files[0].name = "../../.ssh/authorized_keys";
  auto parsed = parse_manifest(encode_manifest(m));
  REQUIRE(parsed.ok());
  CHECK(parsed->files[0].name == ".._.._.ssh_authorized_keys");
}

TEST_CASE("malformed manifests are rejected") {
  const Bytes good = encode_manifest(sample_manifest());
  auto code = [](const Bytes& b) {
    auto r = parse_manifest(b);
    return r ? std::string("ok") : r.error().code;
  };
  for (size_t n = 0; n < good.size(); ++n) {
    INFO("prefix " << n);
    CHECK(code(Bytes(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n))) != "ok");
  }
  Bytes trailing = good;
  trailing.push_back(0);
  CHECK(code(trailing) == "trailing_bytes");

  auto with_u32 = [&](size_t at, uint32_t v) {
    Bytes b = good;
    b[at] = static_cast<uint8_t>(v);
    b[at + 1] = static_cast<uint8_t>(v >> 8);
    b[at + 2] = static_cast<uint8_t>(v >> 16);
    b[at + 3] = static_cast<uint8_t>(v >> 24);
    return b;
  };
  CHECK(code(with_u32(0, 512)) == "bad_manifest");             // chunk size too small
  CHECK(code(with_u32(0, 2 * 1024 * 1024)) == "bad_manifest");  // chunk size too large
  CHECK(code(with_u32(4, 0)) == "bad_manifest");               // no files
  CHECK(code(with_u32(4, 0xFFFFFFFF)) == "bad_manifest");      // absurd file count
  CHECK(code(with_u32(8, 0xFFFFFFFF)) == "bad_manifest");      // reserved file id

  Manifest dup = sample_manifest();
  dup.files[1].id = 0;
  CHECK_FALSE(validate_manifest(dup).ok());
  Manifest huge = sample_manifest();
  huge.files[0].size = uint64_t{huge.chunk_size} * kMaxChunksPerFile + 1;
  CHECK_FALSE(validate_manifest(huge).ok());
  Manifest bad_mime = sample_manifest();
  bad_mime.files[0].mime = "text/plain\r\nX: y";
  CHECK_FALSE(validate_manifest(bad_mime).ok());
  Manifest many = sample_manifest();
  for (uint32_t i = 3; i <= kMaxManifestFiles; ++i) many.files.push_back({i, "f", 1, ""});
  CHECK_FALSE(validate_manifest(many).ok());
}

TEST_CASE("have-map tracks chunks, runs and its persisted form") {
  HaveMap h(20);
  CHECK(h.count() == 0);
  for (uint64_t i : {0, 1, 2, 7, 9, 10, 19}) h.set(i);
  h.set(7);  // setting twice counts once
  CHECK(h.count() == 7);
  CHECK(h.has(9));
  CHECK_FALSE(h.has(8));
  CHECK_FALSE(h.has(1000));
  CHECK(h.runs() == std::vector<ChunkRun>{{0, 3}, {7, 1}, {9, 2}, {19, 1}});
  CHECK(h.runs(2) == std::vector<ChunkRun>{{0, 3}, {7, 1}});
  auto from = HaveMap::from_runs(20, h.runs());
  REQUIRE(from.ok());
  CHECK(*from == h);
  auto parsed = HaveMap::parse(h.serialize());
  REQUIRE(parsed.ok());
  CHECK(*parsed == h);
  CHECK_FALSE(h.complete());
  HaveMap full(3);
  for (uint64_t i = 0; i < 3; ++i) full.set(i);
  CHECK(full.complete());
}

TEST_CASE("have-map rejects bad runs and bad persisted forms") {
  CHECK_FALSE(HaveMap::from_runs(10, {{5, 6}}).ok());            // past the end
  CHECK_FALSE(HaveMap::from_runs(10, {{0, 0}}).ok());            // empty run
  CHECK_FALSE(HaveMap::from_runs(10, {{5, 2}, {1, 1}}).ok());    // unordered
  CHECK_FALSE(HaveMap::from_runs(10, {{1, 3}, {3, 1}}).ok());    // overlapping
  CHECK_FALSE(HaveMap::from_runs(10, {{UINT64_MAX, 2}}).ok());   // overflow
  CHECK_FALSE(HaveMap::from_runs(kMaxChunksPerFile + 1, {}).ok());
  HaveMap h(10);
  Bytes s = h.serialize();
  s.back() = 0x80;  // bit 15: past chunk 9
  CHECK_FALSE(HaveMap::parse(s).ok());
  Bytes short_bits = h.serialize();
  short_bits.pop_back();
  CHECK_FALSE(HaveMap::parse(short_bits).ok());
  CHECK_FALSE(HaveMap::parse(Bytes{1, 2, 3}).ok());
}

TEST_CASE("control messages round trip") {
  Epoch e{};
  e[0] = 9;
  std::vector<ControlBody> bodies = {
      sample_manifest(), FileEndMsg{3, crypto::Blake2bDigest{1, 2, 3}},
      HaveMsg{{{0, {{0, 4}, {6, 1}}}, {1, {}}}}, PauseMsg{}, ResumeMsg{}, CancelMsg{},
      CompleteMsg{{{0, true}, {1, false}}}, ErrorMsg{"disk_full", "no space left"},
      WindowMsg{0}, WindowMsg{8ull << 20}, WindowMsg{UINT64_MAX}, AcceptMsg{}, AcceptMsg{{0, 3, 511}}};
  for (const auto& b : bodies) {
    const ControlMessage m{e, b};
    auto parsed = parse_control(encode_control(m));
    REQUIRE(parsed.ok());
    CHECK(*parsed == m);
  }
}

TEST_CASE("an answer that names a file twice, out of order or too many files is rejected") {
  Epoch e{};
  const Bytes twice = encode_control({e, AcceptMsg{{2, 2}}});
  CHECK(parse_control(twice).error().code == "bad_accept");
  const Bytes backwards = encode_control({e, AcceptMsg{{3, 1}}});
  CHECK(parse_control(backwards).error().code == "bad_accept");
  std::vector<uint32_t> many;
  for (uint32_t i = 0; i <= kMaxManifestFiles; ++i) many.push_back(i);
  CHECK(parse_control(encode_control({e, AcceptMsg{many}})).error().code == "bad_accept");
  const Bytes ok = encode_control({e, AcceptMsg{{1, 4}}});
  for (size_t n = 0; n < ok.size(); ++n) {
    CHECK(parse_control(Bytes(ok.begin(), ok.begin() + static_cast<std::ptrdiff_t>(n))).error().code == "truncated");
  }
}

TEST_CASE("malformed control messages are rejected") {
  Epoch e{};
  const Bytes have = encode_control({e, HaveMsg{{{0, {{0, 4}}}}}});
  for (size_t n = 0; n < have.size(); ++n) {
    CHECK_FALSE(parse_control(Bytes(have.begin(), have.begin() + static_cast<std::ptrdiff_t>(n))).ok());
  }
  Bytes unknown = encode_control({e, PauseMsg{}});
  unknown[kEpochBytes] = 99;
  CHECK(parse_control(unknown).error().code == "unknown_control");
  Bytes trailing = encode_control({e, CancelMsg{}});
  trailing.push_back(1);
  CHECK(parse_control(trailing).error().code == "trailing_bytes");
  Bytes bad_result = encode_control({e, CompleteMsg{{{0, true}}}});
  bad_result.back() = 2;
  CHECK_FALSE(parse_control(bad_result).ok());
  const Bytes window = encode_control({e, WindowMsg{12345}});
  CHECK(window.size() == kEpochBytes + 1 + 8);
  CHECK(window[kEpochBytes] == 9);
  for (size_t n = 0; n < window.size(); ++n) {
    CHECK(parse_control(Bytes(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(n))).error().code == "truncated");
  }
  Bytes long_window = window;
  long_window.push_back(0);
  CHECK(parse_control(long_window).error().code == "trailing_bytes");
  Bytes many_runs = encode_control({e, HaveMsg{{{0, {}}}}});
  many_runs[many_runs.size() - 4] = 0xFF;  // run count 255 with no runs behind it
  CHECK(parse_control(many_runs).error().code == "truncated");
}

TEST_CASE("replayed sealed control message is rejected") {
  const auto key = test::key_from(3);
  auto rng = test::seeded_random(5);
  ControlSealer sealer(key, 11, protocol::Origin::kSender);
  ControlOpener opener(key, 11, protocol::Origin::kSender);
  Epoch e{};
  const Bytes first = test::seal_one(sealer, {e, PauseMsg{}}, rng);
  const Bytes second = test::seal_one(sealer, {e, ResumeMsg{}}, rng);
  auto frame = [](const Bytes& b) { return std::get<protocol::ControlFrame>(test::parse_ok(b)); };
  REQUIRE(opener.open(frame(first), &e).ok());
  CHECK(opener.open(frame(first), &e).error().code == "replay");
  REQUIRE(opener.open(frame(second), &e).ok());
  CHECK(opener.open(frame(second), &e).error().code == "replay");
  CHECK(opener.open(frame(first), &e).error().code == "replay");
}

TEST_CASE("control message with a changed sequence number fails authentication") {
  const auto key = test::key_from(3);
  auto rng = test::seeded_random(5);
  ControlSealer sealer(key, 11, protocol::Origin::kSender);
  ControlOpener opener(key, 11, protocol::Origin::kSender);
  Epoch e{};
  auto f = std::get<protocol::ControlFrame>(test::parse_ok(test::seal_one(sealer, {e, CancelMsg{}}, rng)));
  f.seq += 100;  // a relay trying to skip ahead
  CHECK(opener.open(f, &e).error().code == "bad_mac");
}

TEST_CASE("control message cannot be reflected to its writer or another transfer") {
  const auto key = test::key_from(3);
  auto rng = test::seeded_random(5);
  ControlSealer sealer(key, 11, protocol::Origin::kSender);
  Epoch e{};
  auto f = std::get<protocol::ControlFrame>(test::parse_ok(test::seal_one(sealer, {e, PauseMsg{}}, rng)));
  ControlOpener as_receiver_msg(key, 11, protocol::Origin::kReceiver);
  CHECK(as_receiver_msg.open(f, &e).error().code == "wrong_origin");
  f.origin = protocol::Origin::kReceiver;  // relabelled: the key differs, so the MAC fails
  CHECK(as_receiver_msg.open(f, &e).error().code == "bad_mac");
  f.origin = protocol::Origin::kSender;
  ControlOpener other_transfer(key, 12, protocol::Origin::kSender);
  CHECK(other_transfer.open(f, &e).error().code == "wrong_transfer");
  f.transfer_id = 12;
  CHECK(other_transfer.open(f, &e).error().code == "bad_mac");
}

TEST_CASE("control message from an earlier epoch is rejected") {
  const auto key = test::key_from(3);
  auto rng = test::seeded_random(5);
  ControlSealer sealer(key, 11, protocol::Origin::kReceiver);
  ControlOpener opener(key, 11, protocol::Origin::kReceiver);
  Epoch old_epoch{};
  Epoch now{};
  now[0] = 1;
  auto stale = std::get<protocol::ControlFrame>(test::parse_ok(test::seal_one(sealer, {old_epoch, PauseMsg{}}, rng)));
  auto fresh = std::get<protocol::ControlFrame>(test::parse_ok(test::seal_one(sealer, {now, PauseMsg{}}, rng)));
  CHECK(opener.open(stale, &now).error().code == "wrong_epoch");
  CHECK(opener.open(fresh, &now).ok());
}
