#include "net/buffer.h"

#include <algorithm>
#include <cstring>

namespace ms::net {
namespace {

// A new chunk is at least this big, so that small writes share one allocation; at most this
// big, so that one huge write does not pin a huge block until its last byte is read.
constexpr size_t kMinChunk = 16 * 1024;
constexpr size_t kMaxChunk = 1 << 20;

// Bytes [from, from + dst.size()) of a slice sequence into dst; how many there were.
template <class Slices>
size_t copy_slices(const Slices& slices, std::span<std::byte> dst, size_t from) {
  size_t done = 0;
  for (const Slice& s : slices) {
    if (done == dst.size()) break;
    if (from >= s.length) {
      from -= s.length;
      continue;
    }
    const size_t take = std::min<size_t>(dst.size() - done, s.length - from);
    std::memcpy(dst.data() + done, s.bytes().data() + from, take);
    done += take;
    from = 0;
  }
  return done;
}

// Bytes [from, from + len) of a slice sequence as a payload sharing their chunks.
template <class Slices>
Payload share_slices(const Slices& slices, size_t from, size_t len) {
  Payload out;
  for (const Slice& s : slices) {
    if (len == 0) break;
    if (from >= s.length) {
      from -= s.length;
      continue;
    }
    const size_t take = std::min<size_t>(len, s.length - from);
    out.append(s.sub(from, take));
    len -= take;
    from = 0;
  }
  return out;
}

}  // namespace

Chunk::Chunk(size_t capacity)
    : data_(std::make_unique_for_overwrite<std::byte[]>(capacity)), capacity_(capacity) {}

size_t Chunk::append(std::span<const std::byte> src) {
  const size_t n = std::min(src.size(), room());
  if (n > 0) std::memcpy(data_.get() + size_, src.data(), n);
  size_ += n;
  return n;
}

Payload Payload::copy_of(std::span<const std::byte> bytes) {
  Payload p;
  if (bytes.empty()) return p;
  auto chunk = std::make_shared<Chunk>(bytes.size());
  chunk->append(bytes);
  p.append(Slice{std::move(chunk), 0, static_cast<uint32_t>(bytes.size())});
  return p;
}

void Payload::append(Slice s) {
  if (s.length == 0) return;
  if (!slices_.empty()) {
    Slice& last = slices_.back();
    if (last.chunk == s.chunk && last.offset + last.length == s.offset) {
      last.length += s.length;
      size_ += s.length;
      return;
    }
  }
  size_ += s.length;
  slices_.push_back(std::move(s));
}

Payload Payload::sub(size_t from, size_t len) const {
  return share_slices(slices_, from, len);
}

size_t Payload::copy_to(std::span<std::byte> dst, size_t from) const {
  return copy_slices(slices_, dst, from);
}

std::vector<std::byte> Payload::to_vector() const {
  std::vector<std::byte> v(size_);
  copy_to(v);
  return v;
}

void ByteQueue::append_copy(std::span<const std::byte> src) {
  while (!src.empty()) {
    if (!tail_ || tail_->room() == 0) {
      tail_ = std::make_shared<Chunk>(std::clamp(src.size(), kMinChunk, kMaxChunk));
    }
    const auto offset = static_cast<uint32_t>(tail_->size());
    const size_t n = tail_->append(src);
    src = src.subspan(n);
    size_ += n;
    // Extend the last slice when it ends where the new bytes start.
    if (!slices_.empty()) {
      Slice& last = slices_.back();
      if (last.chunk == tail_ && last.offset + last.length == offset) {
        last.length += static_cast<uint32_t>(n);
        continue;
      }
    }
    slices_.push_back(Slice{tail_, offset, static_cast<uint32_t>(n)});
  }
}

void ByteQueue::append(Slice s) {
  if (s.length == 0) return;
  size_ += s.length;
  if (!slices_.empty()) {
    Slice& last = slices_.back();
    if (last.chunk == s.chunk && last.offset + last.length == s.offset) {
      last.length += s.length;
      return;
    }
  }
  slices_.push_back(std::move(s));
}

void ByteQueue::append(const Payload& p) {
  for (const Slice& s : p.slices())
    append(s);
}

size_t ByteQueue::copy_out(std::span<std::byte> dst, size_t from) const {
  return copy_slices(slices_, dst, from);
}

void ByteQueue::consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    Slice& s = slices_.front();
    if (n < s.length) {
      s.offset += static_cast<uint32_t>(n);
      s.length -= static_cast<uint32_t>(n);
      return;
    }
    n -= s.length;
    slices_.pop_front();
  }
}

Payload ByteQueue::share(size_t from, size_t len) const {
  return share_slices(slices_, from, len);
}

void ByteQueue::clear() {
  slices_.clear();
  size_ = 0;
  tail_.reset();
}

}  // namespace ms::net
