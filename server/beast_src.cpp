// The one translation unit that compiles Boost.Beast and Boost.Asio (separate compilation), so
// the session files include only declarations and the 2-core build stays tolerable.
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
