# SPDX-License-Identifier: Apache-2.0
"""Conan 2 test_package for scxpp: `conan create packaging/conan` builds CMakeLists.txt here
against the new package and runs the result (it needs no sched_ext kernel)."""
import os

from conan import ConanFile
from conan.tools.build import can_run
from conan.tools.cmake import CMake, cmake_layout


class ScxppTestConan(ConanFile):
    settings = "os", "arch", "compiler", "build_type"
    generators = "CMakeDeps", "CMakeToolchain"

    def requirements(self):
        self.requires(self.tested_reference_str)

    def layout(self):
        cmake_layout(self)

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def test(self):
        if can_run(self):
            self.run(os.path.join(self.cpp.build.bindir, "scxpp_test_package"), env="conanrun")
