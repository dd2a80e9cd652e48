# The README's commands. `make test` is what CI runs.
GO ?= go
# Fuzz budgets are execution counts, about 20 s each here: a duration
# races Go 1.26's fuzz coordinator at the deadline (golang/go#75804, fixed
# in Go 1.27) and fails with "context deadline exceeded" and no crasher.
FUZZ_PARSE ?= 1000000x
FUZZ_SLACK ?= 150000x

.PHONY: run test fuzz bench vet

run:
	$(GO) run ./cmd/licensebot chat

test:
	$(GO) test -race ./...

# Each fuzz target for FUZZTIME: the intent parser and the Slack payload
# decoders.
fuzz:
	$(GO) test ./bot/intent -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZ_PARSE)
	$(GO) test ./bot/slack -run='^$$' -fuzz='^FuzzPayloads$$' -fuzztime=$(FUZZ_SLACK)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

vet:
	$(GO) vet ./...
