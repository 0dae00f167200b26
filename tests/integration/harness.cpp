// Integration-test harness (see harness.h): process control and Beast clients.
#include "harness.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <regex>
#include <sstream>

namespace ferry::itest {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Runs ioc until done is set or the time limit passes; on timeout, cancels and drains.
bool run_until(net::io_context& ioc, const bool& done, std::chrono::milliseconds timeout,
               beast::tcp_stream& stream) {
  ioc.restart();
  auto end = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < end) {
    ioc.run_one_for(end - std::chrono::steady_clock::now());
  }
  if (done) return true;
  stream.cancel();
  ioc.restart();
  while (!done && ioc.run_one_for(std::chrono::milliseconds(500))) {
  }
  return false;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

// --- Server ---------------------------------------------------------------------------------

Server::Server(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env) {
  char tmpl[] = "/tmp/ferry-itest-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) return;
  log_path_ = tmpl;
  std::vector<std::string> argv = {FERRY_SERVER_BIN, "--bind", "127.0.0.1", "--port", "0"};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  close(fd);
  // Either log format (--log-format text or json).
  static const std::regex kListening(
      "event=listening address=\\S+ port=(\\d+)|\"event\":\"listening\",\"address\":\"[^\"]*\",\"port\":\"(\\d+)\"");
  eventually(
      [&] {
        std::smatch m;
        std::string log = read_file(log_path_);
        if (std::regex_search(log, m, kListening)) {
          port_ = static_cast<uint16_t>(std::stoi(m[1].matched ? m[1].str() : m[2].str()));
        }
        return port_ != 0 || !alive();
      },
      std::chrono::milliseconds(10'000));
}

Server::~Server() {
  terminate();
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

bool Server::alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void Server::signal(int sig) {
  if (pid_ > 0) kill(pid_, sig);
}

int Server::wait_exit(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  int status = -1;
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    struct timespec ts {0, 20'000'000};
    nanosleep(&ts, nullptr);
  }
  return -1;
}

int Server::terminate() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = wait_exit(std::chrono::seconds(10));
  if (pid_ <= 0) return code;
  int status = -1;
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

std::string Server::log() const { return read_file(log_path_); }

long Server::memory_kib(const std::string& field) const {
  if (pid_ <= 0) return -1;
  std::istringstream in(read_file("/proc/" + std::to_string(pid_) + "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// --- HTTP -------------------------------------------------------------------------------------

HttpResponse http_request(uint16_t port, const std::string& target,
                          const std::vector<std::pair<std::string, std::string>>& headers, const std::string& method) {
  HttpResponse out;
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  stream.socket().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    out.error = ec.message();
    return out;
  }
  http::request<http::empty_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::connection, "close");
  for (const auto& [k, v] : headers) req.set(k, v);
  bool done = false;
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!run_until(ioc, done, kEventTimeout, stream) || ec) {
    out.error = ec ? ec.message() : "timeout";
    return out;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  if (method == "HEAD") parser.skip(true);
  done = false;
  http::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!run_until(ioc, done, kEventTimeout, stream) || ec) {
    out.error = ec ? ec.message() : "timeout";
    return out;
  }
  auto res = parser.release();
  out.status = static_cast<int>(res.result_int());
  for (const auto& f : res) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[name] = std::string(f.value());
  }
  out.body = res.body();
  return out;
}

double metric(uint16_t port, const std::string& name) {
  auto res = http_request(port, "/metrics");
  std::istringstream in(res.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
  }
  return -1;
}

// --- WebSocket --------------------------------------------------------------------------------

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  bool connected = false;
  std::string error;
  std::string subprotocol;
  beast::flat_buffer buffer;
};

WsClient::WsClient(uint16_t port, const std::string& subprotocol, const std::string& path, const Headers& headers)
    : impl_(new Impl) {
  beast::error_code ec;
  auto& lowest = beast::get_lowest_layer(impl_->ws);
  lowest.socket().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
  if (ec) {
    impl_->error = ec.message();
    return;
  }
  impl_->ws.set_option(websocket::stream_base::decorator([subprotocol, headers](websocket::request_type& req) {
    if (!subprotocol.empty()) req.set(http::field::sec_websocket_protocol, subprotocol);
    for (const auto& [k, v] : headers) req.set(k, v);
  }));
  impl_->ws.read_message_max(16 * 1024 * 1024);
  websocket::response_type res;
  bool done = false;
  impl_->ws.async_handshake(res, "127.0.0.1:" + std::to_string(port), path, [&](beast::error_code e) {
    ec = e;
    done = true;
  });
  if (!run_until(impl_->ioc, done, kEventTimeout, lowest) || ec) {
    impl_->error = ec ? ec.message() : "timeout";
    return;
  }
  impl_->subprotocol = std::string(res[http::field::sec_websocket_protocol]);
  impl_->connected = true;
}

WsClient::~WsClient() { drop(); }

bool WsClient::connected() const { return impl_->connected; }
const std::string& WsClient::connect_error() const { return impl_->error; }
std::string WsClient::negotiated_subprotocol() const { return impl_->subprotocol; }

bool WsClient::send_text(const std::string& text) {
  beast::error_code ec;
  impl_->ws.text(true);
  impl_->ws.write(net::buffer(text), ec);
  return !ec;
}

bool WsClient::send_text(const std::string& text, std::chrono::milliseconds timeout) {
  return write_for(text, false, timeout);
}

bool WsClient::send_binary(const std::string& data, std::chrono::milliseconds timeout) {
  return write_for(data, true, timeout);
}

bool WsClient::write_for(const std::string& data, bool binary, std::chrono::milliseconds timeout) {
  if (!impl_->connected) return false;
  beast::error_code ec;
  bool done = false;
  impl_->ws.binary(binary);
  impl_->ws.async_write(net::buffer(data), [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!run_until(impl_->ioc, done, timeout, beast::get_lowest_layer(impl_->ws))) {
    impl_->connected = false;
    return false;
  }
  return !ec;
}

WsClient::Event WsClient::read(std::chrono::milliseconds timeout) {
  Event ev;
  if (!impl_->connected) {
    ev.error = "not connected";
    return ev;
  }
  beast::error_code ec;
  bool done = false;
  impl_->buffer.clear();
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  if (!run_until(impl_->ioc, done, timeout, beast::get_lowest_layer(impl_->ws))) {
    ev.kind = Event::Kind::kTimeout;
    impl_->connected = false;  // a cancelled websocket read leaves the stream unusable
    return ev;
  }
  if (ec == websocket::error::closed) {
    ev.kind = Event::Kind::kClosed;
    ev.close_code = impl_->ws.reason().code;
    impl_->connected = false;
    return ev;
  }
  if (ec) {
    ev.kind = Event::Kind::kError;
    ev.error = ec.message();
    impl_->connected = false;
    return ev;
  }
  ev.kind = Event::Kind::kMessage;
  ev.text = beast::buffers_to_string(impl_->buffer.data());
  ev.binary = impl_->ws.got_binary();
  return ev;
}

int WsClient::wait_close(std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    auto ev = read(left);
    if (ev.kind == Event::Kind::kClosed) return ev.close_code;
    if (ev.kind != Event::Kind::kMessage) return 0;
  }
}

WsClient::Event WsClient::expect(const std::string& type, std::chrono::milliseconds timeout) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      Event ev;
      ev.kind = Event::Kind::kTimeout;
      return ev;
    }
    auto ev = read(left);
    if (ev.kind != Event::Kind::kMessage || ev.type() == type) return ev;
  }
}

void WsClient::drop() {
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
  impl_->connected = false;
}

nlohmann::json WsClient::Event::json() const {
  if (kind != Kind::kMessage) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text, nullptr, false);
}

std::string WsClient::Event::type() const {
  auto j = json();
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) return "";
  return j["type"].get<std::string>();
}

int run_binary(const std::string& args, std::string* output, const std::string& env) {
  std::string cmd = env + "timeout 10 " + FERRY_SERVER_BIN + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

uint16_t free_port() {
  for (int attempt = 0; attempt < 20; ++attempt) {
    int stream = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    bind(stream, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    getsockname(stream, reinterpret_cast<sockaddr*>(&a), &len);
    int udp = socket(AF_INET, SOCK_DGRAM, 0);
    bool ok = bind(udp, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(udp);
    close(stream);
    if (ok) return ntohs(a.sin_port);
  }
  return 0;
}

bool tcp_listening(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

}  // namespace ferry::itest
