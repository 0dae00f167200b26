// The local history: an entry per ended transfer, recorded once, and strict reading back.
#include "app/history.h"

#include <catch2/catch.hpp>

using namespace ferry;
using namespace ferry::app;

namespace {
TransferView view(uint32_t id, bool outgoing, TransferState state) {
  TransferView t;
  t.id = id;
  t.outgoing = outgoing;
  t.state = state;
  auto p = std::make_shared<transfer::TransferProgress>();
  p->files.push_back({0, "a.txt", 10, 10, transfer::FileState::kComplete, "text/plain"});
  p->files.push_back({1, "b.mov", 5000, 0, transfer::FileState::kSkipped, ""});
  t.progress = std::move(p);
  return t;
}
}  // namespace

TEST_CASE("a transfer enters the history once, when it ends, with what moved") {
  HistoryRecorder rec;
  std::vector<TransferView> ts{view(1, false, TransferState::kReceiving)};
  CHECK(rec.take_new(ts, "w x y z").empty());
  ts[0].state = TransferState::kComplete;
  auto got = rec.take_new(ts, "w x y z");
  REQUIRE(got.size() == 1);
  CHECK_FALSE(got[0].sent);
  CHECK(got[0].result == "complete");
  CHECK(got[0].offered == 2);
  REQUIRE(got[0].files.size() == 1);  // the file left out did not move
  CHECK(got[0].files[0] == HistoryFile{"a.txt", 10});
  CHECK(got[0].words == "w x y z");
  CHECK(rec.take_new(ts, "w x y z").empty());
  ts.push_back(view(2, true, TransferState::kDeclined));
  got = rec.take_new(ts, "w x y z");
  REQUIRE(got.size() == 1);
  CHECK(got[0].sent);
  CHECK(got[0].result == "declined");
  CHECK(got[0].files.size() == 2);  // a declined offer names what was offered
}

TEST_CASE("history entries round trip through JSON, and malformed ones are skipped") {
  HistoryRecorder rec;
  auto e = *history_entry(view(3, true, TransferState::kFailed), "a b c d");
  const std::string one = to_json(e);
  auto back = parse_history("[" + one + "]");
  REQUIRE(back.size() == 1);
  CHECK(back[0] == e);
  const std::string bad[] = {
      R"({"sent":1,"words":"","result":"complete","offered":1,"files":[]})",
      R"({"sent":true,"words":"","result":"stolen","offered":1,"files":[]})",
      R"({"sent":true,"words":"","result":"complete","offered":-1,"files":[]})",
      R"({"sent":true,"words":"","result":"complete","offered":1,"files":[{"name":3,"size":1}]})",
      R"("just text")",
  };
  std::string list = "[";
  for (const auto& b : bad) list += b + ",";
  list += one + "]";
  CHECK(parse_history(list).size() == 1);
  CHECK(parse_history("{}").empty());
  CHECK(parse_history("not json").empty());
  std::string deep(100, '[');
  CHECK(parse_history(deep).empty());
  std::string many = "[";
  for (size_t i = 0; i < kMaxHistoryEntries + 5; ++i) many += one + ",";
  many.back() = ']';
  CHECK(parse_history(many).size() == kMaxHistoryEntries);
}
