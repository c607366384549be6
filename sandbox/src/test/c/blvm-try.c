/* Attack helper for the sandbox integration tests, in the style of bubblewrap's try-syscall:
 * each syscall is made with deliberately bad arguments, so an allowed call fails harmlessly
 * (EFAULT, EBADF, EINVAL, ESRCH) and a blocked one returns the errno of the seccomp profile.
 * Output: one "name result" line per attempt, result = "ok" or the errno name/number. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#define WRONG ((long) 1)
#define X32 0x40000000L

static void report(const char *name, long rc) {
  if (rc >= 0) printf("%s ok\n", name);
  else printf("%s %d\n", name, errno);
  fflush(stdout);
}

static long sys6(long nr, long a, long b, long c, long d, long e, long f) {
  return syscall(nr, a, b, c, d, e, f);
}

static int syscalls(void) {
  report("ptrace", sys6(SYS_ptrace, 16 /*ATTACH*/, -1, 0, 0, 0, 0));
  report("mount", sys6(SYS_mount, WRONG, WRONG, WRONG, 0, 0, 0));
  report("umount2", sys6(SYS_umount2, WRONG, 0, 0, 0, 0, 0));
  report("unshare", sys6(SYS_unshare, -1, 0, 0, 0, 0, 0));
  report("setns", sys6(SYS_setns, -1, 0, 0, 0, 0, 0));
  report("keyctl", sys6(SYS_keyctl, 0x7fffffff, 0, 0, 0, 0, 0));
  report("add_key", sys6(SYS_add_key, WRONG, WRONG, 0, 0, 0, 0));
  report("bpf", sys6(SYS_bpf, -1, WRONG, 0, 0, 0, 0));
  report("userfaultfd", sys6(SYS_userfaultfd, -1, 0, 0, 0, 0, 0));
  report("perf_event_open", sys6(SYS_perf_event_open, WRONG, 0, -1, -1, 0, 0));
  report("process_vm_readv", sys6(SYS_process_vm_readv, 0, 0, 0, 0, 0, 1 /* bad flags */));
  report("ioctl_tiocsti", sys6(SYS_ioctl, -1, 0x5412, WRONG, 0, 0, 0));
  report("ioctl_tiocsti_hi", sys6(SYS_ioctl, -1, 0x100005412L, WRONG, 0, 0, 0));
  report("ioctl_tioclinux", sys6(SYS_ioctl, -1, 0x541C, WRONG, 0, 0, 0));
  report("ioctl_tcgets", sys6(SYS_ioctl, -1, 0x5401, WRONG, 0, 0, 0));
  report("clone3", sys6(SYS_clone3, WRONG, 88, 0, 0, 0, 0));
  /* CLONE_NEWUSER | CLONE_THREAD without CLONE_SIGHAND: invalid, so an allowed call fails EINVAL */
  report("clone_newuser", sys6(SYS_clone, 0x10000000 | 0x00010000, 0, 0, 0, 0, 0));
  report("fsopen", sys6(SYS_fsopen, WRONG, 0, 0, 0, 0, 0));
  report("open_tree", sys6(SYS_open_tree, -1, WRONG, 0, 0, 0, 0));
  report("io_uring_setup", sys6(SYS_io_uring_setup, 0, WRONG, 0, 0, 0, 0));
  report("chroot", sys6(SYS_chroot, WRONG, 0, 0, 0, 0, 0));
  report("pivot_root", sys6(SYS_pivot_root, WRONG, WRONG, 0, 0, 0, 0));
  /* socket families: 64-bit garbage in the upper half of the int must not bypass the rule */
  report("socket_unix", sys6(SYS_socket, AF_UNIX, SOCK_STREAM, 0, 0, 0, 0));
  report("socket_inet", sys6(SYS_socket, AF_INET, SOCK_STREAM, 0, 0, 0, 0));
  report("socket_inet_hi", sys6(SYS_socket, 0x100000000L | AF_INET, SOCK_STREAM, 0, 0, 0, 0));
  report("socket_inet6", sys6(SYS_socket, AF_INET6, SOCK_STREAM, 0, 0, 0, 0));
  report("socket_netlink", sys6(SYS_socket, AF_NETLINK, SOCK_RAW, 0, 0, 0, 0));
  report("socket_packet", sys6(SYS_socket, 17 /*AF_PACKET*/, SOCK_RAW, 0, 0, 0, 0));
  /* x32 numbers (nr | 0x40000000) of denied calls: x32 ptrace is 521, process_vm_readv 539 */
  report("x32_mount", sys6(X32 | SYS_mount, WRONG, WRONG, WRONG, 0, 0, 0));
  report("x32_unshare", sys6(X32 | SYS_unshare, -1, 0, 0, 0, 0, 0));
  report("x32_setns", sys6(X32 | SYS_setns, -1, 0, 0, 0, 0, 0));
  report("x32_keyctl", sys6(X32 | SYS_keyctl, 0x7fffffff, 0, 0, 0, 0, 0));
  report("x32_ptrace", sys6(X32 | 521, 16, -1, 0, 0, 0, 0));
  report("x32_process_vm_readv", sys6(X32 | 539, 0, 0, 0, 0, 0, 1));
  report("x32_getpid", sys6(X32 | SYS_getpid, 0, 0, 0, 0, 0, 0));
  /* an allowed call, for comparison */
  report("getpid", sys6(SYS_getpid, 0, 0, 0, 0, 0, 0));
  report("close_bad", sys6(SYS_close, -1, 0, 0, 0, 0, 0));
  return 0;
}

