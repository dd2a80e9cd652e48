# The README's commands. `make test` is what CI runs.
GO ?= go
FUZZTIME ?= 20s

.PHONY: run test fuzz bench vet

run:
	$(GO) run ./cmd/licensebot chat

test:
	$(GO) test -race ./...

# Each fuzz target for FUZZTIME: the intent parser and the Slack payload
# decoders.
fuzz:
	$(GO) test ./bot/intent -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME)
	$(GO) test ./bot/slack -run='^$$' -fuzz='^FuzzPayloads$$' -fuzztime=$(FUZZTIME)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

vet:
	$(GO) vet ./...
