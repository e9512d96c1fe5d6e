# make install: bin/tunebench to $(PREFIX)/bin, so that the README's bare
# `tunebench` commands work, and the shipped suites to
# $(PREFIX)/share/tunebench/scenarios. Build as yourself and install as root,
# since sudo's PATH often lacks Go:
#
#   make build && sudo make install            # or PREFIX=$HOME/.local
#   sudo make uninstall
#
# install runs make build first where Go is in PATH, so that it never
# installs a stale binary; where it is not (sudo's PATH), it installs the
# bin/tunebench you built. DESTDIR stages the files for a package.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/tunebench

.PHONY: install uninstall

install: $(if $(shell command -v $(GO) 2>/dev/null),build,)
	@test -x $(BIN) || { echo "install: $(BIN) is missing and $(GO) is not in PATH: run make build as yourself first"; exit 1; }
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/scenarios
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/tunebench
	cd scenarios && find . -name testdata -prune -o -name '*.yaml' -exec install -D -m 0644 {} $(abspath $(DESTDIR)$(DATADIR))/scenarios/{} \;
	@echo "installed $$($(DESTDIR)$(BINDIR)/tunebench version) as $(DESTDIR)$(BINDIR)/tunebench; suites in $(DESTDIR)$(DATADIR)/scenarios"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tunebench
	rm -rf $(DESTDIR)$(DATADIR)

# install-test checks make install and go install for real (mk/install-test.sh).
.PHONY: install-test
install-test:
	GO='$(GO)' MAKE='$(MAKE)' ./mk/install-test.sh

CI_TARGETS += install-test
