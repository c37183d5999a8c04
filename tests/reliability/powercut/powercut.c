/*
 * powercut.so: an LD_PRELOAD shim that simulates a power cut in the process it is loaded into,
 * for tests/reliability/power_loss.rs. kill -9 alone proves nothing about durability: the OS
 * page cache keeps every write the process made, synced or not. This shim models the disk
 * instead: what was written to a file since that file's last fsync is not on the disk yet, and
 * a power cut loses it.
 *
 * It tracks the regular files under COFFER_POWERCUT_DIR (the profile dir) except SQLite's
 * `-shm` files (see below). Before every write to such a file it saves the write's pre-image:
 * the bytes the write is about to overwrite and the file's size before it. fsync/fdatasync of a
 * file make that file's writes durable: its saved pre-images are forgotten. At the K-th tracked
 * write (COFFER_POWERCUT_AT=K) the power goes: that write is not applied, every file's saved
 * pre-images are written back newest first (which undoes, exactly, everything written since
 * that file's last sync, in the middle of a transaction or of a WAL checkpoint alike), the
 * `-shm` files are deleted, a one-line report goes to COFFER_POWERCUT_REPORT, and the process
 * ends with _exit(137) at once. Every write's pre-image is kept, not only the first one of a
 * region since the last sync: written back newest first they give the same synced state, and
 * with a sync at each commit there are few of them.
 *
 * With COFFER_POWERCUT_TEAR=1 the K-th write is torn instead: the file it goes to keeps its
 * earlier unsynced writes (the disk wrote them out in order) and gets only the first sectors of
 * this one; every other file still loses its unsynced writes. Either way nothing synced is ever
 * undone, so a program that syncs what it must keep loses nothing it kept.
 *
 * Without COFFER_POWERCUT_AT (or with 0) nothing is cut: the shim only counts, and writes one
 * trace line per tracked write and sync to the report ("write N call file kind offset len ms
 * wall_us", "sync N call file kind ms wall_us"), then "completed writes=N" at exit. The test
 * reads that to draw K inside a real run, to find the checkpoint's writes, and (by the wall
 * clock) the first write after each charge the sandbox made.
 *
 * The calls: SQLite's unix VFS on Linux is built with USE_PREAD (HAVE_PREAD/HAVE_PWRITE are set
 * for __linux__ in sqlite3.c), so it writes with pwrite() (glibc: pwrite64 under
 * _FILE_OFFSET_BITS=64), truncates with ftruncate() and syncs with fsync() (fdatasync is
 * #defined to fsync unless HAVE_FDATASYNC, which libsqlite3-sys does not set); with mmap_size 0
 * (the default, and Coffer does not change it) it never writes the database through a mapping.
 * Rust's std writes with write()/writev()/pwrite64() and truncates with ftruncate64(). All of
 * these are interposed here (write() at the file's current offset, so a build without USE_PREAD,
 * which does lseek+write, is covered too). Checked with `strace -f -y` on `coffer run-due`:
 * pwrite64 and fsync on coffer.db and coffer.db-wal, one ftruncate of coffer.db at the closing
 * checkpoint, write() of the outbox notices (a temporary name, then rename), an fsync of the
 * profile directory (not a regular file: ignored here), a MAP_SHARED mapping of the -shm only;
 * no lseek, fdatasync, sync_file_range, writev or fallocate. Calls this model cannot undo (a shared writable mapping of a
 * tracked file, fallocate, copy_file_range, sendfile into one) end the process with exit code
 * 98 and an "unsupported" report, so a change in how the files are written fails the test
 * loudly instead of slipping past the model.
 *
 * The `-shm` file is SQLite's WAL index: shared memory that only lives while a connection has
 * the database open. After a reboot its content is meaningless (SQLite itself rebuilds it from
 * the WAL when the first connection finds no other one), so the cut deletes it and it is never
 * tracked.
 *
 * Files are tracked by inode, so the data written to a file that was renamed or unlinked since
 * is undone too. The one simplification: directory entries (creating, renaming, unlinking a
 * file) are taken as durable at once. SQLite fsyncs the directory after creating a WAL, and
 * unlinks the WAL only after a checkpoint has synced the database, so a WAL brought back by a
 * lost unlink would only be replayed again.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* A tracked file, by inode: SQLite's WAL is unlinked at close and Coffer's notices are written
 * to a temporary name and renamed, so a path would not find them again at the cut. `fd` is a
 * duplicate kept open until the process ends (closing it would drop SQLite's POSIX locks on the
 * file, which belong to the process and the inode, not to one descriptor); the cut writes the
 * pre-images back through it. */
