//! WASI preview1 end to end: small C programs compiled here with clang
//! (`--target=wasm32-wasi`) and run with `kiln run`.
//!
//! Every case is one `check(c_source, args, expected_stdout, expected_exit)`
//! call. In `args` (the arguments of `kiln run`), `{wasm}` is the compiled
//! program and `{tree}` a fresh directory tree:
//!
//! ```text
//! {tree}/secret.txt                 "top secret" (outside the preopen)
//! {tree}/pre/hello.txt              "hello, file"
//! {tree}/pre/sub/                   empty directory
//! {tree}/pre/escape -> ../secret.txt
//! {tree}/pre/sub/up -> ../../secret.txt
//! {tree}/pre/abs -> /etc
//! {tree}/pre/inner -> sub/../hello.txt
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const INSTALL: &str = "apt-get update && apt-get install -y --no-install-recommends \
                       clang lld wasi-libc libclang-rt-dev-wasm32";

fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kiln-wasi-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// Compile `source` to a wasm32-wasi command; fails (never skips) when the
/// toolchain is missing.
fn compile(source: &str) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    source.hash(&mut h);
    let stem = work_dir().join(format!("p{:016x}", h.finish()));
    let (c, wasm) = (stem.with_extension("c"), stem.with_extension("wasm"));
    std::fs::write(&c, source).unwrap();
    let out = Command::new("clang")
        .args(["--target=wasm32-wasi", "-O2", "-o"])
        .arg(&wasm)
        .arg(&c)
        .output()
        .unwrap_or_else(|e| panic!("cannot run clang ({e}); install the toolchain: {INSTALL}"));
    assert!(
        out.status.success(),
        "clang --target=wasm32-wasi failed (is the toolchain installed? {INSTALL}):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wasm
}

/// A fresh directory tree for one case (see the module docs).
fn tree() -> PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let root = work_dir().join(format!("tree{}", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::create_dir_all(root.join("pre/sub")).unwrap();
    std::fs::write(root.join("secret.txt"), "top secret").unwrap();
    std::fs::write(root.join("pre/hello.txt"), "hello, file").unwrap();
    let link = |target: &str, at: &str| std::os::unix::fs::symlink(target, root.join(at)).unwrap();
    link("../secret.txt", "pre/escape");
    link("../../secret.txt", "pre/sub/up");
    link("/etc", "pre/abs");
    link("sub/../hello.txt", "pre/inner");
    root
}

/// Compile `c_source`, run `kiln run ARGS`, and compare stdout and the exit
/// status.
fn check(c_source: &str, args: &[&str], expected_stdout: &str, expected_exit: i32) {
    let wasm = compile(c_source);
    let tree = tree();
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            a.replace("{wasm}", wasm.to_str().unwrap())
                .replace("{tree}", tree.to_str().unwrap())
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        (stdout.as_ref(), out.status.code()),
        (expected_stdout, Some(expected_exit)),
        "kiln {args:?}\nstderr: {stderr}\nsource:\n{c_source}"
    );
}

const PRELUDE: &str = r#"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#define RAW(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
RAW(fd_write) int raw_fd_write(int fd, int iovs, int n, int out);
RAW(fd_read) int raw_fd_read(int fd, int iovs, int n, int out);
RAW(args_get) int raw_args_get(int argv, int buf);
RAW(args_sizes_get) int raw_args_sizes_get(int argc, int size);
RAW(random_get) int raw_random_get(int buf, int len);
RAW(clock_time_get) int raw_clock_time_get(int id, long long precision, int out);
RAW(path_open) int raw_path_open(int fd, int dirflags, int path, int len, int oflags,
                                 long long base, long long inheriting, int fdflags, int out);
RAW(path_create_directory) int raw_mkdir(int fd, int path, int len);
RAW(sock_accept) int raw_sock_accept(int fd, int flags, int out);
RAW(fd_close) int raw_fd_close(int fd);
/* Open `p` beneath descriptor `fd` with the raw call; prints the errno. */
static int open_raw(int fd, const char *p, int follow) {
    static int out;
    return raw_path_open(fd, follow, (int)p, strlen(p), 0, 2 /* fd_read */, 0, 0, (int)&out);
}
"#;

fn program(body: &str) -> String {
    format!("{PRELUDE}\n{body}")
}

