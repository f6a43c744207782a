# studio — the two commands a new user needs are `make run` and `make test`.
# Both install what they need first (scripts/deps.sh is a fast no-op when
# everything is present).

GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN := bin/studio
# Packages whose tests are too slow under the race detector (they drive the
# built binary end to end; the binary itself is covered by the unit packages).
SLOW_PKGS := studio/cmd/studio

.PHONY: all deps build run test bench fmt vet clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	$(GO) build -o $(BIN) ./cmd/studio

# The console on the demo preset. `r` records into out/; `make run
# TO=rtmp://HOST/APP/KEY` also lets `s` go live there.
run: build
	@mkdir -p out
	@./$(BIN) --preset demo --record out/demo.flv $(if $(TO),--to "$(TO)")

test: deps
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -timeout 20m $$($(GO) list ./... | grep -v -x -F '$(SLOW_PKGS)')
	$(GO) test -timeout 30m $(SLOW_PKGS)

bench: build
	bash bench/bench.sh

clean:
	rm -rf bin out
