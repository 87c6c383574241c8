// What `-o` may and may not do to the file system (README "Output safety"):
// symlinks are written through, special files, directories and the config are
// refused before any sampling, one run at a time holds an output, a failed
// write (full disk, file size limit) exits 4 and leaves the old file and no
// temporary, and the next run removes the temporaries of a killed one. Cases
// that need root (mknod, mount) skip when they cannot be set up.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "io/hdf5_file.hpp"
#include "io/output_path.hpp"
#include "io/study_file.hpp"
#include "shell_util.hpp"

namespace fs = std::filesystem;
using namespace cimmc;

namespace {

struct Result {
  int code;         // exit status; -signal when killed by a signal
  std::string out;  // stdout and stderr together
  double seconds;
};

// `cimmc ARGS` started through /bin/sh, its stdout and stderr on a pipe;
// `in_child` runs in the child before exec (resource limits, signals).
struct Started {
  pid_t pid;
  int fd;
  std::chrono::steady_clock::time_point t0;
};

Started start(const std::string& args, const std::function<void()>& in_child = {}) {
  const std::string cmd = std::string(CIMMC_BINARY) + " " + args + " 2>&1";
  int fds[2];
  if (::pipe(fds) != 0) return {-1, -1, {}};
  const auto t0 = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close(fds[0]);
    ::close(fds[1]);
    if (in_child) in_child();
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  return {pid, fds[0], t0};
}

bool still_running(const Started& s) { return ::waitpid(s.pid, nullptr, WNOHANG) == 0; }

Result finish(const Started& s) {
  Result r{-1000, {}, 0};
  if (s.pid < 0) return r;
  char buf[4096];
  for (ssize_t n; (n = ::read(s.fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    r.out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(s.fd);
  int st = 0;
  ::waitpid(s.pid, &st, 0);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? -WTERMSIG(st) : -1000;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - s.t0).count();
  return r;
}

Result run(const std::string& args, const std::function<void()>& in_child = {}) {
  return finish(start(args, in_child));
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool contains(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

// A pid that is certainly not running: a child that has exited and been reaped.
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// Names in `dir` that contain ".tmp." (temporaries of the atomic writer).
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir))
    if (contains(e.path().filename().string(), ".tmp.")) found.push_back(e.path().filename().string());
  return found;
}

const char* kSmall = cimmc::test::kSmallTileYaml;
const std::string kSweep = std::string(kSmall) + "sweep:\n  cartesian:\n    macro.adc.bits: [4, 5, 6]\n";
// About 15 s of sampling on one core: a check that comes after sampling shows as time
// and as the backend line, which cmd_run prints just before it samples.
const char* kSlow = " --samples 10000000 --threads 1";

class OutputSafety : public ::testing::Test {
 protected:
  fs::path dir;
  std::vector<fs::path> mounts;
  void SetUp() override {
    dir = fs::temp_directory_path() / ("cimmc_out_" + std::to_string(::getpid()) + "_" +
                                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  void TearDown() override {
    for (const fs::path& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
    fs::remove_all(dir);
  }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir / name;
    std::ofstream(p) << text;
    return p.string();
  }
  // A tmpfs of `kib` KiB at dir/name; false when this process may not mount.
  bool mount_tmpfs(const std::string& name, int kib, unsigned long flags = 0) {
    const fs::path m = dir / name;
    fs::create_directories(m);
    const std::string opts = "size=" + std::to_string(kib) + "k";
    if (::mount("tmpfs", m.c_str(), "tmpfs", flags, opts.c_str()) != 0) return false;
    mounts.push_back(m);
    return true;
  }
};

void expect_refused_before_sampling(const Result& r, const std::string& path, const std::string& rule) {
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_TRUE(contains(r.out, path)) << r.out;
  EXPECT_TRUE(contains(r.out, rule)) << r.out;
  EXPECT_FALSE(contains(r.out, "backend")) << "sampling started before the output was checked:\n" << r.out;
  EXPECT_LT(r.seconds, 5.0) << r.out;
}

}  // namespace

TEST_F(OutputSafety, SymlinkIsWrittenThroughAndStaysALink) {
  const std::string cfg = write("small.yaml", kSmall);
  fs::create_directories(dir / "real");
  write("real/target.h5", "old contents");
  fs::create_symlink("real/target.h5", dir / "link.h5");  // relative: taken from the link's directory
  const Result r = run("run " + cfg + " -o " + (dir / "link.h5").string());
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_TRUE(fs::is_symlink(dir / "link.h5"));
  EXPECT_EQ(fs::read_symlink(dir / "link.h5"), fs::path("real/target.h5"));
  EXPECT_EQ(read_run_file((dir / "real/target.h5").string()).prov.seed, 5u);
  EXPECT_TRUE(temporaries(dir).empty());
  EXPECT_TRUE(temporaries(dir / "real").empty());
  EXPECT_FALSE(fs::exists(dir / "real/target.h5.lock"));

  // A chain of links to a file that does not exist yet creates that file.
  fs::create_symlink("link3.h5", dir / "link2.h5");
  fs::create_symlink("real/new.h5", dir / "link3.h5");
  const std::string sweep = write("sweep.yaml", kSweep);
  const Result s = run("run " + sweep + " --chunk-points 1 -o " + (dir / "link2.h5").string());
  ASSERT_EQ(s.code, 0) << s.out;
  EXPECT_TRUE(fs::is_symlink(dir / "link2.h5"));
  EXPECT_TRUE(fs::is_symlink(dir / "link3.h5"));
  EXPECT_EQ(read_study_file((dir / "real/new.h5").string()).points_done, 3u);
  EXPECT_FALSE(fs::exists(dir / "real/new.h5.partial"));
  EXPECT_FALSE(fs::exists(dir / "link2.h5.partial"));
}

TEST_F(OutputSafety, FifoIsRefusedAndKept) {
  const std::string cfg = write("small.yaml", kSmall), fifo = (dir / "out.fifo").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  expect_refused_before_sampling(run("run " + cfg + " -o " + fifo), fifo, "FIFO");
  EXPECT_TRUE(fs::is_fifo(fifo));
  // Through a symlink too, and for validate.
  fs::create_symlink("out.fifo", dir / "to_fifo.h5");
  expect_refused_before_sampling(run("run " + cfg + " -o " + (dir / "to_fifo.h5").string()), fifo, "FIFO");
  expect_refused_before_sampling(run("validate " + cfg + " -o " + fifo), fifo, "FIFO");
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_TRUE(fs::is_symlink(dir / "to_fifo.h5"));
}

TEST_F(OutputSafety, CharacterDeviceIsRefusedAndKept) {
  const std::string cfg = write("small.yaml", kSmall), node = (dir / "null").string();
  // A copy of /dev/null (1, 3); needs root and a file system that allows device nodes.
  if (::mknod(node.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0)
    GTEST_SKIP() << "mknod: " << std::strerror(errno);
  expect_refused_before_sampling(run("run " + cfg + " -o " + node), node, "character device");
  struct stat st {};
  ASSERT_EQ(::lstat(node.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, ::makedev(1, 3));
}

TEST_F(OutputSafety, SpecialCheckpointIsRefused) {
  const std::string cfg = write("sweep.yaml", kSweep), out = (dir / "s.h5").string();
  ASSERT_EQ(::mkfifo((out + ".partial").c_str(), 0644), 0);
  expect_refused_before_sampling(run("run " + cfg + " --chunk-points 1 -o " + out), out + ".partial", "FIFO");
  EXPECT_TRUE(fs::is_fifo(out + ".partial"));
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(OutputSafety, ConfigIsNeverOverwritten) {
  fs::create_directories(dir / "sub");
  const std::string cfg = write("cfg.yaml", kSmall);
  fs::create_symlink("cfg.yaml", dir / "link.yaml");
  fs::create_hard_link(cfg, dir / "hard.yaml");
  for (const std::string& o : {cfg, (dir / "sub/../cfg.yaml").string(), (dir / "link.yaml").string(),
                               (dir / "hard.yaml").string()}) {
    SCOPED_TRACE(o);
    expect_refused_before_sampling(run("run " + cfg + " -o " + o), o, "config");
    EXPECT_TRUE(slurp(cfg) == kSmall) << "the config was changed";
  }
  // The config given through a link, the output by its real name.
  expect_refused_before_sampling(run("run " + (dir / "link.yaml").string() + " -o " + cfg), cfg, "config");
  expect_refused_before_sampling(run("validate " + cfg + " -o " + cfg), cfg, "config");
  EXPECT_TRUE(slurp(cfg) == kSmall) << "the config was changed";
  EXPECT_TRUE(fs::is_symlink(dir / "link.yaml"));
  EXPECT_TRUE(temporaries(dir).empty());
  EXPECT_FALSE(fs::exists(cfg + ".lock"));
}

TEST_F(OutputSafety, DirectoryOrMissingDirectoryRefusedBeforeSampling) {
  const std::string cfg = write("small.yaml", kSmall), sweep = write("sweep.yaml", kSweep);
  fs::create_directories(dir / "d");
  const std::string d = (dir / "d").string(), missing = (dir / "none/out.h5").string();
  expect_refused_before_sampling(run("run " + cfg + kSlow + " -o " + d), d, "is a directory");
  expect_refused_before_sampling(run("run " + sweep + kSlow + " -o " + d), d, "is a directory");
  expect_refused_before_sampling(run("run " + cfg + kSlow + " -o " + missing), (dir / "none").string(),
                                 "No such file or directory");
  // validate prints its table only after both models ran.
  for (const std::string& o : {d, missing}) {
    const Result v = run("validate " + cfg + kSlow + " -o " + o);
    EXPECT_EQ(v.code, 4) << v.out;
    EXPECT_FALSE(contains(v.out, "tile jobs")) << v.out;
    EXPECT_LT(v.seconds, 5.0);
  }
  EXPECT_TRUE(fs::is_empty(d));
}

TEST_F(OutputSafety, UnwritableDirectoryRefusedBeforeSampling) {
  const std::string cfg = write("small.yaml", kSmall);
  const fs::path ro = dir / "ro";
  std::string rule;
  if (::geteuid() != 0) {  // root writes into a 0555 directory; others do not
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    rule = "Permission denied";
  } else if (mount_tmpfs("ro", 64, MS_RDONLY)) {
    rule = "Read-only file system";
  } else {
    GTEST_SKIP() << "root, and cannot mount a read-only tmpfs";
  }
  const std::string out = (ro / "out.h5").string();
  expect_refused_before_sampling(run("run " + cfg + kSlow + " -o " + out), out, rule);
  const Result v = run("validate " + cfg + kSlow + " -o " + out);
  EXPECT_EQ(v.code, 4) << v.out;
  EXPECT_FALSE(contains(v.out, "tile jobs")) << v.out;
  std::error_code ec;  // so TearDown can remove it
  fs::permissions(ro, fs::perms::owner_all, fs::perm_options::add, ec);
}

TEST_F(OutputSafety, SecondWriterRefusedWhileTheFirstRuns) {
  const std::string cfg = write("small.yaml", kSmall), out = (dir / "out.h5").string();
  const Started first = start("run " + cfg + " --samples 4000000 --threads 1 -o " + out);
  // The first run takes the lock before it samples; give it a moment.
  const auto t0 = std::chrono::steady_clock::now();
  while (!fs::exists(out + ".lock") && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const Result second = run("run " + cfg + " --seed 6 -o " + out);
  const bool overlapped = still_running(first);
  const Result r1 = finish(first);
  ASSERT_TRUE(overlapped) << "the first run ended before the second did; nothing was tested";
  EXPECT_EQ(second.code, 4) << second.out;
  EXPECT_TRUE(contains(second.out, out)) << second.out;
  EXPECT_TRUE(contains(second.out, "another cimmc run")) << second.out;
  EXPECT_FALSE(contains(second.out, "backend")) << second.out;
  ASSERT_EQ(r1.code, 0) << r1.out;
  EXPECT_EQ(read_run_file(out).prov.seed, 5u);  // the first run's file, whole
  EXPECT_FALSE(fs::exists(out + ".lock"));
  EXPECT_TRUE(temporaries(dir).empty());
}

TEST_F(OutputSafety, LockHeldElsewhereRefusesAndStaleLockDoesNot) {
  const std::string cfg = write("sweep.yaml", kSweep), out = (dir / "out.h5").string();
  {
    const int fd = ::open((out + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
    const Result r = run("run " + cfg + " -o " + out);
    EXPECT_EQ(r.code, 4) << r.out;
    EXPECT_TRUE(contains(r.out, "another cimmc run")) << r.out;
    const Result v = run("validate " + cfg + " -o " + out);
    EXPECT_EQ(v.code, 4) << v.out;
    EXPECT_FALSE(fs::exists(out));
    ::close(fd);  // what a killed holder leaves: the file, unlocked
  }
  ASSERT_TRUE(fs::exists(out + ".lock"));
  const Result r = run("run " + cfg + " --chunk-points 1 -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(read_study_file(out).points_done, 3u);
  EXPECT_FALSE(fs::exists(out + ".lock"));
}

// The write fails part-way: exit 4, the path and the OS error named, no
// temporary left, the older file byte for byte as it was.
void expect_failed_write_kept_old(const Result& r, const std::string& out, const std::string& old,
                                  const std::string& os_error) {
  EXPECT_EQ(r.code, 4) << r.out;
  EXPECT_TRUE(contains(r.out, out)) << r.out;
  EXPECT_TRUE(contains(r.out, os_error)) << r.out;
  EXPECT_TRUE(slurp(out) == old) << "the older file was changed";
  EXPECT_TRUE(temporaries(fs::path(out).parent_path()).empty());
  EXPECT_FALSE(fs::exists(out + ".lock"));
}

TEST_F(OutputSafety, FullDiskExitsFourAndKeepsTheOldFile) {
  if (!mount_tmpfs("small_fs", 512)) GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno);
  const fs::path fsdir = dir / "small_fs";
  const std::string cfg = write("small.yaml", kSmall), sweep = write("sweep.yaml", kSweep);
  const std::string out = (fsdir / "out.h5").string(), study = (fsdir / "study.h5").string();
  ASSERT_EQ(run("run " + cfg + " -o " + out).code, 0);
  ASSERT_EQ(run("run " + sweep + " -o " + study).code, 0);
  const std::string old = slurp(out), old_study = slurp(study);
  // Fill the file system but for 8 KiB: less than either file needs.
  struct statvfs vfs {};
  ASSERT_EQ(::statvfs(fsdir.c_str(), &vfs), 0);
  const auto free_bytes = static_cast<long long>(vfs.f_bavail) * static_cast<long long>(vfs.f_frsize);
  ASSERT_GT(free_bytes, 8192);
  std::ofstream(fsdir / "filler", std::ios::binary) << std::string(static_cast<std::size_t>(free_bytes - 8192), 'x');

  expect_failed_write_kept_old(run("run " + cfg + " --seed 6 -o " + out), out, old, "No space left on device");
  expect_failed_write_kept_old(run("run " + sweep + " --seed 6 -o " + study), study, old_study,
                               "No space left on device");
  // The checkpoint, written after the first chunk, fails the same way.
  expect_failed_write_kept_old(run("run " + sweep + " --seed 6 --chunk-points 1 -o " + study), study, old_study,
                               "No space left on device");
  EXPECT_FALSE(fs::exists(study + ".partial"));
  // A statistical study streams its rows into a temporary on disk
  // (io/study_stream.hpp): HDF5 itself meets the full disk, and the same rules hold.
  expect_failed_write_kept_old(run("run " + sweep + " --model statistical --seed 6 -o " + study), study, old_study,
                               "No space left on device");
}

// A disk that fills while a streamed study (sampled or statistical) writes
// its file: wherever HDF5 meets it (appending rows, closing datasets, the
// final flush), the run ends with exit 4 and the OS error, and no temporary
// is left. A failed final flush left HDF5 unable to close the file, and its
// exit handler crashed on it (exit 139) at every size from 40 KiB up.
TEST_F(OutputSafety, DiskFillingUnderAStreamedStudyExitsFour) {
  const std::string sweep = write("sweep.yaml", kSweep);
  int n = 0;
  for (int kib : {24, 40, 64, 100, 200}) {
    const std::string name = "fs" + std::to_string(kib);
    if (!mount_tmpfs(name, kib)) GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno);
    for (const char* model : {"sampled", "statistical"}) {
      SCOPED_TRACE(std::to_string(kib) + " KiB, " + model);
      const std::string out = (dir / name / ("study" + std::to_string(n++) + ".h5")).string();
      const Result r = run("run " + sweep + " --model " + model + " -o " + out);
      ASSERT_TRUE(r.code == 0 || r.code == 4) << "exit " << r.code << "\n" << r.out;
      if (r.code == 4) {
        EXPECT_TRUE(contains(r.out, "No space left on device")) << r.out;
        EXPECT_FALSE(fs::exists(out));
      }
      EXPECT_TRUE(temporaries(dir / name).empty());
      fs::remove(out + ".partial");  // a sampled run keeps its checkpoint to resume from
    }
  }
}

TEST_F(OutputSafety, WriteFailureWithoutRootExitsFourAndKeepsTheOldFile) {
  // A file size limit makes write() fail with EFBIG, as a full disk makes it
  // fail with ENOSPC; SIGXFSZ ignored, as a batch system's limit would be.
  const std::string cfg = write("small.yaml", kSmall), out = (dir / "out.h5").string();
  ASSERT_EQ(run("run " + cfg + " -o " + out).code, 0);
  const std::string old = slurp(out);
  ASSERT_GT(old.size(), 32768u);
  const auto limit = [] {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit lim{16384, 16384};
    ::setrlimit(RLIMIT_FSIZE, &lim);
  };
  expect_failed_write_kept_old(run("run " + cfg + " --seed 6 -o " + out, limit), out, old, "File too large");
  const std::string sweep = write("sweep.yaml", kSweep), study = (dir / "study.h5").string();
  write("study.h5", old);
  expect_failed_write_kept_old(run("run " + sweep + " --model statistical -o " + study, limit), study, old,
                               "File too large");
  const std::string v = (dir / "v.h5").string();
  write("v.h5", old);
  expect_failed_write_kept_old(run("validate " + cfg + " -o " + v, limit), v, old, "File too large");
}

TEST_F(OutputSafety, LeftoverTemporariesOfKilledRunsAreRemoved) {
  const std::string cfg = write("small.yaml", kSmall), sweep = write("sweep.yaml", kSweep);
  const std::string out = (dir / "out.h5").string();
  const std::string dead = std::to_string(dead_pid()), live = std::to_string(::getpid());
  const std::vector<std::string> gone = {"out.h5.tmp." + dead, "out.h5.partial.tmp." + dead};
  const std::vector<std::string> kept = {"out.h5.tmp." + live, "other.h5.tmp." + dead, "out.h5.tmp.12ab",
                                         "out.h5.tmp.", "xout.h5.tmp." + dead};
  const auto plant = [&] {
    for (const auto& n : gone) write(n, "left by a killed run");
    for (const auto& n : kept) write(n, "not ours to remove");
  };
  plant();
  const Result r = run("run " + cfg + " -o " + out);
  ASSERT_EQ(r.code, 0) << r.out;
  for (const auto& n : gone) EXPECT_FALSE(fs::exists(dir / n)) << n;
  for (const auto& n : kept) EXPECT_TRUE(fs::exists(dir / n)) << n;
  EXPECT_TRUE(contains(r.out, "out.h5.tmp." + dead)) << "the removal is reported:\n" << r.out;

  // --resume of a study cleans them too (a finished file serves as the checkpoint).
  const std::string study = (dir / "out.h5").string();
  ASSERT_EQ(run("run " + sweep + " -o " + (dir / "whole.h5").string()).code, 0);
  fs::copy_file(dir / "whole.h5", study + ".partial");
  plant();
  const Result s = run("run " + sweep + " --resume -o " + study);
  ASSERT_EQ(s.code, 0) << s.out;
  for (const auto& n : gone) EXPECT_FALSE(fs::exists(dir / n)) << n;
  for (const auto& n : kept) EXPECT_TRUE(fs::exists(dir / n)) << n;
}

TEST_F(OutputSafety, LibraryWriterRefusesSpecialFilesAndFollowsLinks) {
  StudyFile s;
  s.name = "lib";
  const std::string fifo = (dir / "f").string();
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  EXPECT_THROW(write_study_file(fifo, s), IoError);
  EXPECT_TRUE(fs::is_fifo(fifo));
  EXPECT_THROW(write_study_file(dir.string(), s), IoError);
  fs::create_symlink("target.h5", dir / "link.h5");
  write_study_file((dir / "link.h5").string(), s);
  EXPECT_TRUE(fs::is_symlink(dir / "link.h5"));
  EXPECT_EQ(read_study_file((dir / "target.h5").string()).name, "lib");
  EXPECT_EQ(resolve_output((dir / "link.h5").string()), (dir / "target.h5").string());
  fs::create_symlink("loop2", dir / "loop1");
  fs::create_symlink("loop1", dir / "loop2");
  EXPECT_THROW(write_study_file((dir / "loop1").string(), s), IoError);
  EXPECT_TRUE(temporaries(dir).empty());
}
