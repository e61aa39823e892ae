// The rtlat_compiled library: the one definition of what the headers only declare under
// RTLAT_COMPILED (detail/linkage.hpp). It includes the header-only implementations and wraps
// them, so both modes run the same code.
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "rtlat/detail/drive.hpp"
#include "rtlat/detail/opened_file.hpp"

// Under RTLAT_COMPILED_SOURCE these declare the compiled face and define its report writers.
#include "rtlat/analyze.hpp"
#include "rtlat/report/json.hpp"

namespace rtlat {
inline namespace v1 {

FileSource::FileSource(const std::string& path, const OpenOptions& opts)
    : file_(new detail::OpenedFile(path, opts)) {}
FileSource::FileSource(FileSource&& other) noexcept : file_(std::exchange(other.file_, nullptr)) {}
FileSource& FileSource::operator=(FileSource&& other) noexcept {
  if (this != &other) {
    delete file_;
    file_ = std::exchange(other.file_, nullptr);
  }
  return *this;
}
FileSource::~FileSource() {
  delete file_;
}

const SourceInfo& FileSource::info() const noexcept {
  return file_->info();
}
bool FileSource::is_tracedat() const noexcept {
  return file_->is_tracedat();
}
const std::vector<std::string>& FileSource::notes() const noexcept {
  return file_->notes();
}

void FileSource::read(detail::SinkRef sink, bool parallel) {
  if (parallel)
    file_->read_parallel(sink);
  else
    file_->read(sink);
}

FileSource open(const std::string& path, const OpenOptions& opts) {
  return FileSource(path, opts);
}

Results analyze(FileSource& src, Config config) {
  return analyze(*src.file_, std::move(config));
}
Results analyze(FileSource& src, Analyzer& engine) {
  return analyze(*src.file_, engine);
}

}  // namespace v1
}  // namespace rtlat
