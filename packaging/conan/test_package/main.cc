// SPDX-License-Identifier: Apache-2.0
// Opens (parses) the embedded BPF object through its skeleton and asks the library about the
// kernel: proves the headers, libscxpp, libbpf and the generated skeleton link together.
// Loading would need root and sched_ext; the package consumer tests do that in the VM.
#include <cstdio>

#include "scxpp/kernel.h"
#include "test_package.skel.h"

int main() {
  test_package* skel = test_package__open();
  if (skel == nullptr) {
    std::perror("scxpp test_package: test_package__open");
    return 1;
  }
  test_package__destroy(skel);
  const scxpp::Kernel kernel;
  std::printf("scxpp test_package: ok (this kernel %s sched_ext)\n",
              kernel.HasSchedExt() ? "has" : "has no");
  return 0;
}