static int readf(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { printf("read %s %d\n", path, errno); return 0; }
  char buf[64];
  long n = read(fd, buf, sizeof buf);
  printf("read %s %s\n", path, n >= 0 ? "ok" : "fail");
  close(fd);
  return 0;
}

static int writef(const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) { printf("write %s %d\n", path, errno); return 0; }
  long n = write(fd, "x", 1);
  printf("write %s %s\n", path, n == 1 ? "ok" : "fail");
  close(fd);
  return 0;
}

static int lsdir(const char *path) {
  DIR *d = opendir(path);
  if (!d) { printf("ls %s %d\n", path, errno); return 0; }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] != '.') printf("ls %s %s\n", path, e->d_name);
  }
  closedir(d);
  printf("ls %s end\n", path);
  return 0;
}

static int fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) { printf("fds error %d\n", errno); return 1; }
  int self = dirfd(d);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == self) continue;
    char link[64], target[512];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    long n = readlink(link, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = 0;
    printf("fd %d %s\n", fd, target);
  }
  closedir(d);
  return 0;
}

static int tcp(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s < 0) { printf("tcp socket %d\n", errno); return 0; }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(s, (struct sockaddr *) &a, sizeof a) < 0) printf("tcp connect %d\n", errno);
  else printf("tcp connect ok\n");
  return 0;
}

static int forkbomb(void) {
  int n = 0;
  for (;;) {
    pid_t p = fork();
    if (p == 0) { pause(); _exit(0); }
    if (p < 0) { printf("forkbomb stopped after %d errno %d\n", n, errno); fflush(stdout); return 0; }
    if (++n >= 5000) { printf("forkbomb unbounded %d\n", n); fflush(stdout); return 0; }
  }
}

static int membomb(void) {
  long mb = 0;
  for (;;) {
    char *p = malloc(16 << 20);
    if (!p) { printf("membomb stopped at %ld MiB\n", mb); return 0; }
    memset(p, 1, 16 << 20);
    mb += 16;
    if (mb >= 8192) { printf("membomb unbounded %ld\n", mb); return 0; }
  }
}

static int bigfile(const char *path, long bytes) {
  signal(SIGXFSZ, SIG_IGN);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) { printf("bigfile open %d\n", errno); return 0; }
  static char buf[65536];
  long done = 0;
  while (done < bytes) {
    long n = write(fd, buf, sizeof buf);
    if (n < 0) { printf("bigfile stopped at %ld errno %d\n", done, errno); return 0; }
    done += n;
  }
  printf("bigfile wrote %ld\n", done);
  return 0;
}

static int limits(void) {
  int r[] = {RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_CORE, RLIMIT_AS};
  const char *n[] = {"nofile", "nproc", "cpu", "fsize", "core", "as"};
  for (int i = 0; i < 6; i++) {
    struct rlimit l;
    getrlimit(r[i], &l);
    printf("limit %s %lld %lld\n", n[i], (long long) l.rlim_cur, (long long) l.rlim_max);
  }
  printf("uid %d\n", (int) getuid());
  return 0;
}

/* Forks children that stay (paused) until fork fails at its process limit, then behaves as mod-ok
 * while holding them: a module keeping its whole process quota. */
