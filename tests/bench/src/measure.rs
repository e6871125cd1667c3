//! Running one process and measuring it: wall time and its own peak RSS.

use std::io;
use std::os::unix::process::ExitStatusExt as _;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

/// What one finished process cost.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// From spawn to exit.
    pub wall: Duration,
    /// Its largest resident set, in KiB.
    pub peak_rss_kib: u64,
    /// How it ended.
    pub status: ExitStatus,
}

/// Runs `command` to its end, measuring it.
pub fn run(command: &mut Command) -> io::Result<Usage> {
    let started = Instant::now();
    let child = command.spawn()?;
    let (status, peak_rss_kib) = wait_with_peak_rss(child.id())?;
    Ok(Usage {
        wall: started.elapsed(),
        peak_rss_kib,
        status,
    })
}

/// Reaps the child `pid` with `wait4`, which reports the child's own
/// resource use (Linux gives `ru_maxrss` in KiB), unlike `getrusage` on all
/// children, which keeps the largest of every child so far.
#[allow(unsafe_code)]
fn wait_with_peak_rss(pid: u32) -> io::Result<(ExitStatus, u64)> {
    let pid = libc::pid_t::try_from(pid).map_err(io::Error::other)?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain integers, for which all zeroes is a valid
    // value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: both pointers are to live, writable locals of the types
        // wait4 expects, and it writes nothing past them.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0);
            return Ok((ExitStatus::from_raw(status), peak));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}
