// SPDX-License-Identifier: Apache-2.0
// What the fuzz targets assert with: a broken property prints what was seen and aborts, which
// libFuzzer reports as a crash and saves the input that caused it.
#ifndef SCXPP_TESTS_FUZZ_FUZZ_CHECK_H_
#define SCXPP_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define SCXPP_FUZZ_CHECK(cond, ...)                                                   \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: property broken: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                              \
      std::fprintf(stderr, "\n");                                                     \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

#endif  // SCXPP_TESTS_FUZZ_FUZZ_CHECK_H_
