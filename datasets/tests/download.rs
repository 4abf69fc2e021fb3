//! Locating and downloading, against a tiny HTTP server on 127.0.0.1 run by
//! each test (bounded in connections and time, stopped on drop), serving a
//! small valid test split built by the test, and damaged copies of it,
//! checked against MD5s the test computes. Only the last tests need real
//! data (see `rbp_datasets::test_support`).

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{fifo, gz, images_file, labels_file, symlink_loop, within};
use md5::{Digest, Md5};
use rbp_datasets::download::{self, RemoteFile};
use rbp_datasets::idx;
use rbp_datasets::mnist::{self, DataSpec, Dataset, DatasetKind, FASHION_DIR, MNIST_FILES, Split};
use rbp_datasets::test_support::{shared_mnist, system_fashion};

const IMAGES: &str = "t10k-images-idx3-ubyte.gz";
const LABELS: &str = "t10k-labels-idx1-ubyte.gz";
/// The published MD5 of the real `IMAGES`, which the served file never has.
const MNIST_IMAGES_MD5: &str = "9fb629c4189551a2d022fa330f9573f3";
/// Labels of the served test split.
const SERVED_LABELS: [u8; 5] = [7, 2, 1, 0, 4];

/// MD5 of `bytes`, in lowercase hex.
fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A valid test split as a mirror serves it: five 28×28 images labelled
/// [`SERVED_LABELS`], both files gzipped, and the MD5s of the gzipped files.
struct Served {
    images: Vec<u8>,
    labels: Vec<u8>,
    images_md5: String,
    labels_md5: String,
}

impl Served {
    fn new() -> Served {
        let images = gz(&images_file(5, 28, 28, 5 * 784));
        let labels = gz(&labels_file(&SERVED_LABELS));
        Served {
            images_md5: md5_hex(&images),
            labels_md5: md5_hex(&labels),
            images,
            labels,
        }
    }

    /// The served files with their MD5s: what the download checks against.
    fn files(&self) -> [RemoteFile<'_>; 2] {
        [
            RemoteFile {
                name: IMAGES,
                md5: &self.images_md5,
            },
            RemoteFile {
                name: LABELS,
                md5: &self.labels_md5,
            },
        ]
    }

    /// The split the served files hold, parsed from memory.
    fn dataset(&self) -> Dataset {
        let images = idx::parse_images(&idx::gunzip_if_gzip(&self.images, IMAGES).unwrap(), IMAGES);
        let labels = idx::parse_labels(&idx::gunzip_if_gzip(&self.labels, LABELS).unwrap(), LABELS);
        Dataset::from_idx(images.unwrap(), labels.unwrap(), IMAGES, LABELS).unwrap()
    }

    /// Loads the test split per `spec`, downloading against the served
    /// files' MD5s.
    fn load(&self, spec: &DataSpec) -> Result<Dataset, mnist::DataError> {
        mnist::load_with(spec, Split::Test, &self.files())
    }
}

/// How the server answers one path.
#[derive(Clone)]
enum Reply {
    /// 200 with this body.
    Ok(Vec<u8>),
    /// 200 announcing the full length, but the connection drops after
    /// `cut` bytes of the body: an interrupted transfer.
    Cut(Vec<u8>, usize),
    /// 200 announcing this many bytes, sending none.
    Announce(u64),
}

