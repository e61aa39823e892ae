// What the trace.dat reader holds at most, whatever sizes a file claims.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rtlat {
inline namespace v1 {
namespace detail {

inline std::string byte_count(std::uint64_t n) {
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) return std::to_string(n >> 20) + " MiB";
  return std::to_string(n) + " bytes";
}

// Every size read from a file is checked, before anything is allocated, against what the file can
// hold (its size; for compressed data, the most the format can expand to) and against one of the
// limits below, so that no input makes the reader hold more than a few tens of MiB. Each limit is
// several times what real recordings need; a file beyond one is an InputError that names it.
inline constexpr std::uint64_t mib = 1ull << 20;
// One metadata item held whole: a v7 section (decompressed) or a v6 header_page, format or option.
inline constexpr std::uint64_t max_section_bytes = 16 * mib;
// Saved cmdlines, kept for the whole read: kernels save at most 32768 "pid comm" lines (< 1 MiB).
inline constexpr std::uint64_t max_cmdlines_bytes = 4 * mib;
// Event formats of the file, all together: the text read, and the part given to libtraceevent
// (header and fields), which it keeps, at about 2.5 times the size. Every event of a kernel
// (record -e all) is a few MiB of text, and a few thousand formats.
inline constexpr std::uint64_t max_format_text_bytes = 16 * mib;
inline constexpr std::uint64_t max_format_field_bytes = 6 * mib;
inline constexpr std::uint32_t max_formats = 16384;
// Metadata sections decompressed in all: bounds the work of a chain of options sections.
inline constexpr std::uint64_t max_metadata_total = 64 * mib;
inline constexpr std::uint32_t max_option_sections = 1024;
// Instance buffers, and per-CPU data entries of all buffers together.
inline constexpr std::size_t max_buffers = 256;
inline constexpr std::size_t max_cpu_entries = 65536;
// The buffers of one read(), all CPUs together: pages or decompressed chunks, the compressed
// read-ahead and the decoded event batches (trace-cmd's chunks are 10 pages).
inline constexpr std::uint64_t read_budget_bytes = 24 * mib;
inline constexpr std::uint64_t max_chunk_bytes = 16 * mib;  // one decompressed data chunk
inline std::string over_limit(std::string_view what, std::uint64_t n, std::uint64_t limit) {
  return std::string(what) + " of " + std::to_string(n) +
         " bytes: more than the reader's limit of " + byte_count(limit);
}

// A string option or name kept (uname, trace clock, a buffer's name): real ones are a line.
inline constexpr std::uint64_t max_option_bytes = 64u << 10;
// kallsyms is scanned, never held, but only this far: a distribution kernel's is about 10 MiB.
inline constexpr std::uint64_t max_kallsyms_bytes = 64 * mib;

// The most output one byte of input can give: deflate's limit is 1032:1; zstd's is set by its
// smallest block (4 bytes of RLE) holding the largest (128 KiB).
inline constexpr std::uint64_t max_expansion_zlib = 1032;
inline constexpr std::uint64_t max_expansion_zstd = 32768;

}  // namespace detail
}  // namespace v1
}  // namespace rtlat
