# syntax=docker/dockerfile:1
# licensebot: a static Go binary on distroless, run as a non-root user on a
# read-only root file system. Build from the repository root:
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse --short HEAD) -t licensebot .
#
# deploy/check builds the binary with exactly these flags in CI and runs it
# (`version`, `healthcheck` against `serve`), since CI has no Docker.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first: this layer is reused until go.mod or go.sum change.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# CGO off: a static binary that needs no libc. timetzdata embeds the time
# zone database (as importing time/tzdata does), since distroless static
# has no /usr/share/zoneinfo and customers' reminders run in their zone.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -tags timetzdata \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/licensebot ./cmd/licensebot \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
LABEL org.opencontainers.image.title="licensebot" \
      org.opencontainers.image.description="Manage Microsoft 365 licences by chatting, from Slack and Teams" \
      org.opencontainers.image.source="https://github.com/licensebot/licensebot"
COPY --from=build /out/licensebot /licensebot
# /data is the one writable place (embedded store, sandbox portal state);
# mount a volume there. The root file system can be read-only.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
# The admin listener (/metrics, /backup) stays on loopback unless the
# platform sets LICENSEBOT_ADMIN_ADDR (Kubernetes: 0.0.0.0:9090 behind a
# NetworkPolicy); the health check below reaches it either way.
ENV LICENSEBOT_ADDR=:8080 \
    LICENSEBOT_ADMIN_ADDR=127.0.0.1:9090
EXPOSE 8080
VOLUME ["/data"]
# No shell in the image: the binary probes itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/licensebot", "healthcheck"]
ENTRYPOINT ["/licensebot"]
CMD ["serve", "--data", "/data"]