/// A bounded one-thread HTTP/1.1 server: at most 64 connections, at most
/// 60 s, stopped when dropped. Unknown paths get 404. It logs every path
/// requested.
struct Server {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(routes: HashMap<String, Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log2, stop2) = (log.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut served = 0;
            while served < 64 && Instant::now() < deadline && !stop2.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        served += 1;
                        let _ = serve(stream, &routes, &log2);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            port,
            log,
            stop,
            thread: Some(thread),
        }
    }

    /// Base URL of a mirror rooted at `/prefix/`.
    fn mirror(&self, prefix: &str) -> String {
        format!("http://127.0.0.1:{}/{prefix}/", self.port)
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    routes: &HashMap<String, Reply>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Skip the headers (bounded).
    for _ in 0..100 {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    log.lock().unwrap().push(path.clone());
    let mut out = stream;
    let head = |status: &str, len: usize| {
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {len}\r\n\
             Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
        )
    };
    match routes.get(&path) {
        Some(Reply::Ok(body)) => {
            out.write_all(head("200 OK", body.len()).as_bytes())?;
            out.write_all(body)?;
        }
        Some(Reply::Cut(body, cut)) => {
            out.write_all(head("200 OK", body.len()).as_bytes())?;
            out.write_all(&body[..*cut])?;
        }
        Some(Reply::Announce(len)) => {
            out.write_all(head("200 OK", *len as usize).as_bytes())?;
        }
        None => {
            let body = b"not found";
            out.write_all(head("404 Not Found", body.len()).as_bytes())?;
            out.write_all(body)?;
        }
    }
    out.flush()?;
    out.shutdown(std::net::Shutdown::Both)
}

/// Routes serving the files intact under `/good/`, with one byte of the
/// images flipped under `/bad/`, announcing a terabyte under `/huge/`, and
/// cut after a third of the images under `/cut/`.
fn routes(served: &Served) -> HashMap<String, Reply> {
    let (images, labels) = (&served.images, &served.labels);
    let mut r = HashMap::new();
    r.insert(format!("/good/{IMAGES}"), Reply::Ok(images.to_vec()));
    r.insert(format!("/good/{LABELS}"), Reply::Ok(labels.to_vec()));
    let mut bad = images.to_vec();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    r.insert(format!("/bad/{IMAGES}"), Reply::Ok(bad));
    r.insert(format!("/bad/{LABELS}"), Reply::Ok(labels.to_vec()));
    r.insert(format!("/huge/{IMAGES}"), Reply::Announce(1 << 40));
    r.insert(
        format!("/cut/{IMAGES}"),
        Reply::Cut(images.to_vec(), images.len() / 3),
    );
    r
}

fn spec(dir: &Path, mirrors: Vec<String>) -> DataSpec {
    DataSpec {
        kind: DatasetKind::Mnist,
        dir: Some(dir.to_path_buf()),
        offline: false,
        mirrors,
        progress: false,
    }
}

/// Names in `dir`, sorted, including hidden temporary files.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

/// A loopback URL where nothing listens: connection refused.
fn dead_mirror() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/mnist/")
}

