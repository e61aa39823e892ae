// Reads a trace.dat under an address-space limit, for tests/tracedat_limits_test.cpp, which runs
// it on hostile files and checks how it ends and its peak RSS. Built without sanitizers: ASan
// reserves terabytes of address space and cannot run under RLIMIT_AS.
//
//   read_limited LIMIT_MIB FILE [DECODE_THREADS]
//
// LIMIT_MIB 0 sets no limit. Prints one line on how the read ended, then "peak RSS N KiB". Exit
// status: 0 read (the line gives the event count), 2 InputError (the line is its what()),
// 3 bad_alloc, 4 usage, 5 any other exception, 128 + N killed by signal N.
//
// The read runs in a child forked from this small process, and its peak RSS is what wait4 says
// about that child. A child forked from the test itself would not do: Linux keeps the peak RSS
// of the image a process replaces by exec, and the test's is that of an ASan process.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rtlat/source/tracedat.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <new>
#include <string>

namespace {

struct Count {
  std::uint64_t events = 0, tasks = 0;
  void feed(const rtlat::Event&) { ++events; }
  void task_info(const rtlat::TaskInfo&) { ++tasks; }
};

// VmPeak and VmHWM of this process, from /proc/self/status.
std::string peaks() {
  std::ifstream f("/proc/self/status");
  std::string line, out;
  while (std::getline(f, line))
    if (line.rfind("VmPeak:", 0) == 0 || line.rfind("VmHWM:", 0) == 0) out += " " + line;
  return out;
}

int read_file(int argc, char** argv);

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::fprintf(stderr, "usage: read_limited LIMIT_MIB FILE [DECODE_THREADS]\n");
    return 4;
  }
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("fork");
    return 4;
  }
  if (pid == 0) {
    const int status = read_file(argc, argv);
    std::fflush(stdout);
    _exit(status);
  }
  int st = 0;
  rusage ru{};
  if (wait4(pid, &st, 0, &ru) != pid) {
    std::perror("wait4");
    return 4;
  }
  std::printf("peak RSS %ld KiB\n", ru.ru_maxrss);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

namespace {

int read_file(int argc, char** argv) {
  const unsigned long long mib = std::strtoull(argv[1], nullptr, 10);
  if (mib != 0) {
    const rlimit lim{mib << 20, mib << 20};
    if (setrlimit(RLIMIT_AS, &lim) != 0) {
      std::perror("setrlimit");
      return 4;
    }
  }
  try {
    rtlat::TraceDatOptions o;
    if (argc == 4) o.decode_threads = std::atoi(argv[3]);
    rtlat::TraceDatSource src(argv[2], o);
    Count c;
    src.read(c);
    std::printf("%llu events%s\n", static_cast<unsigned long long>(c.events), peaks().c_str());
    return 0;
  } catch (const rtlat::InputError& e) {
    std::printf("%s\n%s\n", e.what(), peaks().c_str());
    return 2;
  } catch (const std::bad_alloc&) {
    std::printf("bad_alloc%s\n", peaks().c_str());
    return 3;
  } catch (const std::exception& e) {
    std::printf("exception: %s\n", e.what());
    return 5;
  }
}

}  // namespace