static int module(int wrong_token);
static int forkhold(void) {
  int n = 0;
  for (; n < 5000; n++) {
    pid_t p = fork();
    if (p == 0) { pause(); _exit(0); }
    if (p < 0) break;
  }
  printf("forkhold holding %d errno %d\n", n, errno);
  fflush(stdout);
  return module(0);
}

/* Writes 48 MiB to stdout as fast as it can, then behaves as mod-ok: a module flooding its log. */
static int flood(void) {
  static char buf[65536];
  memset(buf, 'x', sizeof buf);
  buf[sizeof buf - 1] = '\n';
  long total = 0;
  while (total < (48L << 20)) {
    long n = write(1, buf, sizeof buf);
    if (n <= 0) break;
    total += n;
  }
  fprintf(stderr, "flood wrote %ld\n", total);
  return module(0);
}

/* Probes the limits it runs under, then behaves as mod-ok: prints its rlimits, how many files it
 * could open (of 40), processes it could fork (of 100), MiB it could allocate (of 2048) and bytes
 * it could write to one file in $BLVM_DATA_DIR (of 4 MiB); frees everything before connecting. */
static int module(int wrong_token);
static int probe_limits(void) {
  limits();
  int fds[40], nf = 0, ferr = 0;
  for (; nf < 40; nf++) {
    fds[nf] = open("/dev/null", O_RDONLY);
    if (fds[nf] < 0) { ferr = errno; break; }
  }
  printf("probe openfiles %d errno %d\n", nf, ferr);
  for (int i = 0; i < nf; i++) close(fds[i]);
  pid_t kids[100];
  int np = 0, perr = 0;
  for (; np < 100; np++) {
    kids[np] = fork();
    if (kids[np] == 0) { pause(); _exit(0); }
    if (kids[np] < 0) { perr = errno; break; }
  }
  printf("probe forked %d errno %d\n", np, perr);
  for (int i = 0; i < np; i++) { kill(kids[i], SIGKILL); waitpid(kids[i], NULL, 0); }
  void *blocks[128];
  int nb = 0;
  for (; nb < 128; nb++) {
    blocks[nb] = malloc(16 << 20);
    if (!blocks[nb]) break;
    memset(blocks[nb], 1, 16 << 20);
  }
  printf("probe allocated %d MiB\n", nb * 16);
  for (int i = 0; i < nb; i++) free(blocks[i]);
  const char *data = getenv("BLVM_DATA_DIR");
  if (data) {
    char path[512];
    snprintf(path, sizeof path, "%s/probe-big", data);
    signal(SIGXFSZ, SIG_IGN);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    static char buf[65536];
    long done = 0, werr = 0;
    while (fd >= 0 && done < (4L << 20)) {
      long n = write(fd, buf, sizeof buf);
      if (n < 0) { werr = errno; break; }
      done += n;
    }
    if (fd >= 0) close(fd);
    unlink(path);
    printf("probe wrote %ld errno %ld\n", done, werr);
  }
  fflush(stdout);
  return module(0);
}

/* A minimal native module: connects to $BLVM_SOCKET, says hello with $BLVM_TOKEN (or a wrong
 * one), prints the kind of the answer, then stays alive. */
static int hello(int wrong_token);
static int module(int wrong_token) {
  int rc = hello(wrong_token);
  if (rc) return rc;
  for (;;) pause();
}

/* Connects as mod-ok, then fills its data directory and stays alive: "fill-N" writes N MiB as
 * 256 KiB files under $BLVM_DATA_DIR/fill/ (each far below a 1 MiB per-file limit); "hide-N"
 * writes N MiB into 1 MiB files it deletes and keeps open, so no walk of the directory sees them.
 * Prints "fill wrote <bytes> errno <e>" when done. */
static int fill(const char *mode) {
  int hide = !strncmp(mode, "hide-", 5);
  long mib = atol(mode + 5);
  int rc = hello(0);
  if (rc) return rc;
  const char *data = getenv("BLVM_DATA_DIR");
  if (!data) { printf("fill no data dir\n"); return 3; }
  char dir[512], path[600];
  snprintf(dir, sizeof dir, "%s/fill", data);
  mkdir(dir, 0700);
  signal(SIGXFSZ, SIG_IGN);
  static char buf[65536];
  memset(buf, 'x', sizeof buf);
  long done = 0;
  int err = 0;
  long chunk = hide ? (1L << 20) : (256L << 10);
  for (long i = 0; done < (mib << 20) && !err; i++) {
    snprintf(path, sizeof path, "%s/f%ld", dir, i);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { err = errno; break; }
    if (hide) unlink(path);
    for (long w = 0; w < chunk; w += sizeof buf) {
      long n = write(fd, buf, sizeof buf);
      if (n < 0) { err = errno; break; }
      done += n;
    }
    if (!hide) close(fd);
  }
  fsync(1);
  printf("fill wrote %ld errno %d\n", done, err);
  fflush(stdout);
  for (;;) pause();
}