#[test]
fn good_download_lands_and_parses() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("not/yet/there");
    let ds = served
        .load(&spec(&dir, vec![server.mirror("good")]))
        .unwrap();
    assert_eq!(ds.len(), 5);
    assert_eq!(ds.labels, SERVED_LABELS);
    assert_eq!(ds, served.dataset());
    assert_eq!(listing(&dir), vec![IMAGES, LABELS]);
    assert_eq!(std::fs::read(dir.join(IMAGES)).unwrap(), served.images);
    assert_eq!(std::fs::read(dir.join(LABELS)).unwrap(), served.labels);
    // Only the two files of the test split were fetched.
    assert_eq!(
        server.requests(),
        vec![format!("/good/{IMAGES}"), format!("/good/{LABELS}")]
    );
    // A second load finds them and does not touch the network (nor check
    // them against any MD5: present files are taken as they are).
    let offline = DataSpec {
        offline: true,
        ..spec(&dir, vec![server.mirror("good")])
    };
    assert_eq!(mnist::load(&offline, Split::Test).unwrap(), ds);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn corrupt_download_is_rejected_and_leaves_nothing() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let err = served
        .load(&spec(dir.path(), vec![server.mirror("bad")]))
        .unwrap_err()
        .to_string();
    let mut bad = served.images.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 0xff;
    assert!(
        err.contains(&format!(
            "checksum mismatch: md5 of the {} bytes received is {}, expected {}",
            bad.len(),
            md5_hex(&bad),
            served.images_md5
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{}{IMAGES}", server.mirror("bad"))),
        "{err}"
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn interrupted_download_leaves_nothing() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let err = served
        .load(&spec(dir.path(), vec![server.mirror("cut")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("{}{IMAGES}", server.mirror("cut"))),
        "{err}"
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn oversized_download_is_refused_before_reading() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let err = served
        .load(&spec(dir.path(), vec![server.mirror("huge")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("server announces 1099511627776 bytes, more than the 67108864-byte limit"),
        "{err}"
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn mirror_that_404s_is_skipped() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let mirrors = vec![server.mirror("missing"), server.mirror("good")];
    let ds = served.load(&spec(dir.path(), mirrors)).unwrap();
    assert_eq!(ds, served.dataset());
    let reqs = server.requests();
    assert_eq!(
        reqs,
        vec![
            format!("/missing/{IMAGES}"),
            format!("/good/{IMAGES}"),
            format!("/missing/{LABELS}"),
            format!("/good/{LABELS}"),
        ]
    );
}

#[test]
fn all_mirrors_failing_lists_every_url_and_how_to_fix() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let dead = dead_mirror();
    let mirrors = vec![
        server.mirror("missing"),
        server.mirror("bad"),
        dead.clone(),
        // No trailing slash: joined with one.
        server.mirror("cut").trim_end_matches('/').to_string(),
    ];
    let err = served
        .load(&spec(dir.path(), mirrors))
        .unwrap_err()
        .to_string();
    println!("{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines[0].starts_with(&format!("could not download {IMAGES}")),
        "{err}"
    );
    assert!(lines[1].contains(&format!("{}{IMAGES}: ", server.mirror("missing"))));
    assert!(lines[1].contains("404"), "{err}");
    assert!(lines[2].contains(&format!(
        "{}{IMAGES}: checksum mismatch",
        server.mirror("bad")
    )));
    assert!(
        lines[3].starts_with(&format!("  {dead}{IMAGES}: ")),
        "{err}"
    );
    assert!(
        lines[4].contains(&format!("{}{IMAGES}: ", server.mirror("cut"))),
        "{err}"
    );
    let how = lines[5..].join(" ");
    assert!(
        how.contains(&format!("put it in {}", dir.path().display())),
        "{err}"
    );
    assert!(how.contains(&format!("{IMAGES}, {LABELS}")), "{err}");
    assert!(how.contains(&format!("md5 {}", served.images_md5)), "{err}");
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn no_mirror_reachable_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let err = mnist::load(&spec(dir.path(), vec![dead_mirror()]), Split::Train)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("could not download train-images-idx3-ubyte.gz"),
        "{err}"
    );
    // `load` checks downloads against the published MNIST checksums.
    assert!(
        err.contains("(md5 f68b3c2dcbeaaa9fbdd348bbdeb94873)"),
        "{err}"
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn offline_with_missing_files_errors_without_network() {
    let server = Server::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let s = DataSpec {
        offline: true,
        ..spec(dir.path(), vec![server.mirror("good")])
    };
    let err = mnist::load(&s, Split::Test).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "offline mode: t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz) not found in"
        ),
        "{err}"
    );
    assert!(err.contains(&dir.path().display().to_string()), "{err}");
    assert!(err.contains("--offline"), "{err}");
    assert!(server.requests().is_empty());
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn existing_file_is_not_overwritten_nor_refetched() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(LABELS), &served.labels).unwrap();
    let ds = served
        .load(&spec(dir.path(), vec![server.mirror("good")]))
        .unwrap();
    assert_eq!(ds, served.dataset());
    assert_eq!(server.requests(), vec![format!("/good/{IMAGES}")]);

    // A broken user file is reported, not replaced.
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().join(IMAGES);
    std::fs::write(&user, b"my own notes").unwrap();
    let err = served
        .load(&spec(dir.path(), vec![server.mirror("good")]))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!("{}: bad magic number", user.display())),
        "{err}"
    );
    assert_eq!(std::fs::read(&user).unwrap(), b"my own notes");
}

#[test]
fn download_racing_an_existing_file_keeps_it() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join(IMAGES);
    std::fs::write(&target, b"placed meanwhile").unwrap();
    let file = RemoteFile {
        name: IMAGES,
        md5: &served.images_md5,
    };
    let got = download::fetch(file, dir.path(), &[server.mirror("good")], false).unwrap();
    assert_eq!(got, target);
    assert_eq!(std::fs::read(&target).unwrap(), b"placed meanwhile");
    assert_eq!(listing(dir.path()), vec![IMAGES]);
}

#[test]
fn a_fifo_named_like_a_data_file_is_named_and_never_read() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join(IMAGES);
    fifo(&pipe);
    // Downloads on: the FIFO is reported, nothing is downloaded beside it, nothing blocks.
    let s = spec(dir.path(), vec![server.mirror("good")]);
    let files = served
        .files()
        .map(|f| (f.name.to_string(), f.md5.to_string()));
    let err = within("loading beside a FIFO", move || {
        let files: Vec<RemoteFile<'_>> = files
            .iter()
            .map(|(name, md5)| RemoteFile { name, md5 })
            .collect();
        mnist::load_with(&s, Split::Test, &files)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    });
    assert!(
        err.contains(&pipe.display().to_string()) && err.contains("is a FIFO (named pipe)"),
        "{err}"
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    // Offline: the same, not "not found".
    let offline = DataSpec {
        offline: true,
        ..spec(dir.path(), Vec::new())
    };
    let err = mnist::locate(&offline, Split::Test)
        .unwrap_err()
        .to_string();
    assert!(err.contains("is a FIFO (named pipe)"), "{err}");
    assert!(!err.contains("not found"), "{err}");
}

#[test]
fn a_download_never_returns_a_fifo_that_took_its_name() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join(IMAGES);
    fifo(&target);
    let file = RemoteFile {
        name: IMAGES,
        md5: &served.images_md5,
    };
    let err = download::fetch(file, dir.path(), &[server.mirror("good")], false)
        .unwrap_err()
        .to_string();
    assert!(err.contains("FIFO"), "{err}");
}

