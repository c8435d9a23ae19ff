//! A trivial loopback receiver for benchmark 4 (`chup-harness load` against
//! oha): answers 200 to every POST without reading anything into state, so
//! the figure measures the firing tool, not the receiver.
//! `cargo run --release --example trivial_receiver -- 127.0.0.1:4030`

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:4030".to_owned());
    let app = axum::Router::new().fallback(|| async { "ok" });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
