# Third-party libraries. Natively they come from Debian packages; for wasm from FERRY_DEPS,
# which scripts/setup.sh fills from Debian source packages.
if(EMSCRIPTEN)
  # scripts/setup.sh builds it (with wasm SIMD); another prefix can be given to compare builds
  # (bench/crypto).
  set(FERRY_WASM_SODIUM_DIR ${FERRY_DEPS}/wasm/libsodium-simd CACHE PATH "Prefix of the wasm libsodium")
  set(_sodium ${FERRY_WASM_SODIUM_DIR})
  if(NOT EXISTS ${_sodium}/lib/libsodium.a)
    message(FATAL_ERROR "wasm libsodium not found in ${_sodium}: run scripts/setup.sh first")
  endif()
  add_library(ferry_sodium STATIC IMPORTED GLOBAL)
  set_target_properties(ferry_sodium PROPERTIES IMPORTED_LOCATION ${_sodium}/lib/libsodium.a)
  target_include_directories(ferry_sodium SYSTEM INTERFACE ${_sodium}/include)

  # emcc must never see /usr/include; this folder holds only header-only libraries.
  add_library(ferry_json INTERFACE)
  target_include_directories(ferry_json SYSTEM INTERFACE ${FERRY_DEPS}/wasm-include)
  add_library(ferry_catch2 INTERFACE)
  target_include_directories(ferry_catch2 SYSTEM INTERFACE ${FERRY_DEPS}/wasm-include)

  # Native wasm exception handling: Catch2 needs exceptions, and it is cheaper than the JS kind.
  add_compile_options(-fwasm-exceptions)
  add_link_options(-fwasm-exceptions)
else()
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
  add_library(ferry_sodium INTERFACE)
  target_link_libraries(ferry_sodium INTERFACE PkgConfig::SODIUM)
  find_package(nlohmann_json 3.11 REQUIRED)
  add_library(ferry_json INTERFACE)
  target_link_libraries(ferry_json INTERFACE nlohmann_json::nlohmann_json)
  add_library(ferry_catch2 INTERFACE)  # Catch2 v2, header-only, in /usr/include/catch2
endif()
