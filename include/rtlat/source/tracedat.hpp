// trace.dat (trace-cmd file versions 6 and 7) as an rtlat event source.
//
//   rtlat::TraceDatSource src("trace.dat");
//   rtlat::Analyzer a;
//   src.read(a);  // saved cmdlines as task_info, then every event in time order
//
// The constructor parses the headers, event formats and options (InputError on bad input);
// read() streams the per-CPU ring-buffer pages, decompressing v7 chunks one at a time, and merges
// the CPUs by timestamp (ties: lower CPU first). Memory stays bounded by a few chunks per CPU.
#pragma once

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "rtlat/error.hpp"
#include "rtlat/event.hpp"
#include "rtlat/sink.hpp"
#include "rtlat/source/source_info.hpp"
#include "rtlat/source/syscalls.hpp"
#include "rtlat/source/tracedat_format.hpp"
#include "rtlat/source/tracedat_io.hpp"
#include "rtlat/source/tracedat_meta.hpp"
#include "rtlat/source/tracedat_stream.hpp"

namespace rtlat {
inline namespace v1 {

struct TraceDatOptions {
  std::string buffer;  // instance buffer name; empty = top buffer
  // Threads that decompress and decode the per-CPU data while the calling thread merges the CPUs
  // and feeds the sink: -1 = auto (workers when the data is large and there are spare cores),
  // 0 = everything on the calling thread, N = N workers.
  int decode_threads = -1;
};

class TraceDatSource {
 public:
  explicit TraceDatSource(std::string path, TraceDatOptions opts = {})
      : file_(path), opts_(std::move(opts)) {
    m_.path = std::move(path);
    parse();
  }
  // Also keeps the metadata as stored in `raw` (for rewriting tools).
  TraceDatSource(std::string path, TraceDatOptions opts, detail::RawTrace* raw)
      : file_(path), opts_(std::move(opts)) {
    m_.path = std::move(path);
    m_.raw = raw;
    parse();
    m_.raw = nullptr;
  }

  const SourceInfo& info() const noexcept { return info_; }
  // Things worth telling the user that are not errors (fallbacks, format parse failures).
  const std::vector<std::string>& notes() const noexcept { return m_.notes; }
  // The instance buffers in the file ("" is the top buffer).
  std::vector<std::string> buffer_names() const {
    std::vector<std::string> v;
    for (const auto& b : m_.buffers) v.push_back(b.name);
    return v;
  }
  const std::string& clock() const noexcept { return m_.clock; }
  const detail::TraceDatMeta& meta() const noexcept { return m_; }
  const detail::File& file() const noexcept { return file_; }

  // Streams everything into `sink`: first a task_info per saved cmdline, then the events in
  // time order. Throws InputError on corrupt data (events before the error were delivered).
  template <class Sink>
  void read(Sink& sink) {
    static_assert(detail::has_feed<Sink>::value,
                  "TraceDatSource::read needs a sink with `void feed(const rtlat::Event&)`");
    send_cmdlines(sink);
    const detail::BufferRef& buf = *selected_;
    std::size_t live = 0;
    for (const auto& c : buf.cpus) live += c.size != 0 ? 1 : 0;
    // Every buffer of this read comes out of one budget, whatever the CPU count and the sizes
    // the file claims: the event batches are sized to fit it first, the data buffers grow in it.
    detail::ReadBudget budget;
    std::size_t workers = opts_.decode_threads < 0 ? auto_workers(buf)
                                                   : static_cast<std::size_t>(opts_.decode_threads);
    workers = std::min({workers, live, max_workers});
    std::size_t batch = 0;
    if (workers > 0) {
      batch = batch_for(live, Channel::slots, threaded_batch_events, min_threaded_batch);
      if (batch == 0) workers = 0;  // too many CPUs to decode ahead: one batch each
    }
    if (workers == 0) batch = batch_for(live, 1, batch_events, min_batch);
    if (batch == 0 && live != 0) budget_fail(buf, live, "an event batch for each CPU");
    const std::uint64_t batch_bytes =
        std::uint64_t{live} * batch * sizeof(Event) * (workers > 0 ? Channel::slots : 1);
    if (!budget.take(batch_bytes)) budget_fail(buf, live, "an event batch for each CPU");
    if (!buf.compressed &&
        std::uint64_t{live} * (buf.page_size + 8) > budget.limit() - budget.used())
      budget_fail(buf, live, "a page for each CPU");
    std::vector<std::unique_ptr<detail::CpuStream>> streams;
    for (const auto& c : buf.cpus)
      if (c.size != 0)
        streams.push_back(std::make_unique<detail::CpuStream>(m_, file_, buf, c, &budget, live));
    if (workers > 0)
      merge_threaded(streams, workers, batch, sink);
    else
      merge(streams, batch, sink);
    for (const auto& s : streams) info_.skipped += s->skipped();
  }

 private:
  static constexpr std::size_t batch_events = 512;
  static constexpr std::size_t threaded_batch_events = 4096;  // 256 KB: one hand-off per 4096
  static constexpr std::size_t min_batch = 16, min_threaded_batch = 256;
  static constexpr std::size_t max_workers = 64;
  // The part of the read budget the event batches may take; the data buffers get the rest.
  static constexpr std::uint64_t batch_budget = detail::read_budget_bytes / 4;

  // The largest batch up to `most` events that lets `streams` x `slots` batches fit in
  // batch_budget, or 0 when not even `least` does. The merge gives the same sequence whatever
  // the batch size, so many CPUs only cost more hand-offs.
  static std::size_t batch_for(std::size_t streams, std::size_t slots, std::size_t most,
                               std::size_t least) {
    if (streams == 0) return most;
    const std::uint64_t fit = batch_budget / (std::uint64_t{streams} * slots * sizeof(Event));
    return fit < least ? 0 : static_cast<std::size_t>(std::min<std::uint64_t>(fit, most));
  }

  [[noreturn]] void budget_fail(const detail::BufferRef& buf, std::size_t live,
                                const char* what) const {
    fail(buf.name.empty() ? std::string("cpu data") : "buffer \"" + buf.name + "\" cpu data",
         std::to_string(live) + " CPUs with data: " + what +
             " would exceed the reader's limit of " +
             detail::byte_count(detail::read_budget_bytes) + " (page size " +
             std::to_string(buf.page_size) + ")");
  }

  // Worker threads pay off only when there is enough data. One core is left to the calling
  // thread, which merges and feeds the sink, and decodes too whenever the workers fall behind.
  std::size_t auto_workers(const detail::BufferRef& buf) const {
    std::uint64_t bytes = 0;
    for (const auto& c : buf.cpus) bytes += c.size;
    const unsigned hw = std::max(1u, std::thread::hardware_concurrency());
    if (hw < 2 || bytes < (8u << 20)) return 0;
    return hw - 1;
  }

  template <class Sink>
  void send_cmdlines(Sink& sink) {
    std::string_view s = m_.cmdlines;
    while (!s.empty()) {
      const std::size_t nl = s.find('\n');
      std::string_view line = s.substr(0, nl);
      s = nl == std::string_view::npos ? std::string_view{} : s.substr(nl + 1);
      const std::size_t sp = line.find(' ');
      if (sp == std::string_view::npos || sp == 0) continue;
      Pid pid = 0;
      bool ok = true;
      for (char c : line.substr(0, sp)) {
        if (c < '0' || c > '9' || pid > 100000000) {
          ok = false;
          break;
        }
        pid = pid * 10 + (c - '0');
      }
      if (!ok) continue;
      TaskInfo ti;
      ti.pid = pid;
      ti.comm = Comm::from(line.substr(sp + 1));
      sink_task_info(sink, ti);
    }
  }

  // Heap of stream indices ordered by (head timestamp, cpu).
  struct Head {
    Timestamp ts;
    int cpu;
    std::size_t idx;
  };
  static bool later(const Head& a, const Head& b) noexcept {
    return a.ts != b.ts ? a.ts > b.ts : a.cpu > b.cpu;
  }

  template <class Sink>
  void merge(std::vector<std::unique_ptr<detail::CpuStream>>& streams, std::size_t batch,
             Sink& sink) {
    const std::size_t n = streams.size();
    std::vector<std::vector<Event>> batches(n, std::vector<Event>(batch));
    std::vector<const Event*> view(n);
    for (std::size_t i = 0; i < n; ++i) view[i] = batches[i].data();
    detail::DecodeContext ctx;
    merge_views(
        n, view, [&](std::size_t i) { return streams[i]->fill(batches[i].data(), batch, ctx); },
        sink);
  }

  // Worker threads decode batches ahead into a small ring per stream; the calling thread merges
  // and feeds the sink. Worker w serves streams w, w + W, ... When the stream the merge needs has
  // no batch ready and no worker is filling it, the calling thread fills it itself instead of
  // sleeping: with one worker fewer than cores, the cores stay busy whichever side is behind
  // (decompression on one CPU's data, or the sink).
  struct Channel {
    static constexpr std::size_t slots = 4;
    std::mutex mu;
    std::condition_variable cv;  // a batch is ready or the stream ended
    std::vector<Event> batch[slots];
    std::size_t count[slots] = {};
    std::size_t head = 0, filled = 0;  // consumer reads slot `head`; `filled` slots are taken
    std::size_t tail = 0;              // the next slot to fill
    bool busy = false;                 // a thread is filling slot `tail`
    bool done = false;
    std::exception_ptr error;
  };

  // Fills the slot at c.tail from stream s; called with the lock held and c not busy. Marks c
  // busy and drops the lock while decoding; returns with the lock taken again, the batch
  // published (or the stream ended) and busy clear.
  static void fill_slot(detail::CpuStream& s, Channel& c, std::unique_lock<std::mutex>& lk,
                        detail::DecodeContext& ctx) {
    c.busy = true;
    const std::size_t slot = c.tail;
    lk.unlock();
    std::size_t got = 0;
    std::exception_ptr err;
    try {
      got = s.fill(c.batch[slot].data(), c.batch[slot].size(), ctx);
    } catch (...) {
      err = std::current_exception();
    }
    lk.lock();
    c.busy = false;
    if (err) {
      c.error = err;
      c.done = true;
    } else if (got == 0) {
      c.done = true;
    } else {
      c.count[slot] = got;
      ++c.filled;
      c.tail = (slot + 1) % Channel::slots;
    }
  }

  template <class Sink>
  void merge_threaded(std::vector<std::unique_ptr<detail::CpuStream>>& streams, std::size_t workers,
                      std::size_t batch, Sink& sink) {
    const std::size_t n = streams.size();
    std::vector<std::unique_ptr<Channel>> ch(n);
    for (auto& c : ch) {
      c = std::make_unique<Channel>();
      for (auto& b : c->batch) b.resize(batch);
    }
    // One decompression context per thread; the last one is the calling thread's.
    std::vector<detail::DecodeContext> ctx(workers + 1);
    detail::DecodeContext& own = ctx.back();
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> freed{0};  // bumped whenever the consumer frees a slot
    std::mutex wmu;
    std::condition_variable wcv;
    std::vector<std::thread> pool;
    struct Join {
      std::atomic<bool>& stop;
      std::mutex& wmu;
      std::condition_variable& wcv;
      std::vector<std::thread>& pool;
      ~Join() {
        stop.store(true);
        { std::lock_guard<std::mutex> lk(wmu); }
        wcv.notify_all();
        for (auto& t : pool) t.join();
      }
    } join{stop, wmu, wcv, pool};
    for (std::size_t w = 0; w < workers; ++w) {
      pool.emplace_back([&, w] {
        detail::DecodeContext& mine = ctx[w];
        for (;;) {
          const std::uint64_t seen = freed.load();
          bool any_live = false, progressed = false;
          // The stream with the fewest batches ready is the one the merge will wait for first.
          std::size_t best = n, best_filled = Channel::slots;
          for (std::size_t i = w; i < n; i += workers) {
            Channel& c = *ch[i];
            std::lock_guard<std::mutex> lk(c.mu);
            if (c.done) continue;
            any_live = true;
            if (!c.busy && c.filled < best_filled) best = i, best_filled = c.filled;
          }
          if (stop.load(std::memory_order_relaxed)) return;
          if (best != n) {
            Channel& c = *ch[best];
            std::unique_lock<std::mutex> lk(c.mu);
            if (!c.done && !c.busy && c.filled < Channel::slots) {
              fill_slot(*streams[best], c, lk, mine);
              lk.unlock();
              c.cv.notify_one();
              progressed = true;
            }
          }
          if (!any_live) return;
          if (!progressed) {
            std::unique_lock<std::mutex> lk(wmu);
            wcv.wait(lk, [&] { return stop.load() || freed.load() != seen; });
            if (stop.load()) return;
          }
        }
      });
    }
    // The consumer reads a batch in place; its slot stays counted in `filled` (so no worker
    // writes it) until the consumer asks for the next one.
    std::vector<const Event*> view(n);
    std::vector<bool> holding(n, false);
    auto next_batch = [&](std::size_t i) -> std::size_t {
      Channel& c = *ch[i];
      std::unique_lock<std::mutex> lk(c.mu);
      if (holding[i]) {
        c.head = (c.head + 1) % Channel::slots;
        --c.filled;
        holding[i] = false;
        freed.fetch_add(1);
        { std::lock_guard<std::mutex> wl(wmu); }
        wcv.notify_all();
      }
      while (c.filled == 0 && !c.done) {
        if (!c.busy) {
          fill_slot(*streams[i], c, lk, own);
          continue;
        }
        // A worker is filling it: fill another stream meanwhile, one that will be needed soon.
        lk.unlock();
        bool helped = false;
        for (std::size_t j = 0; j < n && !helped; ++j) {
          if (j == i) continue;
          Channel& o = *ch[j];
          std::unique_lock<std::mutex> ol(o.mu);
          if (o.busy || o.done || o.filled + (holding[j] ? 1 : 0) >= Channel::slots) continue;
          fill_slot(*streams[j], o, ol, own);
          ol.unlock();
          o.cv.notify_one();
          helped = true;
        }
        lk.lock();
        if (!helped && c.filled == 0 && !c.done && c.busy) c.cv.wait(lk);
      }
      if (c.filled == 0) {
        if (c.error) std::rethrow_exception(c.error);
        return 0;
      }
      holding[i] = true;
      view[i] = c.batch[c.head].data();
      return c.count[c.head];
    };
    merge_views(n, view, next_batch, sink);
  }

  // k-way merge of per-CPU batches. next_batch(i) refills view[i] and returns its length (0 at
  // the end of stream i). The earliest stream is fed until another one's head comes first, so
  // most events cost one comparison. Picking the earliest is a linear scan for up to 8 streams
  // (cheaper than a heap at that size: this machine's traces interleave CPUs event by event) and
  // a binary heap beyond.
  template <class Sink, class Next>
  void merge_views(std::size_t n, std::vector<const Event*>& view, Next&& next_batch, Sink& sink) {
    std::vector<std::size_t> pos(n, 0), len(n, 0);
    std::vector<Head> heads;  // live streams
    for (std::size_t i = 0; i < n; ++i) {
      len[i] = next_batch(i);
      if (len[i] != 0) heads.push_back({view[i][0].ts, view[i][0].cpu, i});
    }
    if (heads.size() == 2) {
      // The common case on small machines, and the hottest loop here: a plain two-way merge.
      std::size_t a = heads[0].idx, b = heads[1].idx;
      const Event* va = view[a];
      const Event* vb = view[b];
      std::size_t pa = 0, pb = 0, la = len[a], lb = len[b];
      for (;;) {
        const Event& x = va[pa];
        const Event& y = vb[pb];
        if (x.ts < y.ts || (x.ts == y.ts && x.cpu < y.cpu)) {
          sink_feed(sink, x);
          if (++pa == la) {
            info_.events += la;
            la = next_batch(a);
            va = view[a];
            pa = 0;
            if (la == 0) {
              std::swap(a, b), std::swap(va, vb), std::swap(pa, pb), std::swap(la, lb);
              break;
            }
          }
        } else {
          sink_feed(sink, y);
          if (++pb == lb) {
            info_.events += lb;
            lb = next_batch(b);
            vb = view[b];
            pb = 0;
            if (lb == 0) break;
          }
        }
      }
      // Stream `a` is what is left.
      heads.assign(1, Head{va[pa].ts, va[pa].cpu, a});
      pos[a] = pa;
      len[a] = la;
    }
    const bool use_heap = heads.size() > 8;
    if (use_heap) std::make_heap(heads.begin(), heads.end(), later);
    while (!heads.empty()) {
      // Take the earliest head out; `limit` is the earliest of the others.
      std::size_t best = 0;
      if (use_heap) {
        std::pop_heap(heads.begin(), heads.end(), later);
        best = heads.size() - 1;
      } else {
        for (std::size_t k = 1; k < heads.size(); ++k)
          if (later(heads[best], heads[k])) best = k;
      }
      const std::size_t i = heads[best].idx;
      bool others = heads.size() > 1;
      Head limit{0, 0, 0};
      if (others) {
        if (use_heap) {
          limit = heads.front();
        } else {
          bool first = true;
          for (std::size_t k = 0; k < heads.size(); ++k) {
            if (k == best) continue;
            if (first || later(limit, heads[k])) limit = heads[k];
            first = false;
          }
        }
      }
      const Event* v = view[i];
      std::size_t p = pos[i], l = len[i];
      for (;;) {
        sink_feed(sink, v[p]);
        if (++p == l) {
          info_.events += l;
          l = next_batch(i);
          v = view[i];
          p = 0;
          if (l == 0) break;
        }
        const Event& h = v[p];
        if (others && (h.ts > limit.ts || (h.ts == limit.ts && h.cpu > limit.cpu))) break;
      }
      if (l == 0) {
        // Stream finished: drop it.
        if (use_heap) {
          heads.pop_back();
        } else {
          heads[best] = heads.back();
          heads.pop_back();
        }
      } else {
        pos[i] = p;
        len[i] = l;
        heads[best] = {v[p].ts, v[p].cpu, i};
        if (use_heap) std::push_heap(heads.begin(), heads.end(), later);
      }
    }
  }

  // ---- parsing ----------------------------------------------------------------------------------

  [[noreturn]] void fail(const std::string& where, const std::string& why) const {
    throw InputError(file_.path(), where, why);
  }

  void parse() {
    m_.tep.reset(tep_alloc());
    if (!m_.tep) throw std::bad_alloc();
    detail::FileCursor c(file_, 0);
    c.set_section("initial header");
    const auto magic = c.bytes(10, "magic");
    if (magic != detail::tracedat_magic)
      c.fail("not a trace.dat file (wrong magic)");
    const std::string ver(c.cstr("version"));
    if (ver == "6")
      m_.version = 6;
    else if (ver == "7")
      m_.version = 7;
    else
      c.fail("unsupported trace.dat version \"" + ver.substr(0, 16) + "\" (6 and 7 are read)");
    const auto flags = c.bytes(2, "endianness and long size");
    const bool big = flags[0] != 0;
    if (flags[0] != 0 && flags[0] != 1) c.fail("bad endianness byte " + std::to_string(flags[0]));
    m_.long_size = static_cast<unsigned char>(flags[1]);
    if (m_.long_size != 4 && m_.long_size != 8)
      c.fail("bad long size " + std::to_string(m_.long_size));
    m_.order.swap = big != detail::host_is_big_endian();
    c.order = m_.order;
    m_.page_size = c.u32("page size");
    if (m_.page_size < 64 || m_.page_size > (1u << 24))
      c.fail_at(c.pos() - 4, "absurd page size " + std::to_string(m_.page_size));
    tep_set_file_bigendian(m_.tep.get(), big ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
    tep_set_local_bigendian(m_.tep.get(),
                            detail::host_is_big_endian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN);
    tep_set_long_size(m_.tep.get(), static_cast<int>(m_.long_size));
    tep_set_page_size(m_.tep.get(), static_cast<int>(m_.page_size));
    if (m_.version == 6)
      parse_v6(c);
    else
      parse_v7(c);
    meta_dec_.reset();
    finish();
  }

  void parse_v6(detail::FileCursor& c) {
    // kallsyms come after the formats; whether we need them is known once formats are parsed.
    c.set_section("header info");
    detail::parse_header_info(m_, c);
    c.set_section("ftrace formats");
    detail::parse_ftrace_formats(m_, c);
    c.set_section("event formats");
    detail::parse_event_formats(m_, c);
    m_.want_kallsyms = has_event("timer", "hrtimer_start") || m_.raw != nullptr;
    c.set_section("kallsyms");
    detail::parse_kallsyms(m_, c);
    c.set_section("printk formats");
    detail::parse_printk(m_, c);
    c.set_section("saved cmdlines");
    detail::parse_cmdlines(m_, c);
    c.set_section("cpu count");
    const std::uint64_t cpus_at = c.pos();
    const std::uint32_t cpus = c.u32("cpu count");
    if (cpus > max_cpus) c.fail_at(cpus_at, detail::too_many_cpus("cpu count", cpus));
    m_.cpus = static_cast<int>(cpus);
    c.set_section("options");
    auto tag = std::string(c.bytes(10, "section tag"));
    std::vector<std::pair<std::string, std::uint64_t>> instances;
    if (tag == std::string("options  \0", 10)) {
      for (int count = 0;; ++count) {
        if (count > 100000) c.fail("too many options");
        const std::uint16_t id = c.u16("option id");
        if (id == detail::opt_done) break;
        const std::uint32_t size = c.u32("option size");
        // Options nothing here reads (CPUSTAT, ...) are skipped, however large.
        if (m_.raw == nullptr && !detail::option_used(id)) {
          c.skip(size, "option data");
          continue;
        }
        const std::string data(
            c.bytes(size, "option data",
                    m_.raw != nullptr ? detail::max_section_bytes : detail::max_option_bytes));
        if (id == detail::opt_buffer) {
          if (data.size() < 9) c.fail("BUFFER option shorter than 9 bytes");
          if (instances.size() + 1 >= detail::max_buffers)
            c.fail("more than " + std::to_string(detail::max_buffers) +
                   " buffers: the reader's limit");
          const std::uint64_t off =
              m_.order.u64(reinterpret_cast<const unsigned char*>(data.data()));
          instances.emplace_back(detail::option_string(std::string_view(data).substr(8)), off);
        } else {
          detail::apply_common_option(m_, id, data, [&](const std::string& r) { c.fail(r); });
        }
      }
      c.set_section("data header");
      tag = std::string(c.bytes(10, "section tag"));
    }
    if (tag == std::string("latency  \0", 10))
      c.fail("latency (text) trace data: only flyrecord (ring-buffer) data can be read");
    if (tag != std::string("flyrecord\0", 10)) c.fail("expected \"flyrecord\" or \"options\"");
    detail::BufferRef top;
    top.page_size = m_.page_size;
    read_v6_cpus(c, top, cpus);
    m_.buffers.push_back(std::move(top));
    for (auto& [name, off] : instances) {
      detail::BufferRef b;
      b.name = name;
      b.page_size = m_.page_size;
      c.seek(off);
      c.set_section("buffer \"" + name + "\"");
      if (std::string(c.bytes(10, "flyrecord tag")) != std::string("flyrecord\0", 10))
        c.fail("expected \"flyrecord\"");
      read_v6_cpus(c, b, cpus);
      m_.buffers.push_back(std::move(b));
    }
  }

  void read_v6_cpus(detail::FileCursor& c, detail::BufferRef& b, std::uint32_t cpus) {
    count_cpu_entries(cpus, c.pos());
    for (std::uint32_t i = 0; i < cpus; ++i) {
      detail::CpuDataRef r;
      r.cpu = static_cast<int>(i);
      r.offset = c.u64("cpu data offset");
      r.size = c.u64("cpu data size");
      if (r.size != 0) file_.check_range(r.offset, r.size, "cpu " + std::to_string(i) + " data");
      b.cpus.push_back(r);
    }
  }

  // Per-CPU data entries of all buffers together are bounded: each costs memory whether or not
  // its CPU has data.
  void count_cpu_entries(std::uint64_t n, std::uint64_t at) {
    cpu_entries_ += n;
    if (cpu_entries_ > detail::max_cpu_entries)
      fail("options, " + detail::hex_offset(at),
           "more than " + std::to_string(detail::max_cpu_entries) +
               " per-CPU data entries in all buffers: the reader's limit");
  }

  // No two CPUs' data (of any buffer) may share bytes: trace-cmd never writes it so, and a file
  // pointing every CPU at the same bytes would have them read, decompressed and decoded again
  // for each.
  void check_data_ranges() const {
    struct Range {
      std::uint64_t begin, end;
      const detail::BufferRef* buf;
      int cpu;
    };
    std::vector<Range> rs;
    for (const auto& b : m_.buffers)
      for (const auto& c : b.cpus)
        if (c.size != 0)
          rs.push_back({c.offset, c.offset + c.size + (b.compressed ? 4 : 0), &b, c.cpu});
    std::stable_sort(rs.begin(), rs.end(),
                     [](const Range& x, const Range& y) { return x.begin < y.begin; });
    auto name = [](const Range& r) {
      return (r.buf->name.empty() ? std::string() : "buffer \"" + r.buf->name + "\" ") + "cpu " +
             std::to_string(r.cpu) + " data";
    };
    for (std::size_t i = 1; i < rs.size(); ++i)
      if (rs[i].begin < rs[i - 1].end)
        fail(name(rs[i]) + ", " + detail::hex_offset(rs[i].begin),
             "overlaps " + name(rs[i - 1]) + " (" + detail::hex_offset(rs[i - 1].begin) + ".." +
                 detail::hex(rs[i - 1].end) + ")");
  }

  // A v7 section: header (id, flags, string id, size), then the data, maybe compressed.
  struct Section {
    std::uint16_t id = 0, flags = 0;
    std::uint64_t offset = 0, data_offset = 0, size = 0;
    bool compressed() const noexcept { return (flags & 1u) != 0; }
  };
  Section section_header(std::uint64_t off, const std::string& name) {
    detail::FileCursor c(file_, off);
    c.order = m_.order;
    c.set_section(name);
    Section s;
    s.offset = off;
    s.id = c.u16("section id");
    s.flags = c.u16("section flags");
    (void)c.u32("section description");
    s.size = c.u64("section size");
    s.data_offset = c.pos();
    file_.check_range(s.data_offset, s.size, "section " + name);
    return s;
  }
  // The header of the section at `off`, checked to be section `want_id`.
  Section checked_section(std::uint64_t off, std::uint16_t want_id, const std::string& name) {
    const Section s = section_header(off, name);
    if (s.id != want_id)
      fail("section " + name + ", " + detail::hex_offset(off),
           "section id " + std::to_string(s.id) + ", expected " + std::to_string(want_id));
    return s;
  }

  // The block of a section flagged compressed: a u32 compressed size, a u32 uncompressed size,
  // the data. Both sizes are checked against the section and against what the compression can
  // expand the compressed bytes to.
  struct Block {
    std::uint32_t csize = 0, usize = 0;
  };
  Block compressed_block(const Section& s, const std::string& name) {
    const std::string where = "section " + name + ", " + detail::hex_offset(s.offset);
    if (m_.compression == detail::Compression::none)
      fail(where, "section is flagged compressed but the file names no compression");
    if (s.size < 8)
      fail(where, "compressed section of " + std::to_string(s.size) +
                      " bytes, too short for its two sizes (8 bytes)");
    unsigned char h[8];
    file_.read_at(s.data_offset, h, 8, "section " + name);
    Block b{m_.order.u32(h), m_.order.u32(h + 4)};
    if (b.csize > s.size - 8)
      fail("section " + name + ", " + detail::hex_offset(s.data_offset),
           "compressed size " + std::to_string(b.csize) + " larger than the section (" +
               std::to_string(s.size - 8) + " bytes after the sizes)");
    if (b.usize > std::uint64_t{b.csize} * detail::max_expansion(m_.compression))
      fail("section " + name + ", " + detail::hex_offset(s.data_offset),
           "absurd uncompressed size " + std::to_string(b.usize) + ": more than " +
               detail::compression_name(m_.compression) + " can expand " + std::to_string(b.csize) +
               " bytes to");
    if (b.csize > detail::max_compressed(m_.compression, b.usize))
      fail("section " + name + ", " + detail::hex_offset(s.data_offset),
           "compressed size " + std::to_string(b.csize) + ": more than " +
               detail::compression_name(m_.compression) + " writes for the " +
               std::to_string(b.usize) + " bytes announced uncompressed");
    return b;
  }

  // One decompression context for every metadata section of the file.
  detail::Decompressor& meta_decompressor() {
    if (!meta_dec_) meta_dec_ = std::make_unique<detail::Decompressor>(m_.compression);
    return *meta_dec_;
  }

  // Bounds the metadata decompressed and held in all, whatever chain of sections the file has.
  void count_loaded(std::uint64_t n, const std::string& where) {
    if (m_.raw != nullptr) return;
    m_.metadata_loaded += n;
    if (m_.metadata_loaded > detail::max_metadata_total)
      fail(where, "metadata sections of more than " +
                      detail::byte_count(detail::max_metadata_total) +
                      " in all: the reader's limit");
  }

  // zstd may ask for a window as large as a frame's content: never more than any section here
  // may hold (a frame that needs more is an error, not an allocation).
  static constexpr unsigned section_window_log = 24;
  static_assert((1ull << section_window_log) >= detail::max_section_bytes);

  // Loads a whole metadata section into `store`, at most `limit` bytes of it. A compressed one is
  // streamed: `store` grows only as real output arrives, and the output must be exactly the
  // size its header announces.
  void load_section(const Section& s, const std::string& name, std::uint64_t limit,
                    std::vector<unsigned char>& store) {
    const std::string where = "section " + name + ", " + detail::hex_offset(s.offset);
    if (!s.compressed()) {
      if (s.size > limit) fail(where, detail::over_limit("section", s.size, limit));
      count_loaded(s.size, where);
      store.resize(static_cast<std::size_t>(s.size));
      file_.read_at(s.data_offset, store.data(), store.size(), "section " + name);
      return;
    }
    const Block b = compressed_block(s, name);
    if (b.usize > limit)
      fail(where, "absurd uncompressed size: " + detail::over_limit("section", b.usize, limit));
    count_loaded(b.usize, where);
    // Address space for the announced size, so that growing never copies; its pages become
    // resident only as output is written into them.
    store.clear();
    store.reserve(b.usize);
    bool longer = false;
    detail::Decompressor& d = meta_decompressor();
    const char* err = d.stream(file_, s.data_offset + 8, b.csize, "section " + name,
                               section_window_log, [&](const unsigned char* p, std::size_t n) {
                                 if (n > b.usize - store.size()) return longer = true;
                                 store.insert(store.end(), p, p + n);
                                 return false;
                               });
    if (longer)
      err = detail::Decompressor::longer;
    else if (err == nullptr && store.size() != b.usize)
      err = detail::Decompressor::shorter;
    if (err != nullptr)
      fail("section " + name + ", " + detail::hex_offset(s.data_offset),
           std::string("bad compressed data: ") + err);
  }

  // The kallsyms section read (and decompressed) in pieces, only as far as the one symbol we
  // need: a whole 5 MB kallsyms was a tenth of a large v7 report's wall time, spent before any
  // event could be decoded.
  void scan_kallsyms_section(std::uint64_t off, const std::string& name) {
    const Section s = checked_section(off, detail::opt_kallsyms, name);
    detail::KallsymsScan scan(detail::kallsyms_symbol);
    // The section holds a u32 text size, then the text.
    unsigned char size_bytes[4];
    std::size_t have = 0;
    std::uint32_t text_left = 0;
    bool done = false, too_big = false;
    auto take = [&](const unsigned char* p, std::size_t n) {
      while (have < 4 && n != 0) {
        size_bytes[have++] = *p++;
        --n;
        if (have == 4) {
          text_left = m_.order.u32(size_bytes);
          if (text_left > detail::max_kallsyms_bytes) return too_big = true;
        }
      }
      if (have < 4) return false;
      const std::size_t k = std::min<std::size_t>(n, text_left);
      text_left -= static_cast<std::uint32_t>(k);
      done = text_left == 0;
      return scan.feed(std::string_view(reinterpret_cast<const char*>(p), k)) || done;
    };
    if (!s.compressed()) {
      std::vector<unsigned char> buf;
      for (std::uint64_t pos = 0; pos < s.size;) {
        const std::size_t k =
            static_cast<std::size_t>(std::min<std::uint64_t>(s.size - pos, detail::kallsyms_piece));
        buf.resize(k);
        file_.read_at(s.data_offset + pos, buf.data(), k, "section " + name);
        pos += k;
        if (take(buf.data(), k)) break;
      }
    } else {
      const Block b = compressed_block(s, name);
      detail::Decompressor& d = meta_decompressor();
      if (const char* err = d.stream(file_, s.data_offset + 8, b.csize, "section " + name,
                                     section_window_log, take))
        fail("section " + name + ", " + detail::hex_offset(s.data_offset),
             std::string("bad compressed data: ") + err);
    }
    if (too_big)
      fail("section " + name + ", " + detail::hex_offset(off),
           detail::over_limit("kallsyms text", text_left, detail::max_kallsyms_bytes));
    if (!scan.finish() && (have < 4 || !done))
      fail("section " + name + ", " + detail::hex_offset(off),
           "truncated: the kallsyms text ends before its recorded size");
    detail::set_hrtimer_wakeup(m_, scan);
  }

  template <class F>
  void with_section(const Section& s, const std::string& name, std::uint64_t limit, F&& f) {
    std::vector<unsigned char> store;
    load_section(s, name, limit, store);
    detail::Cursor cur(&file_.path(), name, store.data(), store.size(), m_.order, s.data_offset,
                       s.compressed() ? "the decompressed section" : nullptr);
    f(cur);
  }
  template <class F>
  void with_section(std::uint64_t off, std::uint16_t id, const std::string& name,
                    std::uint64_t limit, F&& f) {
    with_section(checked_section(off, id, name), name, limit, std::forward<F>(f));
  }

  void parse_v7(detail::FileCursor& c) {
    const std::string comp(c.cstr("compression name"));
    (void)c.cstr("compression version");
    if (comp == "none" || comp.empty())
      m_.compression = detail::Compression::none;
    else if (comp == "zstd")
      m_.compression = detail::Compression::zstd;
    else if (comp == "zlib")
      m_.compression = detail::Compression::zlib;
    else
      c.fail("unsupported compression \"" + comp.substr(0, 32) + "\" (zstd and zlib are read)");
    std::uint64_t next = c.u64("first options offset");
    std::uint64_t sec_off[6] = {};  // header_info .. cmdlines
    struct RawBuffer {
      std::string data;
      bool latency;
    };
    std::vector<RawBuffer> raw_buffers;
    // The options sections read so far, offset -> end: a chain may not come back to (or into)
    // one of them, so however it is built, no byte is read twice.
    std::map<std::uint64_t, std::uint64_t> chain;
    while (next != 0) {
      const std::string where = "options, " + detail::hex_offset(next);
      if (chain.size() >= detail::max_option_sections)
        fail(where, "more than " + std::to_string(detail::max_option_sections) +
                        " options sections: the reader's limit");
      const Section s = checked_section(next, detail::opt_done, "options");
      const std::uint64_t end = s.data_offset + s.size;
      auto after = chain.lower_bound(next);
      if ((after != chain.end() && after->first < end) ||
          (after != chain.begin() && std::prev(after)->second > next)) {
        const auto hit = after != chain.end() && after->first < end ? after : std::prev(after);
        fail(where, hit->first == next ? "options sections form a loop (back to this one)"
                                       : "options sections form a loop (this one overlaps the one "
                                         "at " +
                                             detail::hex(hit->first) + ")");
      }
      chain.emplace(next, end);
      std::uint64_t following = 0;
      with_section(s, "options", detail::max_section_bytes, [&](detail::Cursor& cur) {
        for (;;) {
          if (cur.at_end()) cur.fail("options section ends without a DONE option");
          const std::uint16_t id = cur.u16("option id");
          const std::uint32_t size = cur.u32("option size");
          const std::string_view data = cur.bytes(size, "option data");
          if (id == detail::opt_done) {
            if (data.size() < 8) cur.fail("DONE option shorter than 8 bytes");
            following = m_.order.u64(reinterpret_cast<const unsigned char*>(data.data()));
            break;
          }
          if (id >= detail::opt_header_info && id <= detail::opt_cmdlines) {
            if (data.size() < 8) cur.fail("section option shorter than 8 bytes");
            sec_off[id - detail::opt_header_info] =
                m_.order.u64(reinterpret_cast<const unsigned char*>(data.data()));
          } else if (id == detail::opt_buffer || id == detail::opt_buffer_text) {
            if (raw_buffers.size() >= detail::max_buffers)
              cur.fail("more than " + std::to_string(detail::max_buffers) +
                       " buffers: the reader's limit");
            raw_buffers.push_back({std::string(data), id == detail::opt_buffer_text});
          } else {
            detail::apply_common_option(m_, id, data, [&](const std::string& r) { cur.fail(r); });
          }
        }
      });
      next = following;
    }
    const char* names[6] = {"header info", "ftrace formats", "event formats",
                            "kallsyms",    "printk formats", "saved cmdlines"};
    const std::uint64_t section = detail::max_section_bytes;
    if (sec_off[0] == 0) fail("options", "no HEADER_INFO section");
    with_section(sec_off[0], detail::opt_header_info, names[0], section,
                 [&](detail::Cursor& cur) { detail::parse_header_info(m_, cur); });
    if (sec_off[1] != 0)
      with_section(sec_off[1], detail::opt_ftrace_events, names[1], section,
                   [&](detail::Cursor& cur) { detail::parse_ftrace_formats(m_, cur); });
    if (sec_off[2] != 0)
      with_section(sec_off[2], detail::opt_event_formats, names[2], section,
                   [&](detail::Cursor& cur) { detail::parse_event_formats(m_, cur); });
    m_.want_kallsyms = has_event("timer", "hrtimer_start") || m_.raw != nullptr;
    if (sec_off[3] != 0 && m_.want_kallsyms) {
      if (m_.raw != nullptr)
        with_section(sec_off[3], detail::opt_kallsyms, names[3], detail::max_raw_bytes,
                     [&](detail::Cursor& cur) { detail::parse_kallsyms(m_, cur); });
      else
        scan_kallsyms_section(sec_off[3], names[3]);
    }
    if (sec_off[4] != 0 && m_.raw != nullptr)
      with_section(sec_off[4], detail::opt_printk, names[4], detail::max_raw_bytes,
                   [&](detail::Cursor& cur) { detail::parse_printk(m_, cur); });
    if (sec_off[5] != 0)
      with_section(sec_off[5], detail::opt_cmdlines, names[5], detail::max_cmdlines_bytes + 8,
                   [&](detail::Cursor& cur) { detail::parse_cmdlines(m_, cur); });
    for (const auto& rb : raw_buffers) m_.buffers.push_back(parse_v7_buffer(rb.data, rb.latency));
    // The top buffer first, as in v6.
    std::stable_partition(m_.buffers.begin(), m_.buffers.end(),
                          [](const detail::BufferRef& b) { return b.name.empty(); });
  }

  detail::BufferRef parse_v7_buffer(const std::string& data, bool latency) {
    detail::Cursor cur(&file_.path(), "options (BUFFER option)",
                       reinterpret_cast<const unsigned char*>(data.data()), data.size(), m_.order,
                       0, "the option");
    detail::BufferRef b;
    b.latency = latency;
    const std::uint64_t off = cur.u64("buffer section offset");
    b.name = detail::bounded_string(cur.cstr("buffer name"), "buffer name",
                                    [&](const std::string& r) { cur.fail(r); });
    b.clock = detail::bounded_string(cur.cstr("buffer clock"), "buffer clock",
                                     [&](const std::string& r) { cur.fail(r); });
    if (latency) return b;
    const std::size_t page_at = cur.pos();
    b.page_size = cur.u32("buffer page size");
    if (b.page_size < 64 || b.page_size > (1u << 24))
      cur.fail_at(page_at, "absurd buffer page size " + std::to_string(b.page_size));
    const std::uint32_t n = cur.u32("buffer cpu count");
    if (n > max_cpus) cur.fail_at(page_at + 4, detail::too_many_cpus("buffer cpu count", n));
    count_cpu_entries(n, off);
    const std::string what = "buffer \"" + b.name + "\"";
    const Section s = section_header(off, what);
    if (s.id != detail::opt_buffer)
      fail("section " + what + ", " + detail::hex_offset(off),
           "section id " + std::to_string(s.id) + ", expected " +
               std::to_string(detail::opt_buffer));
    b.compressed = s.compressed();
    if (b.compressed && m_.compression == detail::Compression::none)
      fail("section " + what + ", " + detail::hex_offset(off),
           "data is flagged compressed but the file names no compression");
    std::set<int> ids;
    for (std::uint32_t i = 0; i < n; ++i) {
      detail::CpuDataRef r;
      const std::uint32_t id = cur.u32("cpu id");
      if (id >= max_cpus) cur.fail_at(cur.pos() - 4, detail::too_many_cpus("cpu id", id));
      r.cpu = static_cast<int>(id);
      if (!ids.insert(r.cpu).second) cur.fail("cpu " + std::to_string(id) + " listed twice");
      r.offset = cur.u64("cpu data offset");
      r.size = cur.u64("cpu data size");
      if (r.size != 0) {
        const std::string where = what + " cpu " + std::to_string(id) + " data";
        file_.check_range(r.offset, r.size, where);
        if (b.compressed) file_.check_range(r.offset, r.size + 4, where);
      }
      if (!b.compressed && r.size % b.page_size != 0)
        fail(what + " cpu " + std::to_string(id) + " data, " + detail::hex_offset(r.offset),
             "size " + std::to_string(r.size) + " is not a multiple of the page size");
      b.cpus.push_back(r);
      if (r.cpu + 1 > m_.cpus) m_.cpus = r.cpu + 1;
    }
    return b;
  }

  bool has_event(const char* sys, const char* name) const {
    return tep_find_event_by_name(m_.tep.get(), sys, name) != nullptr;
  }

  void finish() {
    using detail::Decode;
    using detail::FieldRef;
    // Pick the buffer.
    selected_ = nullptr;
    for (const auto& b : m_.buffers)
      if (b.name == opts_.buffer) selected_ = &b;
    check_data_ranges();
    if (selected_ == nullptr) {
      constexpr std::size_t listed = 8;
      std::string have;
      for (std::size_t i = 0; i < std::min(listed, m_.buffers.size()); ++i)
        have += (i == 0 ? "\"" : ", \"") + m_.buffers[i].name.substr(0, 64) + "\"";
      if (m_.buffers.size() > listed)
        have += " and " + std::to_string(m_.buffers.size() - listed) + " more";
      fail("options", opts_.buffer.empty()
                          ? "no top-level buffer in this file (buffers: " + have + ")"
                          : "no buffer named \"" + opts_.buffer + "\" (buffers: " + have + ")");
    }
    if (selected_->latency)
      fail("buffer \"" + selected_->name + "\"",
           "latency (text) trace data: only flyrecord (ring-buffer) data can be read");
    if (m_.format_failures != 0) {
      std::string which;
      for (const auto& f : m_.failed_formats) which += (which.empty() ? "" : ", ") + f;
      const auto more = static_cast<std::size_t>(m_.format_failures) - m_.failed_formats.size();
      if (more != 0) which += " and " + std::to_string(more) + " more";
      m_.notes.push_back((m_.format_failures == 1
                              ? std::string("1 event format")
                              : std::to_string(m_.format_failures) + " event formats") +
                         " could not be parsed; their events are skipped: " + which);
    }

    // Architecture -> timer-sleep syscall numbers.
    std::string arch = m_.arch;
    if (arch.empty()) {
      arch = std::string(host_arch());
      m_.notes.push_back("no uname in the file; assuming architecture " + arch);
    }
    m_.have_syscalls = timer_sleep_syscalls_for(arch, m_.syscalls);
    if (!m_.have_syscalls && has_event("raw_syscalls", "sys_enter"))
      m_.notes.push_back("unknown architecture \"" + arch.substr(0, 64) +
                         "\": raw_syscalls:sys_enter cannot mark timer sleeps");

    // prev_state preemption flag from sched_switch's own print fmt.
    if (auto flag = detail::preempt_flag_from_format(m_.sched_switch_format)) {
      m_.prev_state = PrevStateDecoder{*flag, true};
      if (*flag <= 0x1000u) {
        m_.prev_state_table.resize(std::size_t{*flag} * 2);
        for (std::uint32_t raw = 0; raw < m_.prev_state_table.size(); ++raw)
          m_.prev_state_table[raw] = m_.prev_state.decode(raw);
      }
    } else {
      m_.prev_state = PrevStateDecoder{};
      if (has_event("sched", "sched_switch"))
        m_.notes.push_back("sched_switch print fmt has no preemption flag; assuming 0x100");
    }
    m_.sched_switch_format.clear();
    if (has_event("timer", "hrtimer_start") && !m_.have_hrtimer_wakeup)
      m_.notes.push_back(
          "hrtimer_wakeup not found in kallsyms: hrtimer_start is not a timer sleep");

    // Decode tables.
    tep_handle* tep = m_.tep.get();
    const int count = tep_get_events_count(tep);
    int max_id = -1;
    for (int i = 0; i < count; ++i) {
      tep_event* ev = tep_get_event(tep, i);
      if (ev != nullptr && ev->id >= 0 && ev->id <= 0xffff) max_id = std::max(max_id, ev->id);
    }
    m_.table.assign(max_id < 0 ? 0 : static_cast<std::size_t>(max_id) + 1, detail::EventDecoder{});
    // Fixed-offset decoding needs the file in host order, 64-bit, little-endian, and the common
    // header where every kernel puts it (common_type u16 at 0, common_pid s32 at 4).
    const bool std_host = !detail::host_is_big_endian() && !m_.order.swap && m_.long_size == 8;
    bool have_common = false;
    for (int i = 0; i < count; ++i) {
      tep_event* ev = tep_get_event(tep, i);
      if (ev == nullptr || ev->id < 0 || ev->id > 0xffff || ev->name == nullptr) continue;
      const std::string_view sys = ev->system ? ev->system : "";
      const std::string_view name = ev->name;
      const FieldRef type = FieldRef::of(tep_find_common_field(ev, "common_type"));
      const FieldRef pid = FieldRef::of(tep_find_common_field(ev, "common_pid"));
      if (type.kind != FieldRef::number || pid.kind != FieldRef::number) continue;
      if (!have_common) {
        m_.common_type = type;
        m_.common_pid = pid;
        m_.header_min = std::max(type.end(), pid.end());
        have_common = true;
      } else if (type.offset != m_.common_type.offset || type.size != m_.common_type.size) {
        fail("event formats", "events disagree on where common_type is");
      } else if (pid.offset != m_.common_pid.offset || pid.size != m_.common_pid.size) {
        fail("event formats", "events disagree on where common_pid is");
      }
      if (sys == "raw_syscalls" || sys == "syscalls") m_.syscall_events = true;
      if (sys == "irq" && name == "irq_threaded_handler_entry") m_.irq_thread_events = true;

      detail::EventDecoder d;
      d.id = static_cast<std::uint32_t>(ev->id);
      d.name = Comm::from(name);
      d.how = Decode::other;
      auto field = [&](const char* n) { return FieldRef::of(tep_find_field(ev, n)); };
      // Numbers must also be signed where the fixed-offset decoder reads them as signed.
      auto at = [](const FieldRef& f, std::uint8_t kind, std::uint16_t off, std::uint16_t size) {
        return f.kind == kind && f.offset == off && f.size == size &&
               (kind != FieldRef::number || size == 8 || f.is_signed);
      };
      auto need = [&](std::initializer_list<FieldRef> fs) {
        for (const auto& f : fs)
          if (f.kind == FieldRef::absent) return false;
        return true;
      };
      if (sys == "sched" && name == "sched_switch") {
        d.f[0] = field("prev_comm"), d.f[1] = field("prev_pid"), d.f[2] = field("prev_prio");
        d.f[3] = field("prev_state"), d.f[4] = field("next_comm"), d.f[5] = field("next_pid");
        d.f[6] = field("next_prio");
        if (need({d.f[0], d.f[1], d.f[2], d.f[3], d.f[4], d.f[5], d.f[6]}))
          d.how = Decode::sched_switch, d.kind = EventKind::sched_switch;
        d.std_layout = std_host && at(d.f[0], FieldRef::inline_string, 8, 16) &&
                       at(d.f[1], FieldRef::number, 24, 4) && at(d.f[2], FieldRef::number, 28, 4) &&
                       at(d.f[3], FieldRef::number, 32, 8) &&
                       at(d.f[4], FieldRef::inline_string, 40, 16) &&
                       at(d.f[5], FieldRef::number, 56, 4) && at(d.f[6], FieldRef::number, 60, 4);
      } else if (sys == "sched" &&
                 (name == "sched_wakeup" || name == "sched_wakeup_new" || name == "sched_waking")) {
        d.f[0] = field("comm"), d.f[1] = field("pid"), d.f[2] = field("prio");
        d.f[3] = field("target_cpu");
        d.std_layout = std_host && at(d.f[0], FieldRef::inline_string, 8, 16) &&
                       at(d.f[1], FieldRef::number, 24, 4) && at(d.f[2], FieldRef::number, 28, 4) &&
                       at(d.f[3], FieldRef::number, 32, 4);
        if (need({d.f[0], d.f[1], d.f[2]})) {
          d.how = Decode::wakeup;
          d.kind = name == "sched_wakeup"       ? EventKind::sched_wakeup
                   : name == "sched_wakeup_new" ? EventKind::sched_wakeup_new
                                                : EventKind::sched_waking;
        }
      } else if (sys == "sched" && name == "sched_process_exit") {
        d.f[0] = field("comm"), d.f[1] = field("pid"), d.f[2] = field("prio");
        if (need({d.f[0], d.f[1], d.f[2]}))
          d.how = Decode::process_exit, d.kind = EventKind::process_exit;
      } else if (sys == "sched" && name == "sched_process_fork") {
        d.f[0] = field("parent_pid"), d.f[1] = field("child_comm"), d.f[2] = field("child_pid");
        if (need({d.f[0], d.f[1], d.f[2]}))
          d.how = Decode::process_fork, d.kind = EventKind::process_fork;
      } else if (sys == "raw_syscalls" && name == "sys_enter") {
        d.f[0] = field("id");
        if (need({d.f[0]})) d.how = Decode::raw_sys_enter, d.kind = EventKind::syscall;
      } else if (sys == "syscalls" &&
                 (name == "sys_enter_nanosleep" || name == "sys_enter_clock_nanosleep" ||
                  name == "sys_enter_clock_nanosleep_time64")) {
        d.how = Decode::timer_syscall, d.kind = EventKind::timer_sleep;
      } else if (sys == "timer" && name == "hrtimer_start") {
        d.f[0] = field("function");
        if (need({d.f[0]})) d.how = Decode::hrtimer_start, d.kind = EventKind::timer_sleep;
      } else if (sys == "irq" &&
                 (name == "irq_handler_entry" || name == "irq_threaded_handler_entry")) {
        d.f[0] = field("irq"), d.f[1] = field("name");
        if (need({d.f[0]})) {
          d.how = Decode::irq_entry;
          d.kind = name == "irq_handler_entry" ? EventKind::irq_entry : EventKind::irq_thread_entry;
        }
      } else if (sys == "irq" &&
                 (name == "irq_handler_exit" || name == "irq_threaded_handler_exit")) {
        d.f[0] = field("irq"), d.f[1] = field("ret");
        if (need({d.f[0]})) {
          d.how = Decode::irq_exit;
          d.kind = name == "irq_handler_exit" ? EventKind::irq_exit : EventKind::irq_thread_exit;
        }
      }
      if (d.how == Decode::other && d.kind != EventKind::other) d.kind = EventKind::other;
      std::uint32_t min = m_.header_min;
      for (const auto& f : d.f)
        if (f.kind != FieldRef::absent) min = std::max(min, f.end());
      d.min_size = min;
      m_.table[static_cast<std::size_t>(ev->id)] = d;
    }
    m_.common_std = std_host && have_common && m_.common_type.offset == 0 &&
                    m_.common_type.size == 2 && m_.common_pid.offset == 4 &&
                    m_.common_pid.size == 4 && m_.common_pid.is_signed;

    info_.name = m_.path;
    info_.format = "trace.dat v" + std::to_string(m_.version);
    if (selected_->compressed)
      info_.format += std::string(" (") + detail::compression_name(m_.compression) + ")";
    int cpus = m_.cpus;
    for (const auto& c : selected_->cpus) cpus = std::max(cpus, c.cpu + 1);
    info_.cpus = cpus;
    info_.arch = m_.arch;
    info_.syscall_events_recorded = m_.syscall_events;
    info_.irq_thread_events_recorded = m_.irq_thread_events;
  }

  detail::File file_;
  TraceDatOptions opts_;
  detail::TraceDatMeta m_;
  std::uint64_t cpu_entries_ = 0;  // per-CPU data entries of all buffers (max_cpu_entries)
  std::unique_ptr<detail::Decompressor> meta_dec_;  // while parsing
  const detail::BufferRef* selected_ = nullptr;
  SourceInfo info_;
};

}  // namespace v1
}  // namespace rtlat
