//! A page Coffer hosts, opened in Debian's Chromium as the cardholder's browser would open it:
//! from a file, an opaque origin, as the app's custom scheme is. Used by the hosted enrollment
//! pages' real-browser tests (ignored in a plain `cargo test`; scripts/test.sh runs them).

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

/// Stops the browser a test started and removes its files, also when an assertion fails first.
struct Browser(std::process::Child, std::path::PathBuf);

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        let _ = std::fs::remove_dir_all(&self.1);
    }
}

/// A local address for the page's return: what the browser is sent to is read here.
pub struct ReturnPage {
    listener: TcpListener,
    /// `http://127.0.0.1:port` to put in front of a return path.
    pub origin: String,
}

impl ReturnPage {
    pub async fn bind() -> ReturnPage {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        ReturnPage { listener, origin }
    }

    /// Opens `html` in Chromium, presses its `#save` once the provider's fields had time to
    /// mount (what the cardholder does), and returns the address the page then sent the browser
    /// to (path and query) with its query pairs.
    pub async fn after_save(self, html: &str, name: &str) -> (String, Vec<(String, String)>) {
        self.after_script(
            html,
            name,
            "setTimeout(function () { document.getElementById('save').click(); }, 1500);",
        )
        .await
    }

    /// Opens `html` in Chromium with `script` added at the end of its body, and returns the
    /// address (path and query) the browser was then sent to here, with its query pairs.
    pub async fn after_script(
        self,
        html: &str,
        name: &str,
        script: &str,
    ) -> (String, Vec<(String, String)>) {
        let pressed = html.replace("</body>", &format!("<script>{script}</script></body>"));
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("page.html");
        std::fs::write(&file, pressed).unwrap();
        let _browser = Browser(
            std::process::Command::new("/usr/bin/chromium")
                .args([
                    "--headless=new",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    &format!("--user-data-dir={}", dir.join("profile").display()),
                    &format!("file://{}", file.display()),
                ])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap(),
            dir.clone(),
        );
        let (mut stream, _) =
            tokio::time::timeout(std::time::Duration::from_secs(30), self.listener.accept())
                .await
                .expect("the page sent the browser to the return URL")
                .unwrap();
        let (head, _) = crate::read_request(&mut stream).await.unwrap();
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .await;
        let target = head
            .lines()
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .to_string();
        let pairs = url::Url::parse(&format!("http://x{target}"))
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        (target, pairs)
    }
}
