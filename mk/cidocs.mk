# make ci-docs-test: docs/ci.md's GitHub Actions and GitLab shell, taken
# from the document and run for real (mk/ci-docs-test.sh); make ci runs it.
.PHONY: ci-docs-test
ci-docs-test: build
	./mk/ci-docs-test.sh

CI_TARGETS += ci-docs-test
