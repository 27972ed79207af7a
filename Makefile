# Entry points for people: `make demo` and `make test` do all the set-up themselves (scripts/bootstrap).
# The build itself is CMake (CMakePresets.json): `cmake --preset default && cmake --build --preset default`.
.POSIX:
.PHONY: build demo test format tidy clean

# Plain `make`: configure and build the default preset (build/default/elfrun).
build:
	cmake --preset default && cmake --build --preset default

# Build elfrun and show `elfrun info` on example programs of several classes, machines and C libraries.
demo:
	sh scripts/demo

# The whole test suite (CI=true also tests the i386, static and asan presets; see docs/DEVELOPMENT.md "Tests").
test:
	sh scripts/test

# Re-format the C++ sources with .clang-format (rewrites only files that differ).
format:
	find src tests fuzz bench -name '*.cc' -o -name '*.h' | xargs clang-format -i

# clang-tidy with .clang-tidy over the library and CLI sources (needs a configured build/default).
tidy: build
	find src -name '*.cc' | xargs clang-tidy -p build/default --quiet

clean:
	rm -rf build
