//! WASI preview1 error numbers (`errno` in the witx), and the mapping from
//! host `errno` values.

/// A WASI preview1 error number, as returned to the guest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub u16);

impl Errno {
    pub const SUCCESS: Errno = Errno(0);
    pub const TOOBIG: Errno = Errno(1);
    pub const ACCES: Errno = Errno(2);
    pub const AGAIN: Errno = Errno(6);
    pub const BADF: Errno = Errno(8);
    pub const BUSY: Errno = Errno(10);
    pub const EXIST: Errno = Errno(20);
    pub const FAULT: Errno = Errno(21);
    pub const FBIG: Errno = Errno(22);
    pub const ILSEQ: Errno = Errno(25);
    pub const INTR: Errno = Errno(27);
    pub const INVAL: Errno = Errno(28);
    pub const IO: Errno = Errno(29);
    pub const ISDIR: Errno = Errno(31);
    pub const LOOP: Errno = Errno(32);
    pub const MFILE: Errno = Errno(33);
    pub const MLINK: Errno = Errno(34);
    pub const NAMETOOLONG: Errno = Errno(37);
    pub const NFILE: Errno = Errno(41);
    pub const NOENT: Errno = Errno(44);
    pub const NOMEM: Errno = Errno(48);
    pub const NOSPC: Errno = Errno(51);
    pub const NOSYS: Errno = Errno(52);
    pub const NOTDIR: Errno = Errno(54);
    pub const NOTEMPTY: Errno = Errno(55);
    pub const NOTSUP: Errno = Errno(58);
    pub const NOTTY: Errno = Errno(59);
    pub const NXIO: Errno = Errno(60);
    pub const OVERFLOW: Errno = Errno(61);
    pub const PERM: Errno = Errno(63);
    pub const PIPE: Errno = Errno(64);
    pub const RANGE: Errno = Errno(68);
    pub const ROFS: Errno = Errno(69);
    pub const SPIPE: Errno = Errno(70);
    pub const TXTBSY: Errno = Errno(74);
    pub const XDEV: Errno = Errno(75);
    pub const NOTCAPABLE: Errno = Errno(76);

    /// The WASI error for a host (Linux) `errno` value.
    pub fn from_host(code: i32) -> Errno {
        match code {
            libc::E2BIG => Errno::TOOBIG,
            libc::EACCES => Errno::ACCES,
            libc::EAGAIN => Errno::AGAIN,
            libc::EBADF => Errno::BADF,
            libc::EBUSY => Errno::BUSY,
            libc::EEXIST => Errno::EXIST,
            libc::EFAULT => Errno::FAULT,
            libc::EFBIG => Errno::FBIG,
            libc::EILSEQ => Errno::ILSEQ,
            libc::EINTR => Errno::INTR,
            libc::EINVAL => Errno::INVAL,
            libc::EIO => Errno::IO,
            libc::EISDIR => Errno::ISDIR,
            libc::ELOOP => Errno::LOOP,
            libc::EMFILE => Errno::MFILE,
            libc::EMLINK => Errno::MLINK,
            libc::ENAMETOOLONG => Errno::NAMETOOLONG,
            libc::ENFILE => Errno::NFILE,
            libc::ENOENT => Errno::NOENT,
            libc::ENOMEM => Errno::NOMEM,
            libc::ENOSPC => Errno::NOSPC,
            libc::ENOSYS => Errno::NOSYS,
            libc::ENOTDIR => Errno::NOTDIR,
            libc::ENOTEMPTY => Errno::NOTEMPTY,
            libc::EOPNOTSUPP => Errno::NOTSUP,
            libc::ENOTTY => Errno::NOTTY,
            libc::ENXIO => Errno::NXIO,
            libc::EOVERFLOW => Errno::OVERFLOW,
            libc::EPERM => Errno::PERM,
            libc::EPIPE => Errno::PIPE,
            libc::ERANGE => Errno::RANGE,
            libc::EROFS => Errno::ROFS,
            libc::ESPIPE => Errno::SPIPE,
            libc::ETXTBSY => Errno::TXTBSY,
            libc::EXDEV => Errno::XDEV,
            _ => Errno::IO,
        }
    }
}

impl From<std::io::Error> for Errno {
    fn from(e: std::io::Error) -> Errno {
        match e.raw_os_error() {
            Some(code) => Errno::from_host(code),
            None => Errno::IO,
        }
    }
}

impl From<rustix::io::Errno> for Errno {
    fn from(e: rustix::io::Errno) -> Errno {
        Errno::from_host(e.raw_os_error())
    }
}

/// What every WASI function body returns: success, or an error number.
pub type WasiResult<T = ()> = Result<T, Errno>;

#[cfg(test)]
mod tests {
    use super::Errno;

    /// Each host `errno` the table knows becomes the WASI error of the
    /// same meaning, numbered as wasi-libc's `wasi/api.h` numbers it (the
    /// witx order); any other becomes `EIO`.
    #[test]
    fn host_errors_map_to_their_wasi_numbers() {
        let cases = [
            (libc::E2BIG, 1),
            (libc::EACCES, 2),
            (libc::EAGAIN, 6),
            (libc::EBADF, 8),
            (libc::EBUSY, 10),
            (libc::EEXIST, 20),
            (libc::EFAULT, 21),
            (libc::EFBIG, 22),
            (libc::EILSEQ, 25),
            (libc::EINTR, 27),
            (libc::EINVAL, 28),
            (libc::EIO, 29),
            (libc::EISDIR, 31),
            (libc::ELOOP, 32),
            (libc::EMFILE, 33),
            (libc::EMLINK, 34),
            (libc::ENAMETOOLONG, 37),
            (libc::ENFILE, 41),
            (libc::ENOENT, 44),
            (libc::ENOMEM, 48),
            (libc::ENOSPC, 51),
            (libc::ENOSYS, 52),
            (libc::ENOTDIR, 54),
            (libc::ENOTEMPTY, 55),
            (libc::EOPNOTSUPP, 58),
            (libc::ENOTTY, 59),
            (libc::ENXIO, 60),
            (libc::EOVERFLOW, 61),
            (libc::EPERM, 63),
            (libc::EPIPE, 64),
            (libc::ERANGE, 68),
            (libc::EROFS, 69),
            (libc::ESPIPE, 70),
            (libc::ETXTBSY, 74),
            (libc::EXDEV, 75),
        ];
        for (host, wasi) in cases {
            assert_eq!(Errno::from_host(host), Errno(wasi), "host errno {host}");
        }
        assert_eq!(Errno::from_host(libc::EHOSTDOWN), Errno(29));
        // A `std::io::Error` maps by its OS code; one without a code is EIO.
        let io = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(Errno::from(io), Errno(44));
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no OS code");
        assert_eq!(Errno::from(io), Errno(29));
    }
}