/* Connects as mod-ok, then makes a directory in $BLVM_DATA_DIR the loader's user cannot read:
 * "lock" writes 1 MiB into locked/f and sets locked/ to mode 000. Prints "locked". */
static int lock(void) {
  int rc = hello(0);
  if (rc) return rc;
  const char *data = getenv("BLVM_DATA_DIR");
  if (!data) { printf("lock no data dir\n"); return 3; }
  char dir[512], path[600];
  snprintf(dir, sizeof dir, "%s/locked", data);
  snprintf(path, sizeof path, "%s/f", dir);
  mkdir(dir, 0700);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  static char buf[1 << 20];
  if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf) { printf("lock write %d\n", errno); }
  close(fd);
  chmod(dir, 0);
  printf("locked\n");
  fflush(stdout);
  for (;;) pause();
}

static int hello(int wrong_token) {
  const char *path = getenv("BLVM_SOCKET");
  const char *token = getenv("BLVM_TOKEN");
  if (!path || !token || strlen(token) != 64) { printf("module no socket/token\n"); return 3; }
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (connect(s, (struct sockaddr *) &a, sizeof a) < 0) { printf("module connect %d\n", errno); return 3; }
  unsigned char f[256];
  int n = 0;
  const unsigned char head[] = {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x65, 'h', 'e', 'l', 'l', 'o',
                                0x68, 'v', 'e', 'r', 's', 'i', 'o', 'n', 's', 0x81, 0x01,
                                0x65, 't', 'o', 'k', 'e', 'n', 0x78, 0x40};
  n = 4;
  memcpy(f + n, head, sizeof head);
  n += sizeof head;
  memcpy(f + n, token, 64);
  if (wrong_token) f[n] = f[n] == '0' ? '1' : '0';
  n += 64;
  unsigned len = n - 4;
  f[0] = 0; f[1] = 0; f[2] = len >> 8; f[3] = len & 0xff;
  if (write(s, f, n) != n) { printf("module write %d\n", errno); return 3; }
  unsigned char in[4096];
  long r = read(s, in, sizeof in);
  if (r <= 0) { printf("module answer none\n"); }
  else if (memmem(in, r, "welcome", 7)) printf("module answer welcome\n");
  else if (memmem(in, r, "close", 5)) printf("module answer close\n");
  else printf("module answer other\n");
  fflush(stdout);
  return 0;
}

/* Reads exactly n bytes; the first recvmsg has room for descriptors, which land in *fd. */
static int read_full(int s, unsigned char *b, long n, int *fd) {
  long got = 0;
  while (got < n) {
    char ctl[CMSG_SPACE(4 * sizeof(int))];
    struct iovec io = {.iov_base = b + got, .iov_len = n - got};
    struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl,
                       .msg_controllen = sizeof ctl};
    long r = recvmsg(s, &m, 0);
    if (r <= 0) return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
        int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int *fds = (int *) CMSG_DATA(c);
        for (int i = 0; i < k; i++) {
          if (fd && *fd < 0 && got == 0) *fd = fds[i];
          else close(fds[i]);
        }
      }
    }
    got += r;
  }
  return 0;
}

/* One frame into b (at most cap bytes); its descriptor, if any, in *fd. Returns the length. */
static long read_frame(int s, unsigned char *b, long cap, int *fd) {
  unsigned char h[4];
  if (read_full(s, h, 4, fd) < 0) return -1;
  long len = ((long) h[0] << 24) | (h[1] << 16) | (h[2] << 8) | h[3];
  if (len <= 0 || len > cap) return -1;
  if (read_full(s, b, len, NULL) < 0) return -1;
  return len;
}