struct file {
    struct file *next;
    dev_t dev;
    ino_t ino;
    int fd;
    const char *kind;
};

/* One saved pre-image: undoing it writes `old` (the `old_len` bytes that existed at `off`)
 * back and truncates the file to `old_size`. Newest first in one list for all files. */
struct preimage {
    struct preimage *older;
    struct file *file;
    off_t off;
    size_t old_len;
    char *old;
    off_t old_size;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int active;
static char dir[PATH_MAX];
static size_t dir_len;
static char report_path[PATH_MAX];
static long cut_at;
static int tear;
static long writes;
static long syncs;
static struct preimage *newest;
static struct file *files;
static struct timespec started;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static ssize_t (*real_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off_t);
static int (*real_ftruncate)(int, off_t);
static int (*real_ftruncate64)(int, off_t);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static void *(*real_mmap64)(void *, size_t, int, int, int, off_t);
static int (*real_fallocate)(int, int, off_t, off_t);
static int (*real_fallocate64)(int, int, off_t, off_t);
static int (*real_posix_fallocate)(int, off_t, off_t);
static int (*real_posix_fallocate64)(int, off_t, off_t);
static ssize_t (*real_copy_file_range)(int, off_t *, int, off_t *, size_t, unsigned int);
static ssize_t (*real_sendfile)(int, int, off_t *, size_t);
static ssize_t (*real_sendfile64)(int, int, off_t *, size_t);

#define RESOLVE(name) real_##name = dlsym(RTLD_NEXT, #name)

__attribute__((constructor)) static void powercut_init(void) {
    RESOLVE(write);
    RESOLVE(pwrite);
    RESOLVE(pwrite64);
    RESOLVE(writev);
    RESOLVE(pwritev);
    RESOLVE(pwritev64);
    RESOLVE(ftruncate);
    RESOLVE(ftruncate64);
    RESOLVE(fsync);
    RESOLVE(fdatasync);
    RESOLVE(mmap);
    RESOLVE(mmap64);
    RESOLVE(fallocate);
    RESOLVE(fallocate64);
    RESOLVE(posix_fallocate);
    RESOLVE(posix_fallocate64);
    RESOLVE(copy_file_range);
    RESOLVE(sendfile);
    RESOLVE(sendfile64);
    clock_gettime(CLOCK_MONOTONIC, &started);

    const char *d = getenv("COFFER_POWERCUT_DIR");
    const char *r = getenv("COFFER_POWERCUT_REPORT");
    if (!d || !*d || !r || !*r) return;
    if (!realpath(d, dir)) return;
    dir_len = strlen(dir);
    snprintf(report_path, sizeof report_path, "%s", r);
    const char *k = getenv("COFFER_POWERCUT_AT");
    cut_at = k ? atol(k) : 0;
    const char *t = getenv("COFFER_POWERCUT_TEAR");
    tear = t && strcmp(t, "1") == 0;
    active = 1;
    /* Only this process loses power: nothing it starts inherits the shim. */
    unsetenv("LD_PRELOAD");
    unsetenv("COFFER_POWERCUT_DIR");
    unsetenv("COFFER_POWERCUT_REPORT");
    unsetenv("COFFER_POWERCUT_AT");
    unsetenv("COFFER_POWERCUT_TEAR");
}

/* Appends one line to the report (the shim's own writes go straight to the real write). */
static void report(const char *fmt, ...) {
    char line[PATH_MAX + 512];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    if (n < 0) return;
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    int fd = open(report_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return;
    real_write(fd, line, (size_t)n);
    close(fd);
}

static long elapsed_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - started.tv_sec) * 1000 + (now.tv_nsec - started.tv_nsec) / 1000000;
}