#[test]
fn stdio_args_env_and_exit_codes() {
    check(
        &program(
            r#"int main(void) { printf("hello\n"); fprintf(stderr, "to stderr\n"); return 0; }"#,
        ),
        &["run", "{wasm}"],
        "hello\n",
        0,
    );
    let args = program(
        r#"int main(int argc, char **argv) {
            const char *slash = strrchr(argv[0], '/');
            printf("argc=%d argv0=%s\n", argc, slash ? slash + 1 : argv[0]);
            for (int i = 1; i < argc; i++) printf("[%s]\n", argv[i]);
            printf("FOO=%s BAR=%s NONE=%s\n", getenv("FOO"), getenv("BAR"),
                   getenv("NONE") ? "set" : "unset");
            return argc;
        }"#,
    );
    let name = compile(&args)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    check(
        &args,
        &[
            "run", "--env", "FOO=1", "{wasm}", "--env", "BAR=a b", "x", "--y", "-- z",
        ],
        &format!("argc=4 argv0={name}\n[x]\n[--y]\n[-- z]\nFOO=1 BAR=a b NONE=unset\n"),
        4,
    );
    check(
        &args,
        &["run", "{wasm}", "--", "--dir"],
        &format!("argc=2 argv0={name}\n[--dir]\nFOO=(null) BAR=(null) NONE=unset\n"),
        2,
    );
    // Exit statuses: from main, from exit() (after flushing stdio); one
    // WASI does not allow (126 and up) is an error, never truncated to 8
    // bits (300 would read as 44). cli.rs pins the edges.
    check(
        &program("int main(void) { return 7; }"),
        &["run", "{wasm}"],
        "",
        7,
    );
    check(
        &program(r#"int main(void) { printf("before"); exit(42); }"#),
        &["run", "{wasm}"],
        "before",
        42,
    );
    check(
        &program("int main(void) { _Exit(300); }"),
        &["run", "{wasm}"],
        "",
        1,
    );
    // stdin is /dev/null here: end of file at once.
    check(
        &program(r#"int main(void) { printf("%d\n", getchar() == EOF); return 0; }"#),
        &["run", "{wasm}"],
        "1\n",
        0,
    );
}

#[test]
fn files_beneath_a_preopen() {
    let files = program(
        r#"int main(void) {
            char buf[64] = {0};
            FILE *f = fopen("hello.txt", "r");
            if (!f) { perror("fopen"); return 1; }
            fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            printf("read: %s\n", buf);
            f = fopen("sub/new.txt", "w");
            fprintf(f, "written %d", 123);
            fclose(f);
            f = fopen("sub/new.txt", "a+");
            fputs("!", f);
            fseek(f, 0, SEEK_SET);
            memset(buf, 0, sizeof buf);
            fread(buf, 1, sizeof buf - 1, f);
            printf("tell=%ld back: %s\n", ftell(f), buf);
            fclose(f);
            struct stat st;
            stat("sub/new.txt", &st);
            printf("size=%lld reg=%d\n", (long long)st.st_size, S_ISREG(st.st_mode));
            printf("mkdir=%d ", mkdir("sub/dir", 0755));
            printf("again=%d errno=%d\n", mkdir("sub/dir", 0755), errno);
            printf("rename=%d ", rename("sub/new.txt", "sub/dir/moved.txt"));
            printf("gone=%d\n", access("sub/new.txt", F_OK) == 0);
            DIR *d = opendir("sub/dir");
            struct dirent *e;
            while ((e = readdir(d))) if (e->d_name[0] != '.') printf("entry %s\n", e->d_name);
            closedir(d);
            printf("rmdir-full=%d errno=%d\n", rmdir("sub/dir"), errno);
            printf("unlink=%d rmdir=%d\n", unlink("sub/dir/moved.txt"), rmdir("sub/dir"));
            int fd = open("sub/t", O_RDWR | O_CREAT | O_TRUNC, 0644);
            printf("pwrite=%zd ", pwrite(fd, "abcdef", 6, 0));
            printf("ftruncate=%d ", ftruncate(fd, 3));
            memset(buf, 0, sizeof buf);
            printf("pread=%zd %s\n", pread(fd, buf, 10, 1), buf);
            close(fd);
            f = fopen("inner", "r");
            printf("inner symlink: %s\n", f ? fgets(buf, sizeof buf, f) : "FAILED");
            return 0;
        }"#,
    );
    check(
        &files,
        &["run", "--dir", "{tree}/pre::.", "{wasm}"],
        "read: hello, file\n\
         tell=12 back: written 123!\n\
         size=12 reg=1\n\
         mkdir=0 again=-1 errno=20\n\
         rename=0 gone=0\n\
         entry moved.txt\n\
         rmdir-full=-1 errno=55\n\
         unlink=0 rmdir=0\n\
         pwrite=6 ftruncate=0 pread=2 bc\n\
         inner symlink: hello, file\n",
        0,
    );
    // Without a preopen there is nothing to open.
    check(
        &program(
            r#"int main(void) { printf("%d\n", fopen("hello.txt", "r") == NULL); return 0; }"#,
        ),
        &["run", "{wasm}"],
        "1\n",
        0,
    );
}

