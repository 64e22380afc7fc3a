// SPDX-License-Identifier: Apache-2.0
// main() of the VM test binary: refuses to run outside the VM, so a VM test can never pass
// by accident on a host without sched_ext (or harm a host that has it).
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "gtest/gtest.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  const char* in_vm = std::getenv("SCXPP_IN_VM");
  if (in_vm == nullptr || std::strcmp(in_vm, "1") != 0) {
    std::fprintf(stderr,
                 "scxpp VM tests load real schedulers and must run inside the test VM:\n"
                 "  scripts/vm-run --bin %s -- %s\n"
                 "(or `ctest -L vm` from the build directory)\n", argv[0], argv[0]);
    return 2;
  }
  const int rc = RUN_ALL_TESTS();
  if (::testing::UnitTest::GetInstance()->test_to_run_count() == 0) {
    std::fprintf(stderr, "no VM test matches the filter: refusing to pass vacuously\n");
    return 3;
  }
  return rc;
}