/* Wall-clock microseconds: the test lines the trace up with the sandbox's charge times. */
static long long wall_us(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (long long)now.tv_sec * 1000000 + now.tv_nsec / 1000;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The path of `fd` when it is a tracked file (a regular file under the dir, not a `-shm`). */
static int tracked_path(int fd, char *path) {
    if (!active || fd < 0) return 0;
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, PATH_MAX - 1);
    if (n <= 0) return 0;
    path[n] = 0;
    if ((size_t)n <= dir_len || strncmp(path, dir, dir_len) != 0 || path[dir_len] != '/')
        return 0;
    if (ends_with(path, "-shm") || ends_with(path, " (deleted)")) return 0;
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* What a tracked file is, for the report: the main database (written only by checkpoints in
 * WAL mode), its WAL, or something else. */
static const char *kind_of(const char *path) {
    if (ends_with(path, "/coffer.db")) return "main";
    if (ends_with(path, "-wal")) return "wal";
    if (ends_with(path, "-journal")) return "journal";
    return "other";
}

static const char *name_of(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static _Noreturn void unsupported(const char *what, const char *path) {
    report("unsupported call=%s file=%s: the power-cut model cannot undo it\n", what,
           name_of(path));
    _exit(98);
}

/* The tracked file behind `fd`, registered (with its duplicate descriptor) on first sight. */
static struct file *file_of(int fd, const char *path, const struct stat *st) {
    for (struct file *f = files; f; f = f->next)
        if (f->dev == st->st_dev && f->ino == st->st_ino) return f;
    struct file *f = calloc(1, sizeof *f);
    if (!f) unsupported("calloc", path);
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->kind = kind_of(path);
    f->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (f->fd < 0) unsupported("dup", path);
    f->next = files;
    files = f;
    return f;
}

/* Reads `len` bytes at `off` of the file behind fd (or its path when fd is write-only). */
static ssize_t read_back(int fd, const char *path, char *buf, size_t len, off_t off) {
    size_t done = 0;
    int own = -1;
    while (done < len) {
        ssize_t n = pread(own >= 0 ? own : fd, buf + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EBADF && own < 0) {
            own = open(path, O_RDONLY | O_CLOEXEC);
            if (own < 0) return -1;
            continue;
        }
        if (n <= 0) break;
        done += (size_t)n;
    }
    if (own >= 0) close(own);
    return (ssize_t)done;
}

/* Saves the pre-image of a write of `len` bytes at `off` (or of a truncation when `truncate_to`
 * is not -1). Called with the lock held. */
static void save_preimage(int fd, const char *path, off_t off, size_t len, off_t truncate_to) {
    struct stat st;
    if (fstat(fd, &st) != 0) unsupported("fstat", path);
    struct preimage *p = calloc(1, sizeof *p);
    if (!p) unsupported("calloc", path);
    p->file = file_of(fd, path, &st);
    p->old_size = st.st_size;
    if (truncate_to >= 0) {
        /* A shrink loses the tail; a growth only changes the size. */
        off = truncate_to;
        len = st.st_size > truncate_to ? (size_t)(st.st_size - truncate_to) : 0;
    }
    p->off = off;
    if (off < st.st_size && len > 0) {
        size_t existing = (size_t)(st.st_size - off) < len ? (size_t)(st.st_size - off) : len;
        p->old = malloc(existing);
        if (!p->old || read_back(fd, path, p->old, existing, off) != (ssize_t)existing)
            unsupported("read-back", path);
        p->old_len = existing;
    }
    p->older = newest;
    newest = p;
}

/* Forgets the saved pre-images of the file behind `fd`: its writes are on the disk now. */
static void make_durable(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0) return;
    struct preimage **at = &newest;
    while (*at) {
        struct preimage *p = *at;
        if (p->file->dev == st.st_dev && p->file->ino == st.st_ino) {
            *at = p->older;
            free(p->old);
            free(p);
        } else {
            at = &p->older;
        }
    }
}

static void write_fully(int fd, const char *buf, size_t len, off_t off) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = real_pwrite64(fd, buf + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        done += (size_t)n;
    }
}

