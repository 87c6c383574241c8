#include "io/checkpoint_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "io/output_path.hpp"

namespace cimmc {

namespace {

constexpr char kMagic[8] = {'C', 'I', 'M', 'M', 'C', 'L', 'O', 'G'};
constexpr std::uint64_t kHead = 1, kChunk = 2;
constexpr std::size_t kFrame = sizeof kMagic + 8 + 8;  // before the payload; 8 checksum bytes after it
// A record larger than this is corruption, not a chunk (a chunk of 8 ResNet-18
// points is about 100 kB): reading never allocates what a flipped length says.
constexpr std::uint64_t kMaxPayload = std::uint64_t{1} << 32;

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw IoError("checkpoint " + path + ": " + what + (errno ? std::string(": ") + std::strerror(errno) : ""));
}

// Little-endian byte encoding of the record payloads.
class Out {
 public:
  void u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) b_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void f64(double v) {
    std::uint64_t u;
    std::memcpy(&u, &v, 8);
    u64(u);
  }
  void str(const std::string& s) {
    u64(s.size());
    b_.insert(b_.end(), s.begin(), s.end());
  }
  void table(const Table& t) {
    u64(t.columns().size());
    for (const Column& c : t.columns()) {
      str(c.name);
      str(c.units);
      str(c.description);
      u64(c.data.index());
      std::visit(
          [&](const auto& v) {
            u64(v.size());
            for (const auto& x : v) put(x);
          },
          c.data);
    }
  }
  // The record: magic, kind, payload bytes, payload, checksum.
  std::vector<char> framed(std::uint64_t kind) const {
    Out f;
    f.b_.assign(kMagic, kMagic + sizeof kMagic);
    f.u64(kind);
    f.u64(b_.size());
    f.b_.insert(f.b_.end(), b_.begin(), b_.end());
    f.u64(XXH3_64bits(b_.data(), b_.size()));
    return std::move(f.b_);
  }

 private:
  void put(double x) { f64(x); }
  void put(std::int64_t x) { u64(static_cast<std::uint64_t>(x)); }
  void put(const std::string& x) { str(x); }
  std::vector<char> b_;
};

// Reads what Out wrote; any overrun is std::out_of_range (a corrupt record).
class In {
 public:
  In(const char* p, std::size_t n) : p_(p), end_(p + n) {}
  std::uint64_t u64() {
    need(8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(p_[i])} << (8 * i);
    p_ += 8;
    return v;
  }
  double f64() {
    const std::uint64_t u = u64();
    double v;
    std::memcpy(&v, &u, 8);
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    need(n);
    std::string s(p_, p_ + n);
    p_ += n;
    return s;
  }
  Table table() {
    Table t;
    for (std::uint64_t c = u64(); c > 0; --c) {
      Column col;
      col.name = str();
      col.units = str();
      col.description = str();
      const std::uint64_t kind = u64(), n = u64();
      need(n);  // every value takes at least a byte: a flipped count cannot allocate much
      if (kind == 0) col.data = values<double>(n, [&] { return f64(); });
      else if (kind == 1) col.data = values<std::int64_t>(n, [&] { return static_cast<std::int64_t>(u64()); });
      else if (kind == 2) col.data = values<std::string>(n, [&] { return str(); });
      else throw std::out_of_range("column kind");
      t.columns().push_back(std::move(col));
    }
    return t;
  }
  bool done() const { return p_ == end_; }

 private:
  template <class T, class F>
  std::vector<T> values(std::uint64_t n, F next) {
    std::vector<T> v;
    v.reserve(n);
    for (std::uint64_t i = 0; i < n; ++i) v.push_back(next());
    return v;
  }
  void need(std::uint64_t n) const {
    if (n > static_cast<std::uint64_t>(end_ - p_)) throw std::out_of_range("record");
  }
  const char* p_;
  const char* end_;
};

