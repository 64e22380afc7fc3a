#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""conan_recipe_test.py RECIPE_DIR WORK LIBBPF_PREFIX CMAKE GENERATOR

Runs packaging/conan/conanfile.py the way `conan create` would, without Conan (ConanCenter is
not reachable from the build machines): a stand-in for the parts of the Conan 2 API the
recipe uses (below) calls its methods in Conan's order -- set_version, export_sources (into
a fresh folder: the build sees only what the recipe exports), validate, requirements,
layout, generate, build, package, package_info -- with libbpf "from Conan" being a copy of
LIBBPF_PREFIX and Abseil and fmt from the system. Then it checks what a consumer gets:

  - the version is the project's; the licence names every licence the package carries;
  - configure and build succeed with the options generate() sets (tools included);
  - the package folder holds the library, scxppctl, the headers, the vendored vmlinux.h for
    x86 and arm64, the licences, the BPF build modules, and not scxpp's own config files
    (CMakeDeps writes the consumers' config);
  - package_info() exports scxpp::scxpp, scxpp::bpf and scxpp::libbpf, and its build modules
    point scxpp_add_bpf_skeleton() at the packaged vmlinux.h.
Prints every failure and exits 1 if any.
"""
import fnmatch
import glob
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import types

recipe_dir, work, libbpf_prefix, cmake, generator = sys.argv[1:6]
recipe_dir = os.path.abspath(recipe_dir)
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


# --- the stand-in for the Conan 2 API ---------------------------------------------------
class ConanInvalidConfiguration(Exception):
    pass


class _Settings(dict):
    def __getattr__(self, k):
        return self[k]


class _Options(dict):
    def __getattr__(self, k):
        return self[k]


class _Component:
    def __init__(self):
        self.props, self.libs, self.requires, self.system_libs = {}, [], [], []
        self.includedirs, self.libdirs, self.bindirs = ["include"], ["lib"], ["bin"]
        self.builddirs, self.resdirs = [], []

    def set_property(self, k, v):
        self.props[k] = v


class _CppInfo(_Component):
    def __init__(self):
        super().__init__()
        self.components = {}

    def __getattr__(self, k):
        raise AttributeError(k)


class _Components(dict):
    def __missing__(self, k):
        self[k] = _Component()
        return self[k]


class ConanFile:
    def __init__(self):
        self.settings = _Settings(os="Linux", arch="x86_64", compiler="gcc", build_type="Release")
        self.options = _Options(getattr(self, "default_options", {}))
        self.cpp_info = _CppInfo()
        self.cpp_info.components = _Components()
        self.requirements_seen = []

    def requires(self, ref, **kw):
        self.requirements_seen.append(ref)


def copy(conanfile, pattern, src, dst, **kw):
    src = os.path.normpath(src)
    n = 0
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d not in ("build", ".deps", ".git", "__pycache__")]
        for f in files:
            rel = os.path.relpath(os.path.join(root, f), src)
            if fnmatch.fnmatch(rel, pattern):
                os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
                shutil.copy2(os.path.join(root, f), os.path.join(dst, rel))
                n += 1
    return n


def load(conanfile, path):
    with open(path) as f:
        return f.read()


def save(conanfile, path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(content)


def rmdir(conanfile, path):
    shutil.rmtree(path, ignore_errors=True)


def rm(conanfile, pattern, folder, recursive=False):
    for p in glob.glob(os.path.join(folder, pattern)):
        os.remove(p)


def check_min_cppstd(conanfile, v):
    pass


def cmake_layout(conanfile):
    pass


class CMakeToolchain:
    def __init__(self, conanfile):
        self.conanfile = conanfile
        self.cache_variables = {}

    def generate(self):
        self.conanfile._cache_variables = dict(self.cache_variables)


class CMakeDeps:
    def __init__(self, conanfile):
        pass

    def generate(self):
        pass  # Abseil and fmt come from the system here; libbpf through SCXPP_LIBBPF_ROOT


class CMake:
    def __init__(self, conanfile):
        self.c = conanfile

    def _run(self, args):
        r = subprocess.run(args)
        if r.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:3])}... failed ({r.returncode})")

    def configure(self):
        args = [cmake, "-S", self.c.source_folder, "-B", self.c.build_folder, "-G", generator,
                "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"]
        for k, v in self.c._cache_variables.items():
            v = ("ON" if v else "OFF") if isinstance(v, bool) else v
            args.append(f"-D{k}={v}")
        self._run(args)

    def build(self):
        self._run([cmake, "--build", self.c.build_folder, "-j", "2"])

    def install(self):
        self._run([cmake, "--install", self.c.build_folder, "--prefix", self.c.package_folder])


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


_module("conan", ConanFile=ConanFile)
_module("conan.errors", ConanInvalidConfiguration=ConanInvalidConfiguration)
_module("conan.tools")
_module("conan.tools.build", check_min_cppstd=check_min_cppstd, can_run=lambda c: True)
_module("conan.tools.cmake", CMake=CMake, CMakeDeps=CMakeDeps, CMakeToolchain=CMakeToolchain,
        cmake_layout=cmake_layout)
_module("conan.tools.files", copy=copy, load=load, save=save, rmdir=rmdir, rm=rm)


# --- conan create, in order ----------------------------------------------------------------
def main():
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    spec = importlib.util.spec_from_file_location("conanfile", os.path.join(recipe_dir, "conanfile.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    cls = [c for c in vars(mod).values()
           if isinstance(c, type) and issubclass(c, ConanFile) and c is not ConanFile][0]
    r = cls()
    r.recipe_folder = recipe_dir
    if hasattr(r, "set_version"):
        r.set_version()
    with open(os.path.join(recipe_dir, "..", "..", "CMakeLists.txt")) as f:
        project_version = re.search(r"project\(scxpp VERSION ([0-9.]+)", f.read()).group(1)
    check(getattr(r, "version", None) == project_version,
          f"recipe version {getattr(r, 'version', None)!r}, the project is {project_version}")
    for field in ("url", "license", "description"):
        check(getattr(r, field, None), f"recipe has no {field}")

    r.export_sources_folder = os.path.join(work, "export")
    os.makedirs(r.export_sources_folder)
    r.export_sources()
    r.source_folder = r.export_sources_folder
    r.validate()
    r.requirements()
    check(any(x.startswith("libbpf/") for x in r.requirements_seen), "no libbpf requirement")
    r.layout()
    # libbpf as Conan's package folder would hold it.
    libbpf_pkg = os.path.join(work, "libbpf-package")
    shutil.copytree(libbpf_prefix, libbpf_pkg)
    if os.path.isdir(os.path.join(libbpf_pkg, "lib64")) and not os.path.exists(os.path.join(libbpf_pkg, "lib")):
        os.rename(os.path.join(libbpf_pkg, "lib64"), os.path.join(libbpf_pkg, "lib"))
    r.dependencies = {"libbpf": types.SimpleNamespace(package_folder=libbpf_pkg)}
    r.build_folder = os.path.join(work, "build")
    r.package_folder = os.path.join(work, "package")
    r.generate()
    try:
        r.build()
        r.package()
    except RuntimeError as e:
        failures.append(f"the recipe's build or package step failed: {e}")
        return
    r.package_info()

    pkg = r.package_folder
    for f in ("lib/libscxpp.a", "include/scxpp/scheduler.h", "include/scxpp/bpf/scxpp.bpf.h",
              "share/scxpp/vmlinux/x86/vmlinux.h", "share/scxpp/vmlinux/arm64/vmlinux.h",
              "lib/cmake/scxpp/ScxppBpf.cmake", "lib/cmake/scxpp/ScxppConanDefaults.cmake",
              "share/scxpp/templates/scheduler/NAME.bpf.c", "licenses/LICENSE",
              "bin/scxpp-vm-run", "lib/cmake/scxpp/ScxppVmTest.cmake"):
        check(os.path.isfile(os.path.join(pkg, f)), f"the package has no {f}")
    if r.options.get("tools", True):
        check(os.path.isfile(os.path.join(pkg, "bin/scxppctl")), "the package has no bin/scxppctl")
    for f in glob.glob(os.path.join(pkg, "lib/cmake/scxpp/scxpp*.cmake")):
        failures.append(f"the package keeps scxpp's own {os.path.basename(f)} beside CMakeDeps'")
    check(not os.path.exists(os.path.join(pkg, "lib/scxpp/libbpf.a")), "libbpf was bundled")
    spdx = {"Apache-2.0.txt": "Apache-2.0", "LGPL-2.1.txt": "LGPL-2.1-only",
            "BSD-2-Clause.txt": "BSD-2-Clause", "GPL-2.0-only.txt": "GPL-2.0-only"}
    for text, ident in spdx.items():
        check(os.path.isfile(os.path.join(pkg, "licenses", text)), f"licenses/{text} missing")
        check(ident in r.license, f"the recipe's license does not name {ident}")
    targets = {c.props.get("cmake_target_name") for c in r.cpp_info.components.values()}
    for t in ("scxpp::scxpp", "scxpp::bpf", "scxpp::libbpf"):
        check(t in targets, f"package_info() exports no {t} (exports {sorted(filter(None, targets))})")
    modules = r.cpp_info.props.get("cmake_build_modules", [])
    for m in modules:
        check(os.path.isfile(os.path.join(pkg, m)), f"build module {m} is not in the package")
    # The build modules, as CMakeDeps includes them, point the helper at the packaged header.
    probe = os.path.join(work, "probe.cmake")
    with open(probe, "w") as f:
        for m in modules:
            f.write(f'include("{os.path.join(pkg, m)}")\n')
        f.write('get_property(d GLOBAL PROPERTY SCXPP_PACKAGE_VMLINUX_DIR)\n'
                'if(NOT EXISTS "${d}/x86/vmlinux.h")\n'
                '  message(FATAL_ERROR "SCXPP_PACKAGE_VMLINUX_DIR=${d} has no x86/vmlinux.h")\n'
                'endif()\n'
                'get_property(r GLOBAL PROPERTY SCXPP_VM_RUNNER)\n'
                'if(NOT EXISTS "${r}" OR NOT COMMAND scxpp_add_vm_test)\n'
                '  message(FATAL_ERROR "scxpp_add_vm_test() or its runner (${r}) is missing")\n'
                'endif()\n')
    check(subprocess.run([cmake, "-P", probe]).returncode == 0,
          "the build modules do not point scxpp_add_bpf_skeleton() at the packaged vmlinux.h "
          "or do not give scxpp_add_vm_test() its runner")


main()
for f in failures:
    print("FAIL:", f)
if not failures:
    print("conan_recipe_test: the recipe exports, builds, packages and describes scxpp")
sys.exit(1 if failures else 0)
