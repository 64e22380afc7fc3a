// SPDX-License-Identifier: Apache-2.0
// What scxppctl and the schedulers' flags hand to the live-control parsers:
// scxpp::ParseTunableValue (`scxppctl set`), scxpp::ParseTableKey (`scxppctl table ... add`)
// and scxpp::TableKeyFromBytes (keys read back from a BPF map for `table ... list`).
// Properties: a value is accepted only inside its range; a parsed key's map bytes decode to
// the same key, and its printed form parses to it again; errors say what was wrong.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "scxpp/control.h"

namespace {

bool SameKey(const scxpp::TableKey& a, const scxpp::TableKey& b) {
  return a.kind == b.kind && a.id == b.id && a.comm == b.comm;
}

void CheckValue(std::string_view text) {
  // A flag-like tunable, a bounded one, and one that spans the whole u64 range.
  static const scxpp::TunableDesc kDescs[] = {
      {"flag", "a switch", 0, 0, 1},
      {"slice_us", "a slice", 20000, 100, 1000000},
      {"any", "anything", 0, 0, UINT64_MAX},
  };
  for (const scxpp::TunableDesc& d : kDescs) {
    absl::StatusOr<uint64_t> v = scxpp::ParseTunableValue(d, text);
    if (v.ok()) {
      SCXPP_FUZZ_CHECK(*v >= d.min && *v <= d.max, "%s: %llu accepted", d.name.c_str(),
                       static_cast<unsigned long long>(*v));
    } else {
      SCXPP_FUZZ_CHECK(v.status().code() == absl::StatusCode::kInvalidArgument &&
                           v.status().message().find(d.name) != std::string_view::npos,
                       "%s: %s", d.name.c_str(), v.status().ToString().c_str());
    }
  }
}

void CheckKey(scxpp::KeyKind kind, std::string_view text) {
  // A cgroup given by path is looked up in the file system; only ids are fuzzed.
  if (kind == scxpp::KeyKind::kCgroup &&
      (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos)) {
    return;
  }
  absl::StatusOr<scxpp::TableKey> key = scxpp::ParseTableKey(kind, text);
  if (!key.ok()) {
    SCXPP_FUZZ_CHECK(!key.status().message().empty(), "empty message");
    return;
  }
  const std::string bytes = key->Bytes();
  absl::StatusOr<scxpp::TableKey> decoded = scxpp::TableKeyFromBytes(kind, bytes);
  SCXPP_FUZZ_CHECK(decoded.ok() && SameKey(*decoded, *key),
                   "key '%s' does not survive its map bytes (reads back as '%s')",
                   key->ToString().c_str(),
                   decoded.ok() ? decoded->ToString().c_str() : "an error");
  absl::StatusOr<scxpp::TableKey> reparsed = scxpp::ParseTableKey(kind, key->ToString());
  SCXPP_FUZZ_CHECK(reparsed.ok() && SameKey(*reparsed, *key), "'%s' does not parse back",
                   key->ToString().c_str());
}

void CheckBytes(scxpp::KeyKind kind, std::string_view bytes) {
  absl::StatusOr<scxpp::TableKey> key = scxpp::TableKeyFromBytes(kind, bytes);
  if (!key.ok()) return;
  (void)key->ToString();
  absl::StatusOr<scxpp::TableKey> again = scxpp::TableKeyFromBytes(kind, key->Bytes());
  SCXPP_FUZZ_CHECK(again.ok() && SameKey(*again, *key), "bytes do not round-trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // The first byte picks the parser, the rest is its input.
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0: CheckValue(text); break;
    case 1: CheckKey(scxpp::KeyKind::kPid, text); break;
    case 2: CheckKey(scxpp::KeyKind::kComm, text); break;
    case 3: CheckKey(scxpp::KeyKind::kCgroup, text); break;
    case 4: CheckBytes(scxpp::KeyKind::kPid, text); break;
    case 5: CheckBytes(scxpp::KeyKind::kComm, text); break;
    case 6: CheckBytes(scxpp::KeyKind::kCgroup, text); break;
  }
  return 0;
}