static int cbor_text(unsigned char *b, const char *t) {
  int n = strlen(t), k = 0;
  if (n < 24) b[k++] = 0x60 | n;
  else { b[k++] = 0x78; b[k++] = n; }
  memcpy(b + k, t, n);
  return k + n;
}

/* A native module using the brokered network; mode "net:<c|l>:<host>:<port>:<abstract name>".
 * c: net_connect to host:port, then an HTTP GET on the socket it gets. l: net_listen on
 * host:port, then accept one client and greet it. Either way it then tries what it must not:
 * an IP socket of its own, binding the received socket elsewhere, and the host's abstract Unix
 * socket. Prints "net <what> <result>" lines. */
static int net_module(const char *mode) {
  char what = mode[4];
  char host[64] = {0}, abstract[64] = {0};
  int port = 0;
  if (sscanf(mode + 6, "%63[^:]:%d:%63s", host, &port, abstract) < 2) { printf("net bad mode\n"); return 3; }
  const char *path = getenv("BLVM_SOCKET");
  const char *token = getenv("BLVM_TOKEN");
  if (!path || !token || strlen(token) != 64) { printf("net no socket/token\n"); return 3; }
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, path, sizeof a.sun_path - 1);
  if (connect(s, (struct sockaddr *) &a, sizeof a) < 0) { printf("net connect %d\n", errno); return 3; }
  static unsigned char f[65536];
  const unsigned char head[] = {0xa3, 0x64, 'k', 'i', 'n', 'd', 0x65, 'h', 'e', 'l', 'l', 'o',
                                0x68, 'v', 'e', 'r', 's', 'i', 'o', 'n', 's', 0x81, 0x01,
                                0x65, 't', 'o', 'k', 'e', 'n', 0x78, 0x40};
  int n = 4;
  memcpy(f + n, head, sizeof head);
  n += sizeof head;
  memcpy(f + n, token, 64);
  n += 64;
  f[0] = 0; f[1] = 0; f[2] = (n - 4) >> 8; f[3] = (n - 4) & 0xff;
  if (write(s, f, n) != n) { printf("net write %d\n", errno); return 3; }
  if (read_frame(s, f, sizeof f, NULL) < 0) { printf("net no welcome\n"); return 3; }
  /* {kind: request, id: 1, method: net_connect|net_listen, params: {...}} */
  n = 4;
  f[n++] = 0xa4;
  n += cbor_text(f + n, "kind");
  n += cbor_text(f + n, "request");
  n += cbor_text(f + n, "id");
  f[n++] = 0x01;
  n += cbor_text(f + n, "method");
  n += cbor_text(f + n, what == 'c' ? "net_connect" : "net_listen");
  n += cbor_text(f + n, "params");
  char endpoint[96];
  if (what == 'c') {
    f[n++] = 0xa2;
    n += cbor_text(f + n, "host");
    n += cbor_text(f + n, host);
    n += cbor_text(f + n, "port");
    f[n++] = 0x19; f[n++] = port >> 8; f[n++] = port & 0xff;
  } else {
    snprintf(endpoint, sizeof endpoint, "%s:%d", host, port);
    f[n++] = 0xa1;
    n += cbor_text(f + n, "address");
    n += cbor_text(f + n, endpoint);
  }
  f[0] = 0; f[1] = 0; f[2] = (n - 4) >> 8; f[3] = (n - 4) & 0xff;
  if (write(s, f, n) != n) { printf("net write %d\n", errno); return 3; }
  int fd = -1;
  long len;
  do {
    len = read_frame(s, f, sizeof f - 1, &fd);
  } while (len > 0 && !memmem(f, len, "response", 8));
  if (len <= 0) { printf("net no answer\n"); return 3; }
  for (long i = 0; i < len; i++) if (f[i] < 0x20 || f[i] > 0x7e) f[i] = ' ';
  f[len] = 0;
  printf("net answer %s\nnet fd %s\n", memmem(f, len, "error", 5) ? "error" : "result",
         fd >= 0 ? "yes" : "no");
  printf("net text %s\n", f);
  fflush(stdout);
  if (fd >= 0 && what == 'c') {
    const char *get = "GET / HTTP/1.0\r\nHost: test\r\n\r\n";
    report("net send", write(fd, get, strlen(get)));
    char buf[512] = {0};
    long r = 0, k;
    while (r < (long) sizeof buf - 1 && (k = read(fd, buf + r, sizeof buf - 1 - r)) > 0) r += k;
    for (long i = 0; i < r; i++) if (buf[i] == '\r' || buf[i] == '\n') buf[i] = ' ';
    printf("net http %s\n", buf);
    close(fd);
  } else if (fd >= 0) {
    int c = accept(fd, NULL, NULL);
    report("net accept", c);
    if (c >= 0) {
      const char *hi = "hello from the module\n";
      report("net greet", write(c, hi, strlen(hi)));
      close(c);
    }
    struct sockaddr_in other = {.sin_family = AF_INET, .sin_port = htons(port + 1)};
    report("net rebind", bind(fd, (struct sockaddr *) &other, sizeof other));
  }
  report("net ca_certs", access("/etc/ssl/certs", R_OK));
  report("net socket_inet", socket(AF_INET, SOCK_STREAM, 0));
  report("net socket_inet6", socket(AF_INET6, SOCK_STREAM, 0));
  if (abstract[0]) {
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un ab = {.sun_family = AF_UNIX};
    strncpy(ab.sun_path + 1, abstract, sizeof ab.sun_path - 2);
    report("net abstract",
           connect(u, (struct sockaddr *) &ab, offsetof(struct sockaddr_un, sun_path) + 1 + strlen(abstract)));
  }
  printf("net done\n");
  fflush(stdout);
  for (;;) pause();
}

