// The one Catch2 main for the unit tests (compiled once; every other test file only includes).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
