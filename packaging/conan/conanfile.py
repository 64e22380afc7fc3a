# SPDX-License-Identifier: Apache-2.0
"""Conan 2 recipe for scxpp, built from this checkout (`conan create packaging/conan`).

The sources are the checkout's own (exports_sources), so there is no source() step and no
conandata.yml: a ConanCenter submission would add both, pointing at a release tarball.
Checked offline by ctest package.conan_recipe (tests/package/conan_recipe_test.py), which
runs this recipe's methods in order under a stand-in for the Conan API: export the sources,
generate, build, package, package_info, then checks the package folder and the targets.

Consumers that compile BPF code with scxpp_add_bpf_skeleton() need clang >= 16 and bpftool
>= 7.5 on the build machine; neither is a ConanCenter package, so they are not requirements
here (the helper names them when they are missing, and SCXPP_BPF_CLANG / SCXPP_BPFTOOL
point it at others). Building scxpp itself needs neither.
"""
import os
import re

from conan import ConanFile
from conan.errors import ConanInvalidConfiguration
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load, rm, rmdir, save


class ScxppConan(ConanFile):
    name = "scxpp"
    # The library is Apache-2.0; the bundled libbpf headers it installs are
    # LGPL-2.1-only OR BSD-2-Clause; the BPF template and the vendored vmlinux.h are
    # GPL-2.0-only (BPF code that uses GPL-only kernel helpers must be).
    license = "Apache-2.0 AND (LGPL-2.1-only OR BSD-2-Clause) AND GPL-2.0-only"
    url = "https://github.com/scxpp/scxpp"
    homepage = "https://github.com/scxpp/scxpp"
    description = "C++20 SDK for writing Linux CPU schedulers as BPF programs with sched_ext"
    topics = ("sched_ext", "bpf", "ebpf", "scheduler", "linux")
    package_type = "static-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {"fPIC": [True, False], "tools": [True, False]}
    default_options = {"fPIC": True, "tools": True}

    def set_version(self):
        # The version is the project's own (CMakeLists.txt), never a second copy of it.
        text = load(self, os.path.join(self.recipe_folder, "..", "..", "CMakeLists.txt"))
        self.version = re.search(r"project\(scxpp VERSION ([0-9.]+)", text).group(1)

    def export_sources(self):
        root = os.path.join(self.recipe_folder, "..", "..")
        # Everything the top-level CMakeLists.txt reads with tests, examples and benchmarks
        # off: the library, scxppctl (tools/), the vendored vmlinux.h, the install rules'
        # inputs (template, new-scheduler, the VM runner, licences) and docs/ (its CMakeLists
        # is always read).
        for pattern in ("CMakeLists.txt", "LICENSE", "LICENSES/*", "cmake/*", "include/*",
                        "lib/*", "bpf_common/*", "tools/*", "vmlinux/*", "docs/*",
                        "templates/*", "scripts/new-scheduler", "scripts/vm-run"):
            copy(self, pattern, src=root, dst=self.export_sources_folder)

    def validate(self):
        if self.settings.os != "Linux":
            raise ConanInvalidConfiguration("scxpp needs Linux (sched_ext, BPF)")
        check_min_cppstd(self, 20)

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Exposed in scxpp's public headers, hence transitive_headers.
        self.requires("abseil/[>=20220623]", transitive_headers=True)
        self.requires("libbpf/[>=1.5 <2]", transitive_headers=True)
        self.requires("fmt/[>=9]")

    def generate(self):
        tc = CMakeToolchain(self)
        tc.cache_variables["SCXPP_BUILD_TESTS"] = False
        tc.cache_variables["SCXPP_BUILD_EXAMPLES"] = False
        tc.cache_variables["SCXPP_BUILD_BENCHMARKS"] = False
        tc.cache_variables["SCXPP_BUILD_TOOLS"] = bool(self.options.tools)
        tc.cache_variables["SCXPP_INSTALL"] = True
        tc.cache_variables["SCXPP_INSTALL_EXAMPLES"] = False
        # libbpf comes from Conan, not bundled into the package.
        tc.cache_variables["SCXPP_INSTALL_LIBBPF"] = False
        # cmake/ScxppLibbpf.cmake looks for include/bpf/libbpf.h and lib/libbpf.* here.
        tc.cache_variables["SCXPP_LIBBPF_ROOT"] = \
            self.dependencies["libbpf"].package_folder.replace("\\", "/")
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()
        cmake.build()

    def package(self):
        licenses = os.path.join(self.package_folder, "licenses")
        copy(self, "LICENSE", src=self.source_folder, dst=licenses)
        copy(self, "*", src=os.path.join(self.source_folder, "LICENSES"), dst=licenses)
        CMake(self).install()
        rmdir(self, os.path.join(self.package_folder, "lib", "pkgconfig"))
        rmdir(self, os.path.join(self.package_folder, "share", "doc"))
        # CMakeDeps writes the consumers' scxppConfig.cmake; scxpp's own config and target
        # files would only confuse find_package. ScxppBpf.cmake stays: it is a build module.
        cmake_dir = os.path.join(self.package_folder, "lib", "cmake", "scxpp")
        rm(self, "scxppConfig*.cmake", cmake_dir)
        rm(self, "scxppTargets*.cmake", cmake_dir)
        # What scxppConfig.cmake would tell scxpp_add_bpf_skeleton(): where the packaged
        # vmlinux.h and BPF headers are (relative to this file: the package relocates).
        save(self, os.path.join(cmake_dir, "ScxppConanDefaults.cmake"),
             "# Generated by scxpp's Conan recipe.\n"
             "get_filename_component(_scxpp_prefix \"${CMAKE_CURRENT_LIST_DIR}/../../..\" ABSOLUTE)\n"
             "set_property(GLOBAL PROPERTY SCXPP_PACKAGE_VMLINUX_DIR \"${_scxpp_prefix}/share/scxpp/vmlinux\")\n"
             "set_property(GLOBAL PROPERTY SCXPP_PACKAGE_BPF_INCLUDE_DIRS\n"
             "             \"${_scxpp_prefix}/include;${libbpf_INCLUDE_DIRS}\")\n"
             "set_property(GLOBAL PROPERTY SCXPP_VM_RUNNER \"${_scxpp_prefix}/bin/scxpp-vm-run\")\n")

    def package_info(self):
        # The same targets scxpp's own CMake package exports: scxpp::scxpp (the library),
        # scxpp::bpf (the BPF headers) and scxpp::libbpf (libbpf, here Conan's).
        self.cpp_info.set_property("cmake_file_name", "scxpp")
        self.cpp_info.set_property("pkg_config_name", "scxpp")
        self.cpp_info.set_property("cmake_build_modules",
                                   [os.path.join("lib", "cmake", "scxpp", "ScxppConanDefaults.cmake"),
                                    os.path.join("lib", "cmake", "scxpp", "ScxppBpf.cmake"),
                                    os.path.join("lib", "cmake", "scxpp", "ScxppVmTest.cmake")])
        self.cpp_info.builddirs = [os.path.join("lib", "cmake", "scxpp")]
        self.cpp_info.resdirs = ["share"]

        bpf = self.cpp_info.components["bpf"]
        bpf.set_property("cmake_target_name", "scxpp::bpf")
        bpf.libs = []
        bpf.bindirs = []

        libbpf = self.cpp_info.components["libbpf"]
        libbpf.set_property("cmake_target_name", "scxpp::libbpf")
        libbpf.requires = ["libbpf::libbpf"]
        libbpf.includedirs = []
        libbpf.libdirs = []
        libbpf.bindirs = []

        lib = self.cpp_info.components["libscxpp"]
        lib.set_property("cmake_target_name", "scxpp::scxpp")
        lib.set_property("pkg_config_name", "scxpp")
        lib.libs = ["scxpp"]
        lib.requires = ["bpf", "libbpf", "abseil::abseil", "fmt::fmt"]
        lib.system_libs = ["pthread"]
