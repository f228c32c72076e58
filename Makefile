# The original godex's build commands, kept. Each target is a script you can also run directly.
.PHONY: build test release clean

# bin/godex: the Native AOT binary (scripts/publish.sh installs what the native build needs with apt when missing).
build:
	scripts/publish.sh
	mkdir -p bin
	cp artifacts/publish/Godex.Cli/release/godex bin/godex

# Every test (what CI runs).
test:
	./test.sh

# Release archives for linux-x64 and linux-arm64 with SHA256SUMS in artifacts/release/ (scripts/release.sh).
release:
	scripts/release.sh

clean:
	rm -rf bin artifacts
