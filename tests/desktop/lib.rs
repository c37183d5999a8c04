//! The harness of the desktop app's end-to-end tests (`main.rs`) and its benchmark
//! (`bench_desktop.rs`): tauri-driver on free loopback ports, started on a throw-away profile,
//! and a WebDriver session with the app.
// A harness: a step that cannot go on panics with its reason, like an assertion.
#![allow(clippy::expect_used)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

/// A free port on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// tauri-driver, stopped with SIGTERM so it also stops its WebKitWebDriver (a SIGKILL would
/// leave that child holding the native port).
pub struct Driver {
    child: Child,
    /// The WebDriver port.
    pub port: u16,
}

impl Driver {
    /// Starts tauri-driver with the app's profile in `data_dir`, a keyring service of its own
    /// and `extra_env`; returns once it listens.
    pub fn start(data_dir: &Path, keyring_service: &str, extra_env: &[(&str, &str)]) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let driver = std::env::var_os("TAURI_DRIVER").unwrap_or_else(|| "tauri-driver".into());
        let mut command = Command::new(driver);
        // Its own process group, which the app and its WebKit processes join: the app keeps its
        // window after its session closes, and an app left running (repainting under Xvfb's
        // software GL) would starve the next test's start.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("COFFER_DATA_DIR", data_dir)
            .env("COFFER_KEYRING_SERVICE", keyring_service)
            .envs(extra_env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver on PATH (cargo install tauri-driver --locked --version 2.1.0)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
            && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        Driver { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut stopped = false;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                stopped = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if !stopped {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // Whatever of its group outlived it: the app and its WebKit processes.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
    }
}

/// A WebDriver session that starts `app`, retried for a few seconds while the driver settles.
pub async fn connect(driver: &Driver, app: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert(
        "tauri:options".into(),
        json!({ "application": app.to_string_lossy() }),
    );
    let url = format!("http://127.0.0.1:{}", driver.port);
    // Generous: on a loaded 2-core machine WebKitWebDriver and the app take a while to come up.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match ClientBuilder::native()
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("could not start a WebDriver session on {url}: {e}"),
        }
    }
}
