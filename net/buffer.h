// Byte storage for the stack. Data is copied once, from the writer into a Chunk; from then on
// the send queue, segments in flight and the peer's receive queue share it by reference
// until the reader copies it out. That keeps a loopback transfer at two copies per byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

namespace ms::net {

// Append-only storage: bytes below size() never change once written, so slices of them can be
// shared freely while the owner keeps appending.
class Chunk {
 public:
  explicit Chunk(size_t capacity);
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t room() const { return capacity_ - size_; }
  const std::byte* data() const { return data_.get(); }
  // Copies as much of src as fits; returns how much.
  size_t append(std::span<const std::byte> src);

 private:
  std::unique_ptr<std::byte[]> data_;
  size_t size_ = 0;
  size_t capacity_;
};

// A shared view of bytes in a chunk.
struct Slice {
  std::shared_ptr<const Chunk> chunk;
  uint32_t offset = 0;
  uint32_t length = 0;

  std::span<const std::byte> bytes() const { return std::span(chunk->data() + offset, length); }
  Slice sub(size_t from, size_t len) const {
    return Slice{chunk, static_cast<uint32_t>(offset + from), static_cast<uint32_t>(len)};
  }
};

// The data of one packet or datagram: usually one or two slices.
class Payload {
 public:
  Payload() = default;
  // A payload holding a private copy of bytes.
  static Payload copy_of(std::span<const std::byte> bytes);

  void append(Slice s);
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::vector<Slice>& slices() const { return slices_; }
  // Bytes [from, from + len), sharing storage.
  Payload sub(size_t from, size_t len) const;
  // Copies up to dst.size() bytes starting at `from`; returns how many.
  size_t copy_to(std::span<std::byte> dst, size_t from = 0) const;
  std::vector<std::byte> to_vector() const;

 private:
  std::vector<Slice> slices_;
  size_t size_ = 0;
};

// A FIFO byte stream made of shared slices: a TCP send or receive queue.
class ByteQueue {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Copies src into the queue, filling the last chunk before allocating a new one.
  void append_copy(std::span<const std::byte> src);
  void append(const Payload& p);
  void append(Slice s);
  // Copies bytes [from, from + dst.size()) out without consuming; returns how many.
  size_t copy_out(std::span<std::byte> dst, size_t from = 0) const;
  // Drops the first n bytes (n <= size()).
  void consume(size_t n);
  // Shares bytes [from, from + len) as a payload.
  Payload share(size_t from, size_t len) const;
  void clear();

 private:
  // The chunk being filled: bytes past its size() are not shared yet, so appends go there.
  std::shared_ptr<Chunk> tail_;
  std::deque<Slice> slices_;
  size_t size_ = 0;
};

}  // namespace ms::net