/* Deletes the WAL indexes under the dir: volatile shared memory, meaningless after a reboot. */
static void drop_shm_files(void) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[PATH_MAX + 256];
    while ((e = readdir(d))) {
        if (ends_with(e->d_name, "-shm")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
}

/* The power goes at the tracked write `number` to `path` (`len` bytes from `buf` at `off`):
 * never returns. Called with the lock held, which no other thread gets back. */
static _Noreturn void power_cut(int fd, const char *path, const void *buf, size_t len, off_t off,
                                long number) {
    int torn = 0;
    if (tear && buf && len > 1) {
        /* The disk got this file's earlier unsynced writes and the first sectors of this one. */
        size_t part = (len / 2) & ~(size_t)511;
        if (part == 0) part = len / 2;
        write_fully(fd, buf, part, off);
        torn = 1;
    }
    struct stat st;
    int have = fstat(fd, &st) == 0;
    long restored = 0, restored_bytes = 0, kept = 0, wal = 0, main_db = 0;
    for (struct preimage *p = newest; p; p = p->older) {
        if (torn && have && p->file->dev == st.st_dev && p->file->ino == st.st_ino) {
            kept++;
            continue;
        }
        if (p->old_len) write_fully(p->file->fd, p->old, p->old_len, p->off);
        real_ftruncate64(p->file->fd, p->old_size);
        restored++;
        restored_bytes += (long)p->old_len;
        wal += strcmp(p->file->kind, "wal") == 0;
        main_db += strcmp(p->file->kind, "main") == 0;
    }
    drop_shm_files();
    report("cut write=%ld file=%s kind=%s offset=%lld len=%zu torn=%d restored=%ld "
           "restored_wal=%ld restored_main=%ld restored_other=%ld restored_bytes=%ld kept=%ld "
           "ms=%ld\n",
           number, name_of(path), kind_of(path), (long long)off, len, torn, restored, wal,
           main_db, restored - wal - main_db, restored_bytes, kept, elapsed_ms());
    _exit(137);
}

static off_t current_offset(int fd) {
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_APPEND)) {
        struct stat st;
        return fstat(fd, &st) == 0 ? st.st_size : 0;
    }
    return lseek(fd, 0, SEEK_CUR);
}

/* Before a tracked write of `len` bytes at `off` (-1: at the file's current offset;
 * truncate_to: -1, or the new size of an ftruncate): counts it, cuts the power if it is the
 * K-th, else saves its pre-image. Returns with the lock held when the file is tracked (the
 * caller writes, then unlocks), 0 otherwise. */
static int before_write(int fd, const void *buf, size_t len, off_t off, off_t truncate_to,
                        const char *call) {
    char path[PATH_MAX];
    if (!tracked_path(fd, path)) return 0;
    pthread_mutex_lock(&lock);
    if (off < 0 && truncate_to < 0) off = current_offset(fd);
    long number = ++writes;
    /* The K-th write itself is never applied (or, torn, lands in a file whose unsynced writes
     * are all kept): it needs no pre-image, and the report counts only earlier writes undone. */
    if (cut_at > 0 && number == cut_at)
        power_cut(fd, path, truncate_to < 0 ? buf : NULL, len,
                  truncate_to < 0 ? off : truncate_to, number);
    save_preimage(fd, path, off, len, truncate_to);
    if (cut_at <= 0)
        report("write %ld %s %s %s %lld %zu %ld %lld\n", number, call, name_of(path),
               kind_of(path), (long long)(truncate_to >= 0 ? truncate_to : off), len, elapsed_ms(),
               wall_us());
    return 1;
}

static size_t iov_total(const struct iovec *iov, int n) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += iov[i].iov_len;
    return total;
}

/* A vectored write as one buffer, so that a torn cut can apply a prefix of it. */
static void *iov_flatten(const struct iovec *iov, int n, size_t total) {
    char *buf = malloc(total ? total : 1);
    if (!buf) return NULL;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        memcpy(buf + at, iov[i].iov_base, iov[i].iov_len);
        at += iov[i].iov_len;
    }
    return buf;
}

ssize_t write(int fd, const void *buf, size_t len) {
    if (!before_write(fd, buf, len, -1, -1, "write"))
        return real_write(fd, buf, len);
    ssize_t n = real_write(fd, buf, len);
    pthread_mutex_unlock(&lock);
    return n;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off) {
    if (!before_write(fd, buf, len, off, -1, "pwrite")) return real_pwrite(fd, buf, len, off);
    ssize_t n = real_pwrite(fd, buf, len, off);
    pthread_mutex_unlock(&lock);
    return n;
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off) {
    if (!before_write(fd, buf, len, off, -1, "pwrite64"))
        return real_pwrite64(fd, buf, len, off);
    ssize_t n = real_pwrite64(fd, buf, len, off);
    pthread_mutex_unlock(&lock);
    return n;
}