#[test]
fn offline_names_a_directory_or_a_symlink_loop_where_a_file_should_be() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(IMAGES)).unwrap();
    symlink_loop(
        &dir.path().join("t10k-labels-idx1-ubyte"),
        &dir.path().join("loop"),
    );
    let s = DataSpec {
        offline: true,
        ..spec(dir.path(), Vec::new())
    };
    let err = mnist::locate(&s, Split::Test).unwrap_err().to_string();
    assert!(
        err.contains(&format!("{IMAGES}: is a directory, not a regular file")),
        "{err}"
    );
    let s = DataSpec {
        offline: true,
        ..spec(dir.path(), Vec::new())
    };
    std::fs::remove_dir(dir.path().join(IMAGES)).unwrap();
    std::fs::write(dir.path().join(IMAGES), b"x").unwrap();
    let err = mnist::locate(&s, Split::Test).unwrap_err().to_string();
    assert!(err.contains("is a symlink loop"), "{err}");
}

#[test]
fn a_data_dir_that_is_a_file_is_named_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("mnist");
    std::fs::write(&file, b"x").unwrap();
    for offline in [true, false] {
        let s = DataSpec {
            offline,
            ..spec(&file, vec![dead_mirror()])
        };
        let err = mnist::locate(&s, Split::Test).unwrap_err().to_string();
        assert!(
            err.contains(&format!(
                "{} is a regular file, not a directory",
                file.display()
            )),
            "{err}"
        );
        assert!(!err.contains("not found"), "{err}");
    }
}

#[test]
fn unpacked_file_is_preferred_over_gz() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "t10k-images-idx3-ubyte",
        IMAGES,
        "t10k-labels-idx1-ubyte.gz",
    ] {
        std::fs::write(dir.path().join(name), b"x").unwrap();
    }
    let s = DataSpec {
        offline: true,
        ..spec(dir.path(), Vec::new())
    };
    let (i, l) = mnist::locate(&s, Split::Test).unwrap();
    assert_eq!(i, dir.path().join("t10k-images-idx3-ubyte"));
    assert_eq!(l, dir.path().join(LABELS));
}

