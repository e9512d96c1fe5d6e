# tunebench's container image: the static binary, the image's entrypoint and
# the shipped suites on an empty base. Nothing here needs a registry:
# `make image` builds the two static binaries on this machine
# (CGO_ENABLED=0, the version from git describe, as `make build` sets it)
# into out/image/rootfs/, and this file copies that tree in.
#
#   make image                      # tunebench:<version> and tunebench:latest
#   docker compose run --rm tunebench run scenarios/quick.yaml -o out/quick.txt
#
# With access to a registry you may build without Go on the host instead:
# README.md ("Docker") shows a builder stage that replaces the COPY below.
FROM scratch

ARG VERSION=dev
LABEL org.opencontainers.image.title="tunebench" \
      org.opencontainers.image.description="What a TCP/API tuning buys on an emulated network path" \
      org.opencontainers.image.source="https://github.com/tunebench/tunebench" \
      org.opencontainers.image.version="${VERSION}"

# usr/local/bin/tunebench, usr/local/bin/tunebench-entrypoint,
# work/scenarios/ (the suites, claims/ included), work/out/ and tmp/ (mode 1777).
COPY out/image/rootfs/ /

ENV PATH=/usr/local/bin
WORKDIR /work
# The entrypoint runs tunebench and then gives what the run wrote under
# /work (the bind-mounted out/) to the owner of the folder it is in.
ENTRYPOINT ["/usr/local/bin/tunebench-entrypoint"]
CMD ["help"]
