# The container image (Dockerfile, docker-compose.yml; README.md "Docker").
#
#   make image        builds the image with the engine DOCKER_HOST points at
#   make image-test   installs docker.io and docker-compose when missing,
#                     starts a dockerd of its own, builds the image, runs the
#                     quick suite through docker-compose.yml and checks what
#                     it left on the host; make ci runs it after make test.

DOCKER      ?= docker
IMAGE       ?= tunebench
# A tag may hold letters, digits, '_', '.' and '-' only.
IMAGE_TAG   ?= $(subst +,-,$(subst /,-,$(VERSION)))
IMAGE_ROOT  := $(OUT)/image/rootfs

.PHONY: image image-rootfs image-test

# image-rootfs stages what the Dockerfile copies: static binaries (no libc in
# the image), built with the Makefile's -X main.version, and the suites.
image-rootfs:
	rm -rf $(OUT)/image
	mkdir -p $(IMAGE_ROOT)/usr/local/bin $(IMAGE_ROOT)/work/scenarios $(IMAGE_ROOT)/work/out $(IMAGE_ROOT)/tmp
	chmod 1777 $(IMAGE_ROOT)/tmp
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags '-s -w $(LDFLAGS)' -o $(IMAGE_ROOT)/usr/local/bin/tunebench ./cmd/tunebench
	CGO_ENABLED=0 GOOS=linux $(GO) build -trimpath -ldflags '-s -w' -o $(IMAGE_ROOT)/usr/local/bin/tunebench-entrypoint ./deploy/docker/entrypoint
	cd scenarios && find . -name testdata -prune -o -name '*.yaml' -exec cp --parents {} $(abspath $(IMAGE_ROOT))/work/scenarios/ \;

image: image-rootfs
	$(DOCKER) build --network none --build-arg VERSION=$(VERSION) -t $(IMAGE):$(IMAGE_TAG) -t $(IMAGE):latest .
	@$(DOCKER) image ls $(IMAGE):$(IMAGE_TAG)

image-test:
	GO='$(GO)' MAKE='$(MAKE)' VERSION='$(VERSION)' ./mk/image-test.sh

CI_TARGETS += image-test