#[test]
fn default_mirrors_are_used_when_none_given() {
    let s = DataSpec::new(DatasetKind::Mnist);
    assert_eq!(s.effective_mirrors(), mnist::DEFAULT_MIRRORS.to_vec());
    let s = DataSpec {
        mirrors: vec!["http://x/".into()],
        ..s
    };
    assert_eq!(s.effective_mirrors(), vec!["http://x/".to_string()]);
    assert_eq!(download::join_url("http://x/", "f"), "http://x/f");
    assert_eq!(download::join_url("http://x", "f"), "http://x/f");
}

#[test]
fn fashion_is_never_downloaded() {
    let server = Server::start(HashMap::new());
    let dir = tempfile::tempdir().unwrap();
    let s = DataSpec {
        kind: DatasetKind::Fashion,
        ..spec(dir.path(), vec![server.mirror("good")])
    };
    let err = mnist::load(&s, Split::Train).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "Fashion-MNIST: train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz) not found in"
        ),
        "{err}"
    );
    assert!(
        err.contains("apt-get install dataset-fashion-mnist"),
        "{err}"
    );
    assert!(err.contains("--data-dir"), "{err}");
    assert!(server.requests().is_empty());
}

#[test]
fn load_checks_downloads_against_the_mnist_checksums() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let err = mnist::load(&spec(dir.path(), vec![server.mirror("good")]), Split::Test)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!(
            "{}{IMAGES}: checksum mismatch: md5 of the {} bytes received is {}, expected {MNIST_IMAGES_MD5}",
            server.mirror("good"),
            served.images.len(),
            served.images_md5
        )),
        "{err}"
    );
    assert_eq!(listing(dir.path()), Vec::<String>::new());
    assert!(
        MNIST_FILES
            .iter()
            .any(|f| f.name == IMAGES && f.md5 == MNIST_IMAGES_MD5)
    );
}

#[test]
fn file_without_a_checksum_is_not_downloaded() {
    let served = Served::new();
    let server = Server::start(routes(&served));
    let dir = tempfile::tempdir().unwrap();
    let labels_only = [served.files()[1]];
    let err = mnist::load_with(
        &spec(dir.path(), vec![server.mirror("good")]),
        Split::Test,
        &labels_only,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        format!("cannot download {IMAGES}: no MD5 is known for it to check the download against")
    );
    assert!(server.requests().is_empty());
    assert_eq!(listing(dir.path()), Vec::<String>::new());
}

#[test]
fn real_mnist_files_match_the_published_checksums() {
    let names = [IMAGES, LABELS, "train-labels-idx1-ubyte.gz"];
    let Some(dir) = shared_mnist(&names) else {
        return;
    };
    for name in names {
        let published = MNIST_FILES.iter().find(|f| f.name == name).unwrap().md5;
        let actual = md5_hex(&std::fs::read(dir.join(name)).unwrap());
        assert_eq!(actual, published, "{name}");
    }
}

#[test]
fn system_fashion_mnist_loads() {
    let files = [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
    ];
    if system_fashion(&files).is_none() {
        return;
    }
    let s = DataSpec::new(DatasetKind::Fashion);
    assert_eq!(mnist::data_dir(&s).unwrap(), Path::new(FASHION_DIR));
    let test = mnist::load(&s, Split::Test).unwrap();
    assert_eq!(test.len(), 10_000);
    // The first Fashion-MNIST test item is an ankle boot (class 9).
    assert_eq!(test.labels[0], 9);
    let train = mnist::load(&s, Split::Train).unwrap();
    assert_eq!(train.len(), 60_000);
    assert_eq!(train.images.shape(), &[60_000, 784]);
    // Balanced classes: 6,000 of each in training.
    let per_class = train.one_hot().sum_axis(ndarray::Axis(0));
    assert!(per_class.iter().all(|&c| c == 6000.0), "{per_class}");
}
