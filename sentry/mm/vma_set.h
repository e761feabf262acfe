// The sentry's authoritative list of a guest's mappings. Pure bookkeeping (no host calls),
// so that mmap policy can be unit-tested.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ms::mm {

// What backs a file mapping; fs/ provides the implementation (memfd-backed tmpfs files,
// copies of host files).
class MappedFile {
 public:
  virtual ~MappedFile() = default;
  // For /proc/PID/maps.
  virtual std::string name() const = 0;
  virtual uint64_t device() const { return 0; }
  virtual uint64_t inode() const { return 0; }
};

struct Vma {
  uint64_t start = 0;
  uint64_t end = 0;
  int prot = 0;
  int flags = 0;        // MAP_PRIVATE / MAP_SHARED, MAP_ANONYMOUS, MAP_GROWSDOWN, MAP_NORESERVE...
  uint64_t offset = 0;  // file offset of start
  std::shared_ptr<MappedFile> file;
  std::string name;  // "[heap]", "[stack]", or empty

  uint64_t length() const { return end - start; }
  bool shared() const;
};

class VmaSet {
 public:
  // The VMA containing addr, or nullptr.
  const Vma* find(uint64_t addr) const;
  // Inserts v, replacing whatever overlapped it (MAP_FIXED semantics), and merges it with
  // neighbours that are the same kind of mapping, as Linux does.
  void insert(Vma v);
  // Removes [start, end), splitting VMAs at the edges.
  void remove(uint64_t start, uint64_t end);
  // True when every byte of [start, end) is mapped.
  bool covered(uint64_t start, uint64_t end) const;
  // True when no byte of [start, end) is mapped.
  bool free(uint64_t start, uint64_t end) const;
  // Sets prot on [start, end), splitting at the edges; the caller checked covered().
  void protect(uint64_t start, uint64_t end, int prot);
  // The highest free range of len bytes inside [floor, ceiling), or nullopt.
  std::optional<uint64_t> find_free_top_down(uint64_t len, uint64_t floor, uint64_t ceiling) const;
  // VMAs overlapping [start, end), in address order.
  std::vector<const Vma*> overlapping(uint64_t start, uint64_t end) const;
  void for_each(const std::function<void(const Vma&)>& f) const;
  size_t size() const { return vmas_.size(); }

 private:
  // Splits the VMA containing addr so that one starts exactly at addr.
  void split_at(uint64_t addr);
  // Joins the VMA starting at addr with the one before it when they are compatible.
  void merge_at(uint64_t addr);
  std::map<uint64_t, Vma> vmas_;  // by start
};

}  // namespace ms::mm
