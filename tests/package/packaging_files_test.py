#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""packaging_files_test.py SOURCE_DIR VERSION

What can be checked of the vcpkg port and the Conan recipe without vcpkg or Conan (neither
is reachable from the build machines):
  - packaging/vcpkg/ports/scxpp/vcpkg.json is valid JSON with the fields vcpkg requires, its
    version is the project's, it depends on libbpf and on the host helpers the portfile
    calls (vcpkg-cmake, vcpkg-cmake-config);
  - the portfile turns off tests/examples/benchmarks and the bundled libbpf, and fixes up
    the config directory it installs to;
  - packaging/conan/conanfile.py and test_package/conanfile.py compile (py_compile), the
    recipe takes its version from the project (set_version) and passes the same CMake options;
  - the Conan test_package's CMakeLists uses find_package(scxpp CONFIG REQUIRED),
    scxpp_add_bpf_skeleton() and scxpp::scxpp — the consumer tests build exactly that.
Prints every failure, exits 1 if any.
"""
import json
import py_compile
import shutil
import re
import sys
import tempfile
from pathlib import Path

src, version = Path(sys.argv[1]), sys.argv[2]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


port = src / "packaging/vcpkg/ports/scxpp"
try:
    manifest = json.loads((port / "vcpkg.json").read_text())
except (OSError, ValueError) as e:
    manifest = {}
    failures.append(f"vcpkg.json: {e}")
if manifest:
    check(manifest.get("name") == "scxpp", "vcpkg.json: name is not scxpp")
    mver = manifest.get("version") or manifest.get("version-semver") or manifest.get("version-string")
    check(mver == version, f"vcpkg.json: version {mver!r}, the project is {version}")
    deps = {d if isinstance(d, str) else d.get("name"): d for d in manifest.get("dependencies", [])}
    for dep in ("libbpf", "abseil", "fmt"):
        check(dep in deps, f"vcpkg.json: no dependency on {dep}")
    for host in ("vcpkg-cmake", "vcpkg-cmake-config"):
        check(isinstance(deps.get(host), dict) and deps[host].get("host") is True,
              f"vcpkg.json: {host} must be a host dependency")
    check(manifest.get("supports") == "linux", "vcpkg.json: supports must be linux")
    check("license" in manifest, "vcpkg.json: no license")
portfile = (port / "portfile.cmake").read_text() if (port / "portfile.cmake").exists() else ""
check(portfile, "vcpkg: portfile.cmake missing")
for opt in ("-DSCXPP_BUILD_TESTS=OFF", "-DSCXPP_BUILD_EXAMPLES=OFF", "-DSCXPP_BUILD_BENCHMARKS=OFF",
            "-DSCXPP_INSTALL_LIBBPF=OFF", "vcpkg_cmake_install", "vcpkg_cmake_config_fixup",
            "vcpkg_fixup_pkgconfig", "vcpkg_install_copyright"):
    check(opt in portfile, f"vcpkg portfile.cmake: does not use {opt}")
check((port / "usage").exists(), "vcpkg: usage file missing")

conan = src / "packaging/conan"
tmp = tempfile.mkdtemp(prefix="scxpp-pycompile-")
for i, f in enumerate((conan / "conanfile.py", conan / "test_package/conanfile.py")):
    try:
        py_compile.compile(str(f), doraise=True, cfile=f"{tmp}/{i}.pyc")
    except (py_compile.PyCompileError, OSError) as e:
        failures.append(f"{f}: {e}")
recipe = (conan / "conanfile.py").read_text() if (conan / "conanfile.py").exists() else ""
# The version comes from CMakeLists.txt through set_version() (package.conan_recipe checks
# the value); a literal copy would drift.
check("def set_version" in recipe and not re.search(r'^\s*version\s*=', recipe, re.M),
      "conanfile.py: the version must come from set_version(), not a literal")
for opt in ("SCXPP_BUILD_TESTS", "SCXPP_BUILD_EXAMPLES", "SCXPP_BUILD_BENCHMARKS", "SCXPP_INSTALL_LIBBPF",
            'requires("libbpf/', "cmake_build_modules", "ScxppBpf.cmake"):
    check(opt in recipe, f"conanfile.py: does not mention {opt}")
tp = conan / "test_package/CMakeLists.txt"
tp_text = tp.read_text() if tp.exists() else ""
for needle in ("find_package(scxpp CONFIG REQUIRED)", "scxpp_add_bpf_skeleton(", "scxpp::scxpp"):
    check(needle in tp_text, f"conan test_package/CMakeLists.txt: no {needle}")

shutil.rmtree(tmp, ignore_errors=True)
for f in failures:
    print("FAIL:", f)
if not failures:
    print(f"PASS: vcpkg port and Conan recipe consistent with scxpp {version}")
sys.exit(1 if failures else 0)
