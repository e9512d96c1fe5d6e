# make findings: runs every suite of scenarios/claims/ on this machine, with
# a binary built for the purpose (so that a `make build` elsewhere cannot
# swap the runner's agent mid-run), one results file each under
# out/findings/, then writes docs/findings.md (claim | model | measured |
# verdict) and each suite's Markdown report and SVG charts under
# docs/findings/. Nothing in them is edited by hand: rerun to regenerate.
# Needs root (namespaces) and nginx (make deps) for nginx-tfo.yaml; one to
# two minutes per suite. CLAIMS=tfo,nagle runs only those suites and writes the
# document from whatever results out/findings/ holds for every claim.
FINDINGS_OUT := $(OUT)/findings
FINDINGS_BIN := $(FINDINGS_OUT)/tunebench
CLAIMS       ?= $(basename $(notdir $(wildcard scenarios/claims/*.yaml)))

.PHONY: findings findings-doc
findings: deps
	@mkdir -p $(FINDINGS_OUT)
	$(GO) build -ldflags '$(LDFLAGS)' -o $(FINDINGS_BIN) ./cmd/tunebench
	@for c in $(subst $(findings_comma), ,$(CLAIMS)); do \
	  echo "== findings: scenarios/claims/$$c.yaml"; \
	  rm -f $(FINDINGS_OUT)/$$c.txt $(FINDINGS_OUT)/$$c.hist.jsonl; rm -rf $(FINDINGS_OUT)/$$c.logs; \
	  ./$(FINDINGS_BIN) run scenarios/claims/$$c.yaml -o $(FINDINGS_OUT)/$$c.txt --quiet --max-failures 100; \
	  st=$$?; [ $$st = 0 ] || [ $$st = 3 ] || exit $$st; \
	done
	@$(MAKE) --no-print-directory findings-doc

# findings-doc rewrites docs/findings.md from the results in out/findings/
# without running anything.
findings-doc:
	@mkdir -p $(FINDINGS_OUT)
	@for c in $(basename $(notdir $(wildcard scenarios/claims/*.yaml))); do \
	  [ -f $(FINDINGS_OUT)/$$c.txt ] || { echo "findings: no results for scenarios/claims/$$c.yaml in $(FINDINGS_OUT)/; run make findings CLAIMS=$$c"; exit 2; }; \
	done
	$(GO) build -ldflags '$(LDFLAGS)' -o $(FINDINGS_BIN) ./cmd/tunebench
	./$(FINDINGS_BIN) findings -o docs/findings.md \
	  --generated "$$(date -u '+%Y-%m-%d %H:%M UTC') by make findings" \
	  $(foreach c,$(basename $(notdir $(wildcard scenarios/claims/*.yaml))),$(FINDINGS_OUT)/$(c).txt)

findings_comma := ,
