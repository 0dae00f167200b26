// The connection to ferry-server. See signalling.h for the states.
#include "app/signalling.h"

#include <algorithm>
#include <utility>

namespace ferry::app {

namespace {

// The back-off doubles this many times (1 s to 16 s), and kServerRetryMaxMs caps it before.
constexpr int kServerRetryDoublings = 4;

}  // namespace

std::string close_code_words(int code) {
  switch (code) {
    case 4000:
      return "The server is restarting. Try again in a moment.";
    case 4003:
    case 4004:
      return "Too many attempts from your network. Wait a minute and try again.";
    case 4005:
      return "The server is full right now. Try again later.";
    case 4006:
      return "This session has expired. Ask the sender for a new link or code.";
    case 4010:
      return "The secure handshake did not finish in time. Open the link or type the code again.";
    case 4011:
      return "Someone opened the full link of this session, which takes precedence over the code.";
    case 4012:
      return "The other device refused this attempt (the code no longer works, or someone already joined).";
    // The server's JWT hook (docs/protocol.md "JWT"): the embedding site hands out the tokens.
    case 4014:
      return "This server needs a sign-in from the site that sent you here. Open Ferry from that site.";
    case 4015:
      return "The sign-in from the site that sent you here was not accepted. Open Ferry from that site again.";
    case 4016:
      return "Your sign-in has expired. Open Ferry from the site that sent you here again.";
    case 4001:
    case 4002:
    case 4007:
      return "The server closed the connection because of a protocol error (" + std::to_string(code) + ").";
    default:
      return "";
  }
}

const char* to_string(Signalling::State state) {
  switch (state) {
    case Signalling::State::kIdle:
      return "idle";
    case Signalling::State::kOpening:
      return "opening";
    case Signalling::State::kOpen:
      return "open";
    case Signalling::State::kBackingOff:
      return "backing_off";
    case Signalling::State::kGivenUp:
      return "given_up";
  }
  return "given_up";
}

void Signalling::start(protocol::ClientMessage first, CommandSink& out) {
  pending_ = std::move(first);
  enter(State::kOpening, 0, &out);
}

void Signalling::set_seat(std::string room, std::string resume_token) {
  room_ = std::move(room);
  resume_token_ = std::move(resume_token);
}

void Signalling::on_open(CommandSink& out) { enter(State::kOpen, 0, &out); }

Signalling::Event Signalling::on_closed(int code, double now_ms) {
  if (state_ == State::kGivenUp || !close_code_words(code).empty()) {
    enter(State::kGivenUp, now_ms, nullptr);
    return Event::kEnded;
  }
  if (!has_seat()) {
    enter(State::kIdle, now_ms, nullptr);
    return Event::kNoSeat;
  }
  enter(State::kBackingOff, now_ms, nullptr);
  return Event::kReconnecting;
}

Signalling::Event Signalling::tick(double now_ms, bool data_flows, CommandSink& out) {
  if (state_ != State::kBackingOff || now_ms < retry_at_ms_) return Event::kNone;
  if (now_ms - lost_since_ms_ > kServerGiveUpMs && !data_flows) {
    enter(State::kGivenUp, now_ms, &out);
    return Event::kLost;
  }
  enter(State::kOpening, now_ms, &out);
  return Event::kNone;
}

bool Signalling::reconnect_now(CommandSink& out) {
  if (!has_seat() || state_ == State::kGivenUp || state_ == State::kIdle) return false;
  out.emit(cmd::CloseServer{});
  enter(State::kOpening, 0, &out);
  return true;
}

void Signalling::seat_refused() { enter(State::kGivenUp, 0, nullptr); }

void Signalling::close(CommandSink& out) {
  out.emit(cmd::CloseServer{});
  enter(State::kIdle, 0, &out);
}

void Signalling::stop() { enter(State::kIdle, 0, nullptr); }

void Signalling::enter(State next, double now_ms, CommandSink* out) {
  state_ = next;
  switch (next) {
    case State::kIdle:
    case State::kGivenUp:
      retry_at_ms_ = -1;
      return;
    case State::kOpening:
      retry_at_ms_ = -1;
      out->emit(cmd::OpenServer{});
      return;
    case State::kOpen:
      failures_ = 0;
      lost_since_ms_ = -1;
      if (pending_) {
        out->emit(cmd::SendServer{protocol::serialize(*pending_)});
        pending_.reset();
      } else if (has_seat()) {
        out->emit(cmd::SendServer{protocol::serialize(protocol::Rejoin{room_, resume_token_})});
      }
      return;
    case State::kBackingOff: {
      if (lost_since_ms_ < 0) lost_since_ms_ = now_ms;
      const double delay = std::min(kServerRetryMaxMs,
                                    kServerRetryFirstMs * static_cast<double>(1 << std::min(failures_, kServerRetryDoublings)));
      ++failures_;
      retry_at_ms_ = now_ms + delay;
      return;
    }
  }
}

}  // namespace ferry::app
