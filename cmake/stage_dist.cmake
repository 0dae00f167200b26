# Stages the web root: exactly the files the page loads, from the wasm build's web folder (which
# also holds CMake's own files and the client's static libraries) into a clean dist/ folder,
# which is all ferry-server serves. Run by web/CMakeLists.txt (target ferry_dist) as
#   cmake -DFERRY_WEB_BUILD=<build/wasm/web> -DFERRY_DIST=<build/wasm/dist> [-DFERRY_BROTLI=<brotli>]
#         -DFERRY_GZIP=<gzip> -P stage_dist.cmake
#
# Names. Every asset but the entry points gets its content hash in its name (ferry.wasm becomes
# ferry.<16 hex>.wasm), so the server may let browsers keep it for a year (immutable), and a
# new build is a new name. The entry points keep their names and are revalidated on each load:
# index.html, the service worker sw.js and manifest.webmanifest. The references in the files are
# rewritten to the hashed names, assets first in an order where each file's references are
# already hashed when it is hashed (ferry.wasm before ferry.js names it), so the hashes chain:
# a change anywhere gives new names up to index.html and a new sw.js.
#
# Compression. Each text or wasm file also gets a .br (brotli -q 11) and a .gz (gzip -9 -n)
# copy, which ferry-server sends to browsers that accept them (server/static_files.h).
cmake_minimum_required(VERSION 3.21)  # file(COPY_FILE)

foreach(v FERRY_WEB_BUILD FERRY_DIST FERRY_GZIP)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "stage_dist.cmake: -D${v}=... is required")
  endif()
endforeach()

# 16 hex digits (64 bits of SHA-256): two builds' names never collide by chance.
set(kHashDigits 16)
# Hashed, in reference order (a file's references come before it). Optional ones (npm's zxcvbn
# and client-zip, web/CMakeLists.txt) are skipped when the build did not copy them.
set(kHashed ferry.wasm zxcvbn.js client-zip.js storage-worker.js icon-192.png icon-512.png ferry.css
    ferry.js boot.js)
set(kRequired ferry.wasm ferry.js boot.js ferry.css storage-worker.js icon-192.png icon-512.png
    index.html sw.js manifest.webmanifest)
# Unhashed: the entry points (rewritten) and the licences of what is shipped (not loaded).
set(kEntryPoints manifest.webmanifest index.html sw.js)
set(kLicences zxcvbn.LICENSE.txt client-zip.LICENSE.txt)
# Compressed copies for these (text and wasm compress 3-5x; PNG is compressed already).
set(kCompressed "\\.(js|wasm|css|html|webmanifest|txt)$")

foreach(f ${kRequired})
  if(NOT EXISTS ${FERRY_WEB_BUILD}/${f})
    message(FATAL_ERROR "stage_dist.cmake: ${FERRY_WEB_BUILD}/${f} is missing: the wasm build is incomplete")
  endif()
endforeach()

file(REMOVE_RECURSE ${FERRY_DIST})
file(MAKE_DIRECTORY ${FERRY_DIST})

set(renames "")  # "name=hashed" pairs, in the order made
# Rewrites the references to the assets hashed so far in `text`: a name counts only between a
# delimiter before it (/ ' ") and one after it (' " ? #), so "ferry.js" never matches inside
# "xferry.json".
function(rewrite_references text out)
  foreach(pair ${renames})
    string(REPLACE "=" ";" parts ${pair})
    list(GET parts 0 name)
    list(GET parts 1 hashed)
    string(REPLACE "." "\\." name_re ${name})
    string(REGEX REPLACE "([/'\"])${name_re}(['\"?#])" "\\1${hashed}\\2" text "${text}")
  endforeach()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(build_id "")
foreach(f ${kHashed})
  if(NOT EXISTS ${FERRY_WEB_BUILD}/${f})
    continue()
  endif()
  string(REGEX MATCH "\\.[a-z0-9]+$" ext ${f})
  string(REGEX REPLACE "\\.[a-z0-9]+$" "" stem ${f})
  if(ext STREQUAL ".png" OR ext STREQUAL ".wasm")
    # Binary: nothing in it names another file.
    file(SHA256 ${FERRY_WEB_BUILD}/${f} sum)
    string(SUBSTRING ${sum} 0 ${kHashDigits} sum)
    file(COPY_FILE ${FERRY_WEB_BUILD}/${f} ${FERRY_DIST}/${stem}.${sum}${ext})
  else()
    file(READ ${FERRY_WEB_BUILD}/${f} text)
    rewrite_references("${text}" text)
    string(SHA256 sum "${text}")
    string(SUBSTRING ${sum} 0 ${kHashDigits} sum)
    file(WRITE ${FERRY_DIST}/${stem}.${sum}${ext} "${text}")
  endif()
  list(APPEND renames "${f}=${stem}.${sum}${ext}")
  string(APPEND build_id ${sum})
endforeach()

# The service worker names its cache after the build, so a new build's worker installs beside
# the old one and deletes the old cache when it activates (shell/sw.js).
string(SHA256 build_id "${build_id}")
string(SUBSTRING ${build_id} 0 ${kHashDigits} build_id)
foreach(f ${kEntryPoints})
  file(READ ${FERRY_WEB_BUILD}/${f} text)
  rewrite_references("${text}" text)
  string(REPLACE "@FERRY_BUILD@" ${build_id} text "${text}")
  file(WRITE ${FERRY_DIST}/${f} "${text}")
endforeach()
foreach(f ${kLicences})
  if(EXISTS ${FERRY_WEB_BUILD}/${f})
    file(COPY_FILE ${FERRY_WEB_BUILD}/${f} ${FERRY_DIST}/${f})
  endif()
endforeach()

file(GLOB staged RELATIVE ${FERRY_DIST} ${FERRY_DIST}/*)
foreach(f ${staged})
  if(NOT f MATCHES "${kCompressed}")
    continue()
  endif()
  # -n: no name or time in the header, so the same input gives the same bytes.
  execute_process(COMMAND ${FERRY_GZIP} -9 -n -k -f ${FERRY_DIST}/${f} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "stage_dist.cmake: gzip failed on ${f}")
  endif()
  if(FERRY_BROTLI)
    execute_process(COMMAND ${FERRY_BROTLI} -q 11 -k -f ${FERRY_DIST}/${f} RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "stage_dist.cmake: brotli failed on ${f}")
    endif()
  endif()
endforeach()
list(LENGTH staged n)
message(STATUS "Staged ${n} files in ${FERRY_DIST} (build ${build_id})")
