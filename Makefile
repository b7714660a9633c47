# `make test` is the one test command: the README names it and .ci/run calls it.
.PHONY: test deps build fuzz bench

build:
	go build -o bin/gitjira .

deps:
	@./scripts/install-test-deps.sh

# staticcheck: installed by scripts/install-test-deps.sh into $(go env GOPATH)/bin.
STATICCHECK = $(shell command -v staticcheck 2>/dev/null || echo "$$(go env GOPATH)/bin/staticcheck")

test: deps
	go mod tidy -diff
	go vet ./...
	$(STATICCHECK) ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt: these files need formatting:"; gofmt -l .; exit 1; }
	go test -count=1 -timeout 10m ./...
