# make install: bin/tunebench to $(PREFIX)/bin, so that the README's bare
# `tunebench` commands work, and the shipped suites to
# $(PREFIX)/share/tunebench/scenarios. Build as yourself and install as root,
# since sudo's PATH often lacks Go:
#
#   make build && sudo make install            # or PREFIX=$HOME/.local
#   sudo make uninstall
#
# install builds only when bin/tunebench is missing. DESTDIR stages the files
# for a package.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/tunebench

.PHONY: install uninstall

install: $(if $(wildcard $(BIN)),,build)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/scenarios
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/tunebench
	install -m 0644 scenarios/*.yaml $(DESTDIR)$(DATADIR)/scenarios/
	@echo "installed $$($(DESTDIR)$(BINDIR)/tunebench version) as $(DESTDIR)$(BINDIR)/tunebench; suites in $(DESTDIR)$(DATADIR)/scenarios"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/tunebench
	rm -rf $(DESTDIR)$(DATADIR)
