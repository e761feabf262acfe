// Parses and validates an ELF64 little-endian x86-64 executable (ET_EXEC or ET_DYN).
// The input is hostile: every field is checked before use, and the result names the first
// problem found in words a user can act on.
#pragma once

#include <cstddef>
#include <expected>
#include <span>
#include <string>

#include "loader/elf_image.h"

namespace ms::loader {

// On failure, a short reason without the file name, e.g. "not an ELF file",
// "not an x86-64 executable", "program headers extend past the end of the file".
std::expected<ElfImage, std::string> parse_elf(std::span<const std::byte> file);

}  // namespace ms::loader