static ssize_t vectored(int fd, const struct iovec *iov, int n, off_t off, const char *call,
                        ssize_t (*real)(int, const struct iovec *, int, off_t), int positional) {
    char path[PATH_MAX];
    if (!tracked_path(fd, path)) {
        return positional ? real(fd, iov, n, off) : real_writev(fd, iov, n);
    }
    size_t total = iov_total(iov, n);
    void *flat = iov_flatten(iov, n, total);
    if (!flat) unsupported("malloc", path);
    ssize_t written;
    if (!before_write(fd, flat, total, positional ? off : -1, -1, call)) {
        written = positional ? real(fd, iov, n, off) : real_writev(fd, iov, n);
    } else {
        written = positional ? real(fd, iov, n, off) : real_writev(fd, iov, n);
        pthread_mutex_unlock(&lock);
    }
    free(flat);
    return written;
}

ssize_t writev(int fd, const struct iovec *iov, int n) {
    return vectored(fd, iov, n, 0, "writev", NULL, 0);
}

ssize_t pwritev(int fd, const struct iovec *iov, int n, off_t off) {
    return vectored(fd, iov, n, off, "pwritev", real_pwritev, 1);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int n, off_t off) {
    return vectored(fd, iov, n, off, "pwritev64", real_pwritev64, 1);
}

int ftruncate(int fd, off_t size) {
    if (!before_write(fd, NULL, 0, 0, size, "ftruncate")) return real_ftruncate(fd, size);
    int rc = real_ftruncate(fd, size);
    pthread_mutex_unlock(&lock);
    return rc;
}

int ftruncate64(int fd, off_t size) {
    if (!before_write(fd, NULL, 0, 0, size, "ftruncate64")) return real_ftruncate64(fd, size);
    int rc = real_ftruncate64(fd, size);
    pthread_mutex_unlock(&lock);
    return rc;
}

/* A sync of a tracked file runs under the lock, so that no cut falls between the sync's return
 * and its writes being taken as durable. */
static int synced(int fd, int (*real)(int), const char *call) {
    char path[PATH_MAX];
    if (!tracked_path(fd, path)) return real(fd);
    pthread_mutex_lock(&lock);
    int rc = real(fd);
    if (rc == 0) {
        make_durable(fd);
        syncs++;
        if (cut_at <= 0)
            report("sync %ld %s %s %s %ld %lld\n", syncs, call, name_of(path), kind_of(path),
                   elapsed_ms(), wall_us());
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

int fsync(int fd) { return synced(fd, real_fsync, "fsync"); }

int fdatasync(int fd) { return synced(fd, real_fdatasync, "fdatasync"); }

/* The calls the model cannot undo: refused loudly on a tracked file. */

static void *mapped(void *(*real)(void *, size_t, int, int, int, off_t), void *addr, size_t len,
                    int prot, int flags, int fd, off_t off) {
    char path[PATH_MAX];
    if ((prot & PROT_WRITE) && (flags & MAP_SHARED) && tracked_path(fd, path))
        unsupported("mmap", path);
    return real(addr, len, prot, flags, fd, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    return mapped(real_mmap, addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    return mapped(real_mmap64, addr, len, prot, flags, fd, off);
}

#define REFUSE_ON(fd, call)                                                                      \
    do {                                                                                         \
        char path_[PATH_MAX];                                                                    \
        if (tracked_path(fd, path_)) unsupported(call, path_);                                   \
    } while (0)

int fallocate(int fd, int mode, off_t off, off_t len) {
    REFUSE_ON(fd, "fallocate");
    return real_fallocate(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off_t off, off_t len) {
    REFUSE_ON(fd, "fallocate64");
    return real_fallocate64(fd, mode, off, len);
}

int posix_fallocate(int fd, off_t off, off_t len) {
    REFUSE_ON(fd, "posix_fallocate");
    return real_posix_fallocate(fd, off, len);
}

int posix_fallocate64(int fd, off_t off, off_t len) {
    REFUSE_ON(fd, "posix_fallocate64");
    return real_posix_fallocate64(fd, off, len);
}

ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len,
                        unsigned int flags) {
    REFUSE_ON(out, "copy_file_range");
    return real_copy_file_range(in, in_off, out, out_off, len, flags);
}

ssize_t sendfile(int out, int in, off_t *off, size_t len) {
    REFUSE_ON(out, "sendfile");
    return real_sendfile(out, in, off, len);
}

ssize_t sendfile64(int out, int in, off_t *off, size_t len) {
    REFUSE_ON(out, "sendfile64");
    return real_sendfile64(out, in, off, len);
}

/* In counting mode (no K, or a K the run never reached): the total, for the test. */
__attribute__((destructor)) static void powercut_done(void) {
    if (active) report("completed writes=%ld syncs=%ld ms=%ld\n", writes, syncs, elapsed_ms());
}