void write_all(int fd, const std::vector<char>& b, const std::string& path) {
  std::size_t done = 0;
  while (done < b.size()) {
    const ssize_t n = ::write(fd, b.data() + done, b.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(path, "cannot append a record");
    done += static_cast<std::size_t>(n);
  }
}

std::vector<char> head_record(const StudyFile& h) {
  Out o;
  o.str(h.name);
  o.str(h.config_text);
  o.u64(h.prov.seed);
  o.u64(h.samples);
  o.u64(h.points_total);
  for (std::uint64_t v : {h.shard.index, h.shard.count, h.shard.begin, h.shard.end}) o.u64(v);
  return o.framed(kHead);
}

// The record at `off`: its kind and payload, or false where the file ends or
// the record is torn or corrupt. `off` moves past it.
bool next_record(int fd, std::uint64_t& off, std::uint64_t& kind, std::vector<char>& payload) {
  char frame[kFrame];
  if (::pread(fd, frame, kFrame, static_cast<off_t>(off)) != static_cast<ssize_t>(kFrame)) return false;
  if (std::memcmp(frame, kMagic, sizeof kMagic) != 0) return false;
  In f(frame + sizeof kMagic, 16);
  kind = f.u64();
  const std::uint64_t n = f.u64();
  if (n > kMaxPayload) return false;
  payload.resize(n + 8);
  if (::pread(fd, payload.data(), n + 8, static_cast<off_t>(off + kFrame)) != static_cast<ssize_t>(n + 8)) return false;
  In sum(payload.data() + n, 8);
  if (sum.u64() != XXH3_64bits(payload.data(), n)) return false;
  payload.resize(n);
  off += kFrame + n + 8;
  return true;
}

}  // namespace

bool is_checkpoint_log(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  char m[sizeof kMagic];
  const bool yes = ::read(fd, m, sizeof m) == static_cast<ssize_t>(sizeof m) && std::memcmp(m, kMagic, sizeof m) == 0;
  ::close(fd);
  return yes;
}

CheckpointLog CheckpointLog::create(const std::string& path, const StudyFile& head) {
  const std::vector<char> rec = head_record(head);
  write_bytes_atomically(path, path, rec.data(), rec.size());
  errno = 0;
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) fail(path, "cannot open for appending");
  return CheckpointLog(path, fd);
}

CheckpointLog CheckpointLog::resume(const std::string& path, const std::function<void(const StudyFile&)>& head,
                                    const std::function<void(CheckpointChunk&&)>& chunk) {
  errno = 0;
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) fail(path, "cannot open");
  CheckpointLog log(path, fd);  // closes it on any exit
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) fail(path, "not a regular file");
  std::uint64_t off = 0, kind = 0;
  std::vector<char> payload;
  errno = 0;
  if (!next_record(fd, off, kind, payload) || kind != kHead) fail(path, "no intact head record (not a cimmc checkpoint)");
  try {
    In in(payload.data(), payload.size());
    StudyFile h;
    h.name = in.str();
    h.config_text = in.str();
    h.prov.seed = in.u64();
    h.samples = in.u64();
    h.points_total = in.u64();
    for (std::uint64_t* v : {&h.shard.index, &h.shard.count, &h.shard.begin, &h.shard.end}) *v = in.u64();
    head(h);
    std::uint64_t good = off;
    while (next_record(fd, off, kind, payload) && kind == kChunk) {
      In c(payload.data(), payload.size());
      CheckpointChunk rec;
      rec.points_done = c.u64();
      rec.layers = c.table();
      rec.network = c.table();
      rec.jobs = c.table();
      if (!c.done()) break;
      chunk(std::move(rec));
      good = off;
    }
    errno = 0;
    if (::ftruncate(fd, static_cast<off_t>(good)) != 0 || ::lseek(fd, 0, SEEK_END) < 0)
      fail(path, "cannot cut the torn tail");
  } catch (const std::out_of_range&) {
    errno = 0;
    fail(path, "a record's contents do not parse (corrupt file)");
  }
  return log;
}

CheckpointLog::CheckpointLog(CheckpointLog&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) { o.fd_ = -1; }

CheckpointLog::~CheckpointLog() {
  if (fd_ >= 0) ::close(fd_);
}

void CheckpointLog::append(const CheckpointChunk& c) {
  Out o;
  o.u64(c.points_done);
  o.table(c.layers);
  o.table(c.network);
  o.table(c.jobs);
  errno = 0;
  const std::vector<char> rec = o.framed(kChunk);
  write_all(fd_, rec, path_);
  if (::fsync(fd_) != 0) fail(path_, "cannot sync");
}

}  // namespace cimmc
