// Feeds arbitrary bytes to parse_elf() and checks that whatever it accepts is an image
// plan_load() can turn into a sane plan.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include "loader/elf_parser.h"
#include "loader/load_plan.h"

namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kTaskSize = 0x7ffffffff000;
constexpr uint64_t kPieBias = 0x555555554000;

void check(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

bool aligned(uint64_t v) {
  return v % kPage == 0;
}

// True when [addr, addr+len) is covered by the maps, which are ascending and disjoint.
bool mapped(const ms::loader::LoadPlan& plan, uint64_t addr, uint64_t len) {
  const uint64_t end = addr + len;
  for (const auto& map : plan.maps) {
    if (addr >= end) break;
    if (map.addr + map.len <= addr) continue;
    if (map.addr > addr) return false;  // a hole
    addr = map.addr + map.len;
  }
  return addr >= end;
}

void check_image(const ms::loader::ElfImage& image, size_t file_size) {
  check(!image.segments.empty(), "no segments");
  bool entry_found = false;
  uint64_t prev_end = 0;
  for (const auto& s : image.segments) {
    check(s.memsz > 0, "empty segment kept");
    check(s.filesz <= s.memsz, "filesz > memsz");
    check(s.vaddr <= kTaskSize && s.memsz <= kTaskSize - s.vaddr, "segment beyond TASK_SIZE");
    check(s.filesz == 0 || (s.offset <= file_size && s.filesz <= file_size - s.offset),
          "segment beyond the file");
    check(s.vaddr % kPage == s.offset % kPage, "incongruent segment");
    check(s.vaddr >= prev_end, "segments overlap or descend");
    prev_end = s.vaddr + s.memsz;
    if ((s.prot & PROT_EXEC) && image.entry >= s.vaddr && image.entry - s.vaddr < s.memsz) {
      entry_found = true;
    }
  }
  check(entry_found, "entry outside the executable segments");
  check(aligned(image.lowest_vaddr) && aligned(image.highest_vaddr), "unaligned bounds");
  check(image.lowest_vaddr <= image.segments.front().vaddr, "lowest_vaddr");
  check(image.highest_vaddr >= prev_end && image.highest_vaddr <= kTaskSize, "highest_vaddr");
  check(!image.interpreter || !image.interpreter->empty(), "empty interpreter");
}

void check_plan(const ms::loader::ElfImage& image, const ms::loader::LoadPlan& plan, uint64_t bias,
                size_t file_size) {
  check(!plan.maps.empty(), "no maps");
  uint64_t prev_end = 0;
  for (const auto& map : plan.maps) {
    check(aligned(map.addr) && aligned(map.len) && map.len > 0, "unaligned or empty map");
    check(map.addr >= prev_end, "maps overlap or descend");
    prev_end = map.addr + map.len;
  }
  check(plan.start == plan.maps.front().addr && plan.end == prev_end, "start/end");
  check(plan.start == bias + image.lowest_vaddr && plan.end == bias + image.highest_vaddr,
        "plan bounds differ from the image's");
  for (const auto& copy : plan.copies) {
    check(copy.len > 0 && mapped(plan, copy.addr, copy.len), "copy outside the maps");
    check(copy.file_offset + copy.len <= file_size, "copy beyond the file");
  }
  for (const auto& s : image.segments) {
    check(mapped(plan, bias + s.vaddr, s.memsz), "segment not mapped");
  }
  check(plan.entry == bias + image.entry, "entry");
  check(plan.phdr_addr == (image.phdr_vaddr ? bias + image.phdr_vaddr : 0), "phdr_addr");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto image = ms::loader::parse_elf(std::as_bytes(std::span(data, size)));
  if (!image) {
    check(!image.error().empty(), "empty reason");
    return 0;
  }
  check_image(*image, size);
  const uint64_t bias = image->position_independent ? kPieBias : 0;
  check_plan(*image, ms::loader::plan_load(*image, bias), bias, size);
  return 0;
}
