# Build stage: the release binary. It embeds the migrations, the web client (web/) and the
# diploma's fonts (assets/fonts); the test tests/api/image.rs checks that these COPY lines
# bring every file the build reads.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY web ./web
COPY data ./data
COPY content ./content
COPY assets ./assets
RUN cargo build --release --locked --bin mentorsti

# Runtime stage: the binary, the course content (films included), ffprobe to check uploaded
# films, an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl ffmpeg \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin mentorsti
WORKDIR /app
COPY --from=build /src/target/release/mentorsti /usr/local/bin/mentorsti
COPY --from=build /src/content /app/content
RUN mkdir -p /app/.data && chown mentorsti /app/.data
USER mentorsti
ENV BIND=0.0.0.0:8080 LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD curl -fsS http://127.0.0.1:8080/health/ready || exit 1
ENTRYPOINT ["mentorsti"]
CMD ["serve"]
