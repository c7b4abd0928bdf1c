//! The WASI state of one store: arguments, environment and descriptors.

use super::fd::{Entry, FdTable, HostFd, Kind};
use crate::Result;
use anyhow::{Context, bail};
use rustix::fs::{Mode, OFlags};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The WASI state a store's data holds (see [`super::add_to_linker`]).
pub struct WasiCtx {
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) env: Vec<Vec<u8>>,
    pub(crate) fds: FdTable,
}

impl WasiCtx {
    /// A context with no arguments, no environment, no preopens, empty
    /// stdin and discarded output.
    pub fn new() -> WasiCtx {
        WasiCtxBuilder::new()
            .build()
            .expect("a context without preopens always builds")
    }
}

impl Default for WasiCtx {
    fn default() -> WasiCtx {
        WasiCtx::new()
    }
}

/// A shared in-memory byte buffer that captures a guest's stdout or
/// stderr; clone it before handing it to the builder, read it afterwards.
#[derive(Clone, Debug, Default)]
pub struct OutputBuffer(pub(crate) Arc<Mutex<Vec<u8>>>);

impl OutputBuffer {
    pub fn new() -> OutputBuffer {
        OutputBuffer::default()
    }

    /// Everything written so far.
    pub fn contents(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

enum Stdio {
    Null,
    Inherit,
    Bytes(Arc<[u8]>),
    Capture(OutputBuffer),
}

/// Descriptors a guest may hold at once unless the builder says otherwise.
const DEFAULT_MAX_OPEN_FILES: usize = 1024;

/// Builds a [`WasiCtx`].
pub struct WasiCtxBuilder {
    args: Vec<Vec<u8>>,
    env: Vec<Vec<u8>>,
    stdio: [Stdio; 3],
    preopens: Vec<(PathBuf, String)>,
    max_open_files: usize,
}

impl Default for WasiCtxBuilder {
    fn default() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }
}

impl WasiCtxBuilder {
    pub fn new() -> WasiCtxBuilder {
        WasiCtxBuilder {
            args: Vec::new(),
            env: Vec::new(),
            stdio: [Stdio::Null, Stdio::Null, Stdio::Null],
            preopens: Vec::new(),
            max_open_files: DEFAULT_MAX_OPEN_FILES,
        }
    }

    /// Append one argument (the first is the program name, `argv[0]`).
    pub fn arg(mut self, arg: impl AsRef<[u8]>) -> Self {
        self.args.push(arg.as_ref().to_vec());
        self
    }

    pub fn args<A: AsRef<[u8]>>(mut self, args: impl IntoIterator<Item = A>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_vec()));
        self
    }

    /// Add the environment variable `key=value`.
    pub fn env(mut self, key: impl AsRef<[u8]>, value: impl AsRef<[u8]>) -> Self {
        let mut kv = key.as_ref().to_vec();
        kv.push(b'=');
        kv.extend_from_slice(value.as_ref());
        self.env.push(kv);
        self
    }

    /// Use the host's stdin, stdout and stderr.
    pub fn inherit_stdio(self) -> Self {
        self.inherit_stdin().inherit_stdout().inherit_stderr()
    }

    pub fn inherit_stdin(mut self) -> Self {
        self.stdio[0] = Stdio::Inherit;
        self
    }

    pub fn inherit_stdout(mut self) -> Self {
        self.stdio[1] = Stdio::Inherit;
        self
    }

    pub fn inherit_stderr(mut self) -> Self {
        self.stdio[2] = Stdio::Inherit;
        self
    }

    /// The guest reads `bytes` from stdin, then end of file. The bytes
    /// are shared, not copied, by every context built from an `Arc`, so
    /// a large input costs nothing per store.
    pub fn stdin_bytes(mut self, bytes: impl Into<Arc<[u8]>>) -> Self {
        self.stdio[0] = Stdio::Bytes(bytes.into());
        self
    }

    /// Capture the guest's stdout in `buffer`.
    pub fn stdout(mut self, buffer: OutputBuffer) -> Self {
        self.stdio[1] = Stdio::Capture(buffer);
        self
    }

    /// Capture the guest's stderr in `buffer`.
    pub fn stderr(mut self, buffer: OutputBuffer) -> Self {
        self.stdio[2] = Stdio::Capture(buffer);
        self
    }

    /// Give the guest the host directory `host` under the name `guest`
    /// (e.g. `"."` or `"/data"`). Files are reachable only beneath
    /// preopened directories. Preopens get descriptors 3, 4, ... in order.
    pub fn preopened_dir(mut self, host: impl AsRef<Path>, guest: impl Into<String>) -> Self {
        self.preopens
            .push((host.as_ref().to_path_buf(), guest.into()));
        self
    }

    /// Most descriptors the guest may hold at once, counting stdio and
    /// preopens (1024 unless set). Opening more fails with `EMFILE` in the
    /// guest, so a guest cannot use up the host process's descriptors.
    pub fn max_open_files(mut self, max: usize) -> Self {
        self.max_open_files = max;
        self
    }

    /// Open the preopened directories and make the context.
    pub fn build(self) -> Result<WasiCtx> {
        let needed = self.stdio.len() + self.preopens.len();
        if needed > self.max_open_files {
            bail!(
                "{} preopened directories and 3 stdio descriptors exceed max_open_files({})",
                self.preopens.len(),
                self.max_open_files
            );
        }
        let mut fds = FdTable::new(self.max_open_files);
        for (i, stdio) in self.stdio.into_iter().enumerate() {
            let kind = match stdio {
                Stdio::Null if i == 0 => Kind::Input {
                    data: Arc::default(),
                    pos: 0,
                },
                Stdio::Null => Kind::Sink,
                Stdio::Inherit => Kind::Host(HostFd::Stdio(match i {
                    0 => rustix::stdio::stdin(),
                    1 => rustix::stdio::stdout(),
                    _ => rustix::stdio::stderr(),
                })),
                Stdio::Bytes(data) => Kind::Input { data, pos: 0 },
                Stdio::Capture(buffer) => Kind::Output(buffer),
            };
            fds.insert_at(i as u32, Entry::stdio(kind));
        }
        for (host, guest) in self.preopens {
            let c = CString::new(host.as_os_str().as_bytes())
                .with_context(|| format!("bad directory name {}", host.display()))?;
            let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(c.as_c_str(), flags, Mode::empty()).map_err(|e| {
                let err = std::io::Error::from(e);
                anyhow::anyhow!("cannot open directory `{}`: {err}", host.display())
            })?;
            // Cannot fail: the count was checked above.
            fds.push(Entry::preopen(fd, guest))
                .map_err(|e| anyhow::anyhow!("descriptor table full ({e:?})"))?;
        }
        Ok(WasiCtx {
            args: self.args,
            env: self.env,
            fds,
        })
    }
}
