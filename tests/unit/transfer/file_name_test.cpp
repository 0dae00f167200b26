// Received file names: traversal, control and bidi characters, reserved names, length.
#include <catch2/catch.hpp>

#include <string>

#include "transfer/file_name.h"

using ferry::transfer::kMaxFileNameBytes;
using ferry::transfer::sanitize_file_name;

namespace {

bool valid_utf8_without_separators(const std::string& s) {
  for (char c : s) {
    if (c == '/' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("path traversal cannot survive sanitising") {
  CHECK(sanitize_file_name("../../etc/passwd") == ".._.._etc_passwd");
  CHECK(sanitize_file_name("..") == "file");
  CHECK(sanitize_file_name(".") == "file");
  CHECK(sanitize_file_name("...") == "file");
  CHECK(sanitize_file_name("..\\..\\windows\\win.ini") == ".._.._windows_win.ini");
  CHECK(sanitize_file_name("/absolute") == "_absolute");
  CHECK(sanitize_file_name("C:\\boot.ini") == "C__boot.ini");
  for (const char* evil : {"..", "../", "/..", "a/../b", "\\..\\", "....//"}) {
    const auto s = sanitize_file_name(evil);
    INFO(evil << " -> " << s);
    CHECK(s != "..");
    CHECK(s != ".");
    CHECK(valid_utf8_without_separators(s));
  }
}

TEST_CASE("control characters and ANSI escapes are replaced") {
  CHECK(sanitize_file_name("a\nb\tc\rd") == "a_b_c_d");
  CHECK(sanitize_file_name(std::string("nul\0byte", 8)) == "nul_byte");
  CHECK(sanitize_file_name("\x1b[31mred\x1b[0m.txt") == "_[31mred_[0m.txt");
  CHECK(sanitize_file_name("del\x7f") == "del_");
  CHECK(sanitize_file_name("c1\xc2\x9b" "2J") == "c1_2J");  // U+009B CSI
}

TEST_CASE("bidi override characters cannot disguise an extension") {
  // "invoice<RLO>fdp.exe" displays as "invoiceexe.pdf".
  CHECK(sanitize_file_name("invoice\xe2\x80\xae" "fdp.exe") == "invoice_fdp.exe");
  CHECK(sanitize_file_name("a\xe2\x81\xa6" "b\xe2\x81\xa9" "c") == "a_b_c");  // LRI, PDI
  CHECK(sanitize_file_name("x\xe2\x80\x8f" "y") == "x_y");                       // RLM
  CHECK(sanitize_file_name("\xef\xbb\xbf" "bom") == "_bom");
}

TEST_CASE("characters Windows forbids are replaced") {
  CHECK(sanitize_file_name("a<b>c:d\"e|f?g*h") == "a_b_c_d_e_f_g_h");
}

TEST_CASE("Windows reserved device names get a prefix") {
  CHECK(sanitize_file_name("CON") == "_CON");
  CHECK(sanitize_file_name("con.txt") == "_con.txt");
  CHECK(sanitize_file_name("Nul.tar.gz") == "_Nul.tar.gz");
  CHECK(sanitize_file_name("COM1") == "_COM1");
  CHECK(sanitize_file_name("lpt9.doc") == "_lpt9.doc");
  CHECK(sanitize_file_name("aux") == "_aux");
  CHECK(sanitize_file_name("COM10") == "COM10");
  CHECK(sanitize_file_name("CONSOLE.txt") == "CONSOLE.txt");
  CHECK(sanitize_file_name("COM0") == "COM0");
}

TEST_CASE("trailing dots and spaces and leading spaces are removed") {
  CHECK(sanitize_file_name("report.txt. . ") == "report.txt");
  CHECK(sanitize_file_name("   spaced") == "spaced");
  CHECK(sanitize_file_name("CON.") == "_CON");
}

TEST_CASE("an empty or unusable name becomes a fallback, never empty") {
  CHECK(sanitize_file_name("") == "file");
  CHECK(sanitize_file_name("   ") == "file");
  CHECK(sanitize_file_name(" . . ") == "file");
}

TEST_CASE("invalid UTF-8 is replaced by U+FFFD") {
  CHECK(sanitize_file_name("a\xff" "b") == "a\xef\xbf\xbd" "b");
  CHECK(sanitize_file_name("\xc0\xaf") == "\xef\xbf\xbd");  // overlong '/': one bad sequence
  CHECK(sanitize_file_name("\xed\xa0\x80" "x") == "\xef\xbf\xbd" "x");  // surrogate
  CHECK(sanitize_file_name("cut\xe6\x97") == "cut\xef\xbf\xbd");        // truncated sequence
  CHECK(sanitize_file_name("\xf4\x90\x80\x80") == "\xef\xbf\xbd");      // above U+10FFFF
}

TEST_CASE("unicode names are kept as they are") {
  const std::string name = "na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xf0\x9f\x9a\x80.txt";
  CHECK(sanitize_file_name(name) == name);
  CHECK(sanitize_file_name("r\xc3\xa9sum\xc3\xa9.pdf") == "r\xc3\xa9sum\xc3\xa9.pdf");
  CHECK(sanitize_file_name(".bashrc") == ".bashrc");
}

TEST_CASE("long names are cut on a code point boundary and keep their extension") {
  std::string stem;
  for (int i = 0; i < 200; ++i) stem += "\xe6\x97\xa5";  // 600 bytes of 3-byte characters
  const auto s = sanitize_file_name(stem + ".jpeg");
  CHECK(s.size() <= kMaxFileNameBytes);
  CHECK(s.size() > kMaxFileNameBytes - 3);
  CHECK(s.ends_with("\xe6\x97\xa5.jpeg"));
  CHECK(sanitize_file_name(s) == s);
  const auto plain = sanitize_file_name(std::string(1000, 'a'));
  CHECK(plain == std::string(kMaxFileNameBytes, 'a'));
  // An "extension" too long to be one is just cut with the rest.
  const auto long_ext = sanitize_file_name("a." + std::string(400, 'b'));
  CHECK(long_ext.size() == kMaxFileNameBytes);
  CHECK(long_ext.starts_with("a.bbb"));
}

TEST_CASE("sanitising is idempotent") {
  for (const char* raw : {"../x", "CON", "a\x1b[0m", "  x. ", "\xff\xfe", "name.tar.gz",
                          "invoice\xe2\x80\xae" "fdp.exe", "COM1 .txt", ". .CON"}) {
    const auto once = sanitize_file_name(raw);
    INFO(raw);
    CHECK(sanitize_file_name(once) == once);
  }
}
