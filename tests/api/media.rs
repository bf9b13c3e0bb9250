//! Films carried by the course: stored in PostgreSQL in chunks, served publicly with ranges,
//! conditional requests and a year's cache; imported with the course and checked with ffprobe.

use std::time::Duration;

use mentorsti::auth::Role;
use mentorsti::media::store::CHUNK_BYTES;
use mentorsti::media::{MediaFile, MediaKind};
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{assert_problem, spawn_app, TestApp};
use crate::learning::{archive, bundled_tree, import, page_path, pages_in_order};

/// Stores `size` pseudo-random bytes as a file of `kind`, as an import would; returns the bytes
/// and the file's public path.
async fn store_random(app: &TestApp, size: usize, kind: MediaKind) -> (Vec<u8>, String) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(size as u64);
    let bytes: Vec<u8> = (0..size).map(|_| rng.gen()).collect();
    let spool = mentorsti::content::source::Spool::new().unwrap();
    let path = spool.file();
    std::fs::write(&path, &bytes).unwrap();
    let file = MediaFile::hash(&path).unwrap();
    let mut conn = app.state.pool.get().await.unwrap();
    assert!(mentorsti::media::store::put(&mut conn, &file, kind)
        .await
        .unwrap());
    let url = mentorsti::media::public_url(&file.sha256, kind);
    (bytes, url)
}

