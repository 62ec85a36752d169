// Catch2 v2 main, compiled once per build directory.
#define CATCH_CONFIG_MAIN
#include "catch2/catch.hpp"