/* The mode of a native test module: a trailer "BLVMMODE=<mode>\n" appended to the binary (the
 * loader runs a verified copy under a digest name, so argv[0] cannot carry it). */
static const char *trailer_mode(void) {
  static char buf[65];
  int fd = open("/proc/self/exe", O_RDONLY);
  if (fd < 0) return NULL;
  off_t end = lseek(fd, 0, SEEK_END);
  if (end < 64 || pread(fd, buf, 64, end - 64) != 64) { close(fd); return NULL; }
  close(fd);
  buf[64] = 0;
  char *m = NULL;
  for (int i = 0; i + 9 <= 64; i++) {
    if (!memcmp(buf + i, "BLVMMODE=", 9)) m = buf + i + 9;
  }
  if (!m) return NULL;
  char *nl = strchr(m, '\n');
  if (nl) *nl = 0;
  return m;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  const char *tm = trailer_mode();
  if (tm) base = tm;
  if (!strcmp(base, "mod-ok")) return module(0);
  if (!strcmp(base, "mod-badtoken")) return module(1);
  if (!strncmp(base, "net:", 4)) return net_module(base);
  if (!strcmp(base, "mod-limits")) return probe_limits();
  if (!strcmp(base, "forkbomb")) return forkbomb();
  if (!strcmp(base, "forkhold")) return forkhold();
  if (!strcmp(base, "flood")) return flood();
  if (!strcmp(base, "membomb")) return membomb();
  if (!strcmp(base, "spin")) { for (;;) {} }
  if (!strncmp(base, "fill-", 5) || !strncmp(base, "hide-", 5)) return fill(base);
  if (!strcmp(base, "lock")) return lock();
  if (argc < 2) return 2;
  const char *c = argv[1];
  if (!strcmp(c, "syscalls")) return syscalls();
  if (!strcmp(c, "fds")) return fds();
  if (!strcmp(c, "limits")) return limits();
  if (!strcmp(c, "forkbomb")) return forkbomb();
  if (!strcmp(c, "membomb")) return membomb();
  if (!strcmp(c, "spin")) { for (;;) {} }
  if (!strcmp(c, "sleep")) { sleep(600); return 0; }
  if (!strcmp(c, "getenv") && argc > 2) {
    /* prints one variable of its environment, then stays alive to be looked at from outside */
    const char *v = getenv(argv[2]);
    printf("env %s %s\n", argv[2], v ? v : "(unset)");
    fflush(stdout);
    sleep(600);
    return 0;
  }
  if (!strcmp(c, "tcp") && argc > 2) return tcp(atoi(argv[2]));
  if (!strcmp(c, "bigfile") && argc > 3) return bigfile(argv[2], atol(argv[3]));
  if (!strcmp(c, "files")) {
    /* files r:PATH w:PATH l:PATH ... */
    for (int i = 2; i < argc; i++) {
      if (argv[i][0] == 'r') readf(argv[i] + 2);
      else if (argv[i][0] == 'w') writef(argv[i] + 2);
      else if (argv[i][0] == 'l') lsdir(argv[i] + 2);
    }
    return 0;
  }
  return 2;
}