async fn get(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app.client.get(app.url(url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

fn header(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn media_are_served_whole_in_ranges_and_conditionally_without_a_token() {
    let app = spawn_app().await;
    // Three chunks and a bit, so ranges cross chunk boundaries.
    let size = 3 * CHUNK_BYTES + 1234;
    let (bytes, url) = store_random(&app, size, MediaKind::Webm).await;
    let etag = format!("\"{}\"", mentorsti::media::hex(&Sha256::digest(&bytes)));

    let whole = get(&app, &url, &[]).await;
    assert_eq!(whole.status(), 200);
    for (name, value) in [
        ("content-type", "video/webm"),
        ("content-length", size.to_string().as_str()),
        ("etag", etag.as_str()),
        ("cache-control", "public, max-age=31536000, immutable"),
        ("accept-ranges", "bytes"),
    ] {
        assert_eq!(header(&whole, name), value, "{name}");
    }
    assert!(whole.headers().get("content-encoding").is_none());
    assert_eq!(whole.bytes().await.unwrap(), bytes);

    let head = app.client.head(app.url(&url)).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(header(&head, "content-length"), size.to_string());
    assert_eq!(header(&head, "etag"), etag);
    assert!(head.bytes().await.unwrap().is_empty());

    let last = size - 1;
    let chunk = CHUNK_BYTES;
    for (range, start, end) in [
        ("bytes=0-99".to_owned(), 0, 99),
        (
            format!("bytes={}-{}", chunk - 10, chunk + 10),
            chunk - 10,
            chunk + 10,
        ),
        (
            format!("bytes={}-{}", chunk, 3 * chunk + 5),
            chunk,
            3 * chunk + 5,
        ),
        (format!("bytes={}-", 2 * chunk + 7), 2 * chunk + 7, last),
        ("bytes=-500".to_owned(), size - 500, last),
        (format!("bytes=10-{}", size * 2), 10, last),
        (format!("bytes={last}-{last}"), last, last),
    ] {
        let response = get(&app, &url, &[("range", &range)]).await;
        assert_eq!(response.status(), 206, "{range}");
        assert_eq!(
            header(&response, "content-range"),
            format!("bytes {start}-{end}/{size}"),
            "{range}"
        );
        assert_eq!(
            header(&response, "content-length"),
            (end - start + 1).to_string()
        );
        assert_eq!(header(&response, "etag"), etag);
        assert_eq!(
            response.bytes().await.unwrap(),
            &bytes[start..=end],
            "{range}"
        );
    }

    for range in [
        format!("bytes={size}-"),
        "bytes=-0".into(),
        "bytes=abc".into(),
        "bytes=9-3".into(),
    ] {
        let response = get(&app, &url, &[("range", &range)]).await;
        assert_eq!(
            header(&response, "content-range"),
            format!("bytes */{size}"),
            "{range}"
        );
        assert_problem(response, 416, "range_not_satisfiable").await;
    }

    // A copy that is still current is not sent again; a partial copy of another version gets
    // the whole file rather than a range of this one.
    let cached = get(&app, &url, &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status(), 304);
    assert_eq!(header(&cached, "etag"), etag);
    assert!(cached.bytes().await.unwrap().is_empty());
    let stale = get(
        &app,
        &url,
        &[("range", "bytes=0-9"), ("if-range", "\"older\"")],
    )
    .await;
    assert_eq!(stale.status(), 200);
    assert_eq!(stale.bytes().await.unwrap().len(), size);
    let fresh = get(&app, &url, &[("range", "bytes=0-9"), ("if-range", &etag)]).await;
    assert_eq!(fresh.status(), 206);
    assert_eq!(fresh.bytes().await.unwrap(), &bytes[..10]);

    // Unknown digests, other extensions and malformed names are 404 problems.
    let digest = url
        .trim_start_matches("/api/v1/media/")
        .trim_end_matches(".webm");
    for missing in [
        format!("/api/v1/media/{}.webm", "0".repeat(64)),
        format!("/api/v1/media/{digest}.mp4"),
        format!("/api/v1/media/{digest}"),
        "/api/v1/media/..%2F..%2Fetc%2Fpasswd".to_owned(),
        format!("/api/v1/media/{}.webm", digest.to_uppercase()),
    ] {
        assert_problem(get(&app, &missing, &[]).await, 404, "not_found").await;
    }
}

/// The request deadline bounds the time to the first byte, not the download: a phone that takes
/// its time over a film gets all of it.
#[tokio::test]
async fn a_slow_download_is_not_cut_off_by_the_request_deadline() {
    let app = spawn_app().await;
    let size = 10 * 1024 * 1024;
    let (bytes, url) = store_random(&app, size, MediaKind::Mp4).await;
    let address: std::net::SocketAddr = app.address.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    // A small window, so the server is still sending long after the reader paused.
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    let mut stream = socket.connect(address).await.unwrap();
    stream
        .write_all(
            format!("GET {url} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut received = vec![0u8; 64 * 1024];
    stream.read_exact(&mut received).await.unwrap();
    let slept = Duration::from_millis(
        mentorsti::http::middleware::REQUEST_DEADLINE.as_millis() as u64 + 1500,
    );
    tokio::time::sleep(slept).await;
    stream.read_to_end(&mut received).await.unwrap();
    let split = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head")
        + 4;
    let head = String::from_utf8_lossy(&received[..split]).to_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains(&format!("content-length: {size}")), "{head}");
    let body = &received[split..];
    assert_eq!(body.len(), size, "the whole film arrived");
    assert!(body == bytes.as_slice());
}

#[tokio::test]
async fn the_bundled_films_play_from_the_published_course() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let path: Value = app.get("/path", &admin).await.json().await.unwrap();
    for module in path["modules"].as_array().unwrap() {
        for kind in ["knowledge", "skills", "general_competence"] {
            assert!(
                !module["outcomes"][kind].as_array().unwrap().is_empty(),
                "module {} states its {kind}",
                module["number"]
            );
        }
    }
    let revision = path["revision"].as_str().unwrap().to_owned();
    let mut films = Vec::new();
    let mut exercises = 0;
    for (module, slug) in pages_in_order(&app, &admin).await {
        let url = format!("{}?revision={revision}", page_path(module, &slug));
        let page: Value = app.get(&url, &admin).await.json().await.unwrap();
        for block in page["blocks"].as_array().unwrap() {
            match block["type"].as_str().unwrap() {
                "film" => films.push(block.clone()),
                "exercise" => {
                    exercises += 1;
                    assert!(block["estimated_minutes"].as_u64().unwrap() >= 1, "{block}");
                }
                _ => {}
            }
        }
    }
    assert_eq!(films.len(), 6);
    assert!(exercises > 0);
    for film in films {
        let src = film["src"].as_str().unwrap();
        assert!(
            src.starts_with("/api/v1/media/") && src.ends_with(".webm"),
            "{film}"
        );
        assert_eq!(film["content_type"], "video/webm");
        // No token: a <video> element cannot send one.
        let head = app.client.head(app.url(src)).send().await.unwrap();
        assert_eq!(head.status(), 200, "{src}");
        assert_eq!(
            header(&head, "content-length"),
            film["size_bytes"].as_u64().unwrap().to_string()
        );
        let start = get(&app, src, &[("range", "bytes=0-3")]).await;
        assert_eq!(start.status(), 206);
        assert_eq!(
            start.bytes().await.unwrap().as_ref(),
            b"\x1a\x45\xdf\xa3",
            "a WebM (EBML) file"
        );
        let poster = get(&app, film["poster_url"].as_str().unwrap(), &[]).await;
        assert_eq!(poster.status(), 200);
        assert_eq!(header(&poster, "content-type"), "image/jpeg");
        let transcript = film["transcript"].as_str().unwrap();
        assert!(transcript.lines().count() > 5, "{transcript}");
    }
}

#[tokio::test]
async fn importing_the_same_films_again_stores_them_once() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let sql = app.sql().await;
    let count = |table: &'static str| {
        let sql = &sql;
        async move {
            sql.query_one(&format!("SELECT count(*) FROM {table}"), &[])
                .await
                .unwrap()
                .get::<_, i64>(0)
        }
    };
    let (media, chunks) = (
        count("content_media").await,
        count("content_media_chunks").await,
    );
    assert_eq!(media, 12, "six films and six posters");
    let response = import(&app, &admin, archive(&bundled_tree())).await;
    assert_eq!(response.status(), 201);
    let draft: Value = response.json().await.unwrap();
    assert!(draft["warnings"].is_array(), "{draft}");
    assert_eq!(count("content_media").await, media);
    assert_eq!(count("content_media_chunks").await, chunks);
    let linked: i64 = sql
        .query_one(
            "SELECT count(*) FROM content_revision_media WHERE revision_id = $1::text::uuid",
            &[&draft["id"].as_str().unwrap()],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(linked, 12);
}

#[tokio::test]
async fn an_uploaded_film_is_checked_with_ffprobe() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let spool = mentorsti::content::source::Spool::new().unwrap();
    let short = spool.dir.join("short.webm");
    let status = std::process::Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=160x90:rate=5",
            "-f",
            "lavfi",
        ])
        .args([
            "-i",
            "sine=frequency=440",
            "-t",
            "3",
            "-c:v",
            "libvpx-vp9",
            "-deadline",
            "realtime",
        ])
        .args(["-cpu-used", "8", "-c:a", "libopus"])
        .arg(&short)
        .status()
        .expect("this test makes a film with ffmpeg: apt-get install ffmpeg");
    assert!(status.success());
    let mut tree = bundled_tree();
    tree.insert(
        "films/erfaren-mentor-forteller.webm".into(),
        std::fs::read(&short).unwrap(),
    );
    let problem = assert_problem(
        import(&app, &admin, archive(&tree)).await,
        422,
        "content_invalid",
    )
    .await;
    let problems: Vec<String> = problem["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}:{}: {}",
                p["file"].as_str().unwrap(),
                p["line"],
                p["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("film block: duration_seconds is ")
                && p.contains(" but films/erfaren-mentor-forteller.webm lasts 3.0 s")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("subtitles/erfaren-mentor-forteller.vtt:")
                && p.contains("after the end of films/erfaren-mentor-forteller.webm")),
        "{problems:?}"
    );
}

/// The import endpoint alone takes archives up to 64 MiB; a larger one is refused before it
/// is read.
#[tokio::test]
async fn an_archive_over_64_mib_is_413() {
    let app = spawn_app().await;
    let (_, admin) = app.user_with_token(Role::Admin).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "POST /api/v1/admin/content/import HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {admin}\r\n\
         Content-Type: application/gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        64 * 1024 * 1024 + 1
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("\"code\":\"payload_too_large\""),
        "{answer}"
    );
}
