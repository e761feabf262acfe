#include "loader/load_plan.h"

#include "loader/page.h"

namespace ms::loader {

LoadPlan plan_load(const ElfImage& image, uint64_t bias) {
  LoadPlan plan;
  plan.bias = bias;
  for (const Segment& segment : image.segments) {
    if (segment.memsz == 0) continue;  // Linux maps nothing for it
    const uint64_t start = page_down(bias + segment.vaddr);
    const uint64_t end = page_up(bias + segment.vaddr + segment.memsz);
    // Segments ascend without overlapping, so the previous maps can reach into this range
    // only through the page this segment starts in; the later segment's protection wins it.
    while (!plan.maps.empty() && plan.maps.back().addr + plan.maps.back().len > start) {
      MapStep& prev = plan.maps.back();
      if (prev.addr >= start) {
        plan.maps.pop_back();
      } else {
        prev.len = start - prev.addr;
      }
    }
    if (!plan.maps.empty() && plan.maps.back().addr + plan.maps.back().len == start &&
        plan.maps.back().prot == segment.prot) {
      plan.maps.back().len = end - plan.maps.back().addr;
    } else {
      plan.maps.push_back({.addr = start, .len = end - start, .prot = segment.prot});
    }
    if (segment.filesz > 0) {
      plan.copies.push_back(
          {.addr = bias + segment.vaddr, .file_offset = segment.offset, .len = segment.filesz});
    }
  }
  plan.entry = bias + image.entry;
  plan.phdr_addr = image.phdr_vaddr == 0 ? 0 : bias + image.phdr_vaddr;
  if (!plan.maps.empty()) {
    plan.start = plan.maps.front().addr;
    plan.end = plan.maps.back().addr + plan.maps.back().len;
  }
  return plan;
}

}  // namespace ms::loader
