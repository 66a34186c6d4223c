//! Databases for test gateways: a fresh SQLite file each, and a PostgreSQL cluster of a
//! test's own that it can stop and start under a running gateway.
//!
//! Every file a test makes (databases, key files, the NCP test PKI, configuration files) goes
//! into this process's run folder, `$TMPDIR/ehds-gateway-tests/run-<pid>/`, which is removed
//! when the test binary exits.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{LazyLock, OnceLock};

/// This process's folder of test files, removed when the process exits (see
/// [`remove_run_folder`]). Folders of earlier runs whose process is gone (killed before it
/// could exit) are removed first, so that nothing piles up in the temp folder.
static DIR: LazyLock<PathBuf> = LazyLock::new(|| {
    let root = std::env::temp_dir().join("ehds-gateway-tests");
    std::fs::create_dir_all(&root).expect("the temp folder is writable");
    if let Ok(entries) = std::fs::read_dir(&root) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let pid = name.to_str().and_then(|n| n.strip_prefix("run-"));
            if let Some(pid) = pid
                && !Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = root.join(format!("run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("the temp folder is writable");
    let _ = RUN_FOLDER.set(dir.clone());
    // SAFETY: `atexit` only records the function; `remove_run_folder` is a plain `extern "C"`
    // function that does not unwind.
    let registered = unsafe { atexit(remove_run_folder) };
    assert_eq!(registered, 0, "atexit registers the run folder's removal");
    dir
});

unsafe extern "C" {
    /// The C library's `atexit`: a static's value is never dropped, and libtest has no hook
    /// after the last test, but it ends the process through `exit` (or by returning from
    /// `main`), which calls the functions registered here.
    fn atexit(function: extern "C" fn()) -> std::ffi::c_int;
}

/// [`DIR`] once made, for [`remove_run_folder`].
static RUN_FOLDER: OnceLock<PathBuf> = OnceLock::new();

/// Removes this process's run folder, and the folder of runs if no other run uses it.
extern "C" fn remove_run_folder() {
    if let Some(dir) = RUN_FOLDER.get() {
        let _ = std::fs::remove_dir_all(dir);
        if let Some(root) = dir.parent() {
            // Fails, as it should, while another test process has its run folder there.
            let _ = std::fs::remove_dir(root);
        }
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A unique path under this run's folder.
pub fn fresh_path(name: &str) -> PathBuf {
    DIR.join(format!("{}-{name}", NEXT.fetch_add(1, Ordering::SeqCst)))
}

/// The path `name` in this run's folder, the same for every caller of this process.
pub fn run_file(name: &str) -> PathBuf {
    DIR.join(name)
}

pub fn fresh_sqlite_url() -> String {
    format!("sqlite://{}", fresh_path("gateway.db").display())
}

/// A PostgreSQL cluster made for one test: `initdb` into a temp folder, served on a free
/// loopback port. PostgreSQL refuses to run as root, so a test process running as root runs
/// the server programs as the `postgres` user (`runuser`); any other user runs them as
/// itself. Never the machine's shared server. Stopped and removed on drop.
pub struct TestCluster {
    dir: PathBuf,
    pub port: u16,
}

/// The PostgreSQL server programs, from the newest installed major version.
fn pg_bin(program: &str) -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("bin").join(program).exists())
        .collect();
    versions.sort_by_key(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions
        .pop()
        .unwrap_or_else(|| panic!("no {program} under /usr/lib/postgresql/*/bin"))
        .join("bin")
        .join(program)
}

/// Whether this process runs as root (`/proc/self` belongs to the effective user).
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A PostgreSQL server program, run as the `postgres` user when this process is root.
fn pg_command(program: &str) -> Command {
    if running_as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(pg_bin(program));
        command
    } else {
        Command::new(pg_bin(program))
    }
}

fn as_postgres(program: &str, args: &[&str]) -> std::process::Output {
    let output = pg_command(program)
        .args(args)
        .output()
        .expect("the PostgreSQL programs run");
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

impl TestCluster {
    pub fn start() -> TestCluster {
        let dir = fresh_path("pg");
        std::fs::create_dir_all(&dir).unwrap();
        if running_as_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown the cluster folder to postgres");
            // The run folder must be traversable by the postgres user.
            let _ = Command::new("chmod").arg("a+rx").arg(&*DIR).status();
        }
        let data = dir.join("data");
        as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = TestCluster { dir, port };
        cluster.pg_ctl_start();
        cluster
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> String {
        self.dir.join("data").to_str().unwrap().to_owned()
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {}",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        as_postgres(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// Starts the server again after `stop`.
    pub fn start_again(&self) {
        self.pg_ctl_start();
    }

    /// Stops the server (fast: open connections are cut).
    pub fn stop(&self) {
        as_postgres("pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        let _ = pg_command("pg_ctl")
            .args(["-D", &self.data(), "-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The machine's shared PostgreSQL (`EHDS_TEST_PG_URL`, by default `127.0.0.1:5432`, database
/// `test`), in a schema of this gateway's own. The schema's name carries the test process's
/// id, so that the store's tests sweep it once this process is gone.
pub fn use_shared_postgres(settings: &mut ehds_gateway::config::Settings) {
    settings.database.url = std::env::var("EHDS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    settings.database.schema = format!(
        "ehds_test_{}_{}",
        std::process::id(),
        10_000 + NEXT.fetch_add(1, Ordering::SeqCst)
    );
}