#[test]
fn escapes_are_refused() {
    // Raw calls on the preopen (descriptor 3) show exactly what the host
    // answers; 76 is ENOTCAPABLE, 32 ELOOP, 0 success.
    let raw = program(
        r#"int main(void) {
            const char *paths[] = {"hello.txt", "../secret.txt", "sub/../../secret.txt",
                                   "escape", "sub/up", "abs/passwd", "/etc/passwd",
                                   "inner", "..", "sub/../hello.txt"};
            for (int i = 0; i < 10; i++) {
                printf("%s: nofollow=%d follow=%d\n", paths[i],
                       open_raw(3, paths[i], 0), open_raw(3, paths[i], 1));
            }
            printf("mkdir ../x: %d\n", raw_mkdir(3, (int)"../x", 4));
            /* Through libc as well: the errno a program sees. */
            errno = 0;
            FILE *f = fopen("escape", "r");
            printf("fopen escape: %s errno=%d\n", f ? "OPENED" : "refused", errno);
            f = fopen("sub/up", "r");
            printf("fopen sub/up: %s errno=%d\n", f ? "OPENED" : "refused", errno);
            return 0;
        }"#,
    );
    check(
        &raw,
        &["run", "--dir", "{tree}/pre::.", "{wasm}"],
        "hello.txt: nofollow=0 follow=0\n\
         ../secret.txt: nofollow=76 follow=76\n\
         sub/../../secret.txt: nofollow=76 follow=76\n\
         escape: nofollow=32 follow=76\n\
         sub/up: nofollow=32 follow=76\n\
         abs/passwd: nofollow=76 follow=76\n\
         /etc/passwd: nofollow=76 follow=76\n\
         inner: nofollow=32 follow=0\n\
         ..: nofollow=76 follow=76\n\
         sub/../hello.txt: nofollow=0 follow=0\n\
         mkdir ../x: 76\n\
         fopen escape: refused errno=76\n\
         fopen sub/up: refused errno=76\n",
        0,
    );
}

#[test]
fn clocks_random_and_bad_pointers() {
    let clocks = program(
        r#"int main(void) {
            struct timespec a, b, r, d = {0, 20 * 1000 * 1000};
            clock_gettime(CLOCK_MONOTONIC, &a);
            nanosleep(&d, NULL);
            clock_gettime(CLOCK_MONOTONIC, &b);
            long long ns = (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec);
            printf("slept>=20ms: %d\n", ns >= 20000000LL && ns < 5000000000LL);
            printf("realtime after 2020: %d\n", time(NULL) > 1577836800);
            printf("res ok: %d\n", clock_getres(CLOCK_MONOTONIC, &r) == 0 && (r.tv_sec || r.tv_nsec));
            printf("bad clock: %d\n", raw_clock_time_get(99, 0, (int)&a));
            unsigned char buf[32] = {0};
            printf("random: %d ", raw_random_get((int)buf, 32));
            int zero = 0;
            for (int i = 0; i < 32; i++) zero += buf[i] == 0;
            printf("mostly nonzero: %d\n", zero < 8);
            return 0;
        }"#,
    );
    check(
        &clocks,
        &["run", "{wasm}"],
        "slept>=20ms: 1\nrealtime after 2020: 1\nres ok: 1\nbad clock: 28\nrandom: 0 mostly nonzero: 1\n",
        0,
    );
    // Pointers and lengths past the end of memory are EFAULT (21); the
    // program keeps running. Unsupported calls are ENOTSUP (58).
    let faults = program(
        r#"int main(void) {
            setvbuf(stdout, NULL, _IONBF, 0);
            int end = __builtin_wasm_memory_size(0) * 65536;
            int iov[2] = {end - 2, 8};
            int n;
            printf("write iov past end: %d\n", raw_fd_write(1, (int)iov, 1, (int)&n));
            printf("iov table past end: %d\n", raw_fd_write(1, end - 4, 1, (int)&n));
            printf("huge count: %d\n", raw_fd_write(1, (int)iov, 0x7fffffff, (int)&n));
            iov[0] = (int)"ok"; iov[1] = 2;
            printf("result past end: %d\n", raw_fd_write(1, (int)iov, 1, end - 1));
            printf("\nread into -1: %d\n", raw_fd_read(0, (int)iov, 1, -1));
            printf("args_get past end: %d\n", raw_args_get(end, end - 1));
            printf("args_sizes_get at -4: %d\n", raw_args_sizes_get(-4, (int)&n));
            printf("random past end: %d\n", raw_random_get(end - 16, 17));
            printf("path past end: %d\n", raw_mkdir(3, end - 1, 5));
            printf("bad fd: %d\n", raw_fd_close(1234));
            printf("sockets: %d\n", raw_sock_accept(0, 0, (int)&n));
            return 0;
        }"#,
    );
    check(
        &faults,
        &["run", "--dir", "{tree}/pre::.", "{wasm}"],
        "write iov past end: 21\n\
         iov table past end: 21\n\
         huge count: 21\n\
         okresult past end: 21\n\
         \nread into -1: 21\n\
         args_get past end: 21\n\
         args_sizes_get at -4: 21\n\
         random past end: 21\n\
         path past end: 21\n\
         bad fd: 8\n\
         sockets: 58\n",
        0,
    );
}
