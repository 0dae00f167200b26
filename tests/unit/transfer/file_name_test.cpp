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
  CHECK(sanitize_file_name("COMA") == "COMA");
  CHECK(sanitize_file_name("CONIN") == "CONIN");
}

TEST_CASE("console, clock, port-zero and superscript port names are reserved too") {
  // Microsoft's naming rules list COM0/LPT0 and COM/LPT with superscript 1-3 beside COM1-9.
  CHECK(sanitize_file_name("COM0") == "_COM0");
  CHECK(sanitize_file_name("lpt0.txt") == "_lpt0.txt");
  CHECK(sanitize_file_name("COM\xc2\xb9") == "_COM\xc2\xb9");            // COM¹
  CHECK(sanitize_file_name("com\xc2\xb2.txt") == "_com\xc2\xb2.txt");    // com²
  CHECK(sanitize_file_name("COM\xc2\xb3") == "_COM\xc2\xb3");            // COM³
  CHECK(sanitize_file_name("LPT\xc2\xb9.doc") == "_LPT\xc2\xb9.doc");    // LPT¹
  CHECK(sanitize_file_name("LPT\xc2\xb2") == "_LPT\xc2\xb2");
  CHECK(sanitize_file_name("lpt\xc2\xb3") == "_lpt\xc2\xb3");
  CHECK(sanitize_file_name("COM\xe2\x81\xb4") == "COM\xe2\x81\xb4");  // superscript 4: not a port
  CHECK(sanitize_file_name("CONIN$") == "_CONIN$");
  CHECK(sanitize_file_name("conout$.log") == "_conout$.log");
  CHECK(sanitize_file_name("CONOUT$ .txt") == "_CONOUT$ .txt");
  CHECK(sanitize_file_name("CLOCK$") == "_CLOCK$");
}

TEST_CASE("invisible and format characters are replaced") {
  CHECK(sanitize_file_name("invoice\xe2\x80\x8b.pdf") == "invoice_.pdf");  // U+200B zero width space
  CHECK(sanitize_file_name("a\xe2\x80\x8c" "b") == "a_b");                // U+200C ZWNJ
  CHECK(sanitize_file_name("a\xe2\x80\x8d" "b") == "a_b");                // U+200D ZWJ
  CHECK(sanitize_file_name("a\xe2\x81\xa0" "b") == "a_b");                // U+2060 word joiner
  CHECK(sanitize_file_name("a\xe2\x81\xa1\xe2\x81\xa2\xe2\x81\xa3\xe2\x81\xa4" "b") == "a____b");  // U+2061..4
  CHECK(sanitize_file_name("pay\xc2\xad" "pal.exe") == "pay_pal.exe");     // U+00AD soft hyphen
  CHECK(sanitize_file_name("a\xe1\xa0\x8e" "b") == "a_b");                // U+180E
  CHECK(sanitize_file_name("a\xef\xbb\xbf" "b") == "a_b");                // U+FEFF inside
  CHECK(sanitize_file_name("a\xe2\x81\xaa" "b") == "a_b");                // U+206A (deprecated Cf)
  CHECK(sanitize_file_name("a\xd8\x80" "b") == "a_b");                     // U+0600 Arabic number sign
  CHECK(sanitize_file_name("a\xef\xbf\xb9" "b") == "a_b");                // U+FFF9
  CHECK(sanitize_file_name("a\xe3\x85\xa4" "b") == "a_b");                // U+3164 Hangul filler
  CHECK(sanitize_file_name("a\xf3\xa0\x80\x81" "b") == "a_b");           // U+E0001 language tag
  CHECK(sanitize_file_name("a\xf3\xa0\x81\xbf" "b") == "a_b");           // U+E007F cancel tag
  CHECK(sanitize_file_name("a\xf0\x9d\x85\xb3" "b") == "a_b");           // U+1D173 musical format
  CHECK(sanitize_file_name("a\xef\xbf\xbe" "b") == "a_b");                // U+FFFE noncharacter
  // A name that is nothing but invisible characters is still a visible name.
  CHECK(sanitize_file_name("\xe2\x80\x8b\xe2\x80\x8b") == "__");
  // "CON" hidden behind a zero width space is no longer the device name, and is visible.
  CHECK(sanitize_file_name("CON\xe2\x80\x8b") == "CON_");
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
