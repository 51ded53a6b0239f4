#!/usr/bin/env bash
# Builds bundle/qlinear: a jlink'd Java runtime, the CLI and the kernel plugins, for GPU hosts that have no Java.
# Carry bundle/ to the host and run bundle/qlinear/qlinear there (conformance, bench; see bench/README.md).
# Fails when the bundle is 55 MB or larger.
set -euo pipefail

root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
dist="$root/distribution/target/qlinear"
bundle="$root/bundle/qlinear"
limit_bytes=55000000
# Charts need java.desktop (19 MB) and XChart: the bundle has neither, and bench says how to draw them elsewhere.
left_out=(-name 'xchart-*.jar'
    # annotations Guava compiles against and never reads at run time
    -o -name 'checker-qual-*.jar' -o -name 'error_prone_annotations-*.jar' -o -name 'j2objc-annotations-*.jar' -o -name 'jsr305-*.jar')

fail() {
    echo "gpu-bundle: error: $1" >&2
    exit 1
}

# The feature release of the JDK at $1, read from its release file: 25 for JAVA_VERSION="25.0.1".
jdk_major() {
    local release="$1/release" version
    [[ -r $release && -x $1/bin/java ]] || return 1
    version="$(sed -n 's/^JAVA_VERSION="\([^"]*\)".*/\1/p' "$release" | head -n 1)"
    version="${version#1.}"
    version="${version%%[.+-]*}"
    [[ $version =~ ^[0-9]+$ ]] || return 1
    echo "$version"
}

# A JDK 25 with jlink and jdeps, looked for where ./qlinear looks.
is_jdk25() {
    local major
    major="$(jdk_major "$1")" && ((major >= 25)) && [[ -x $1/bin/jlink && -x $1/bin/jdeps ]]
}

find_jdk() {
    local candidate
    for candidate in "${QLINEAR_JAVA_HOME:-}" "${JAVA_HOME:-}"; do
        [[ -n $candidate ]] && is_jdk25 "$candidate" && { echo "$candidate"; return 0; }
    done
    if command -v java > /dev/null 2>&1; then
        candidate="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
        is_jdk25 "$candidate" && { echo "$candidate"; return 0; }
    fi
    for candidate in /usr/lib/jvm/* "$HOME"/.jdks/* "$HOME"/.sdkman/candidates/java/* /opt/java/* /opt/jdk*; do
        [[ -d $candidate ]] && is_jdk25 "$candidate" && { echo "$candidate"; return 0; }
    done
    return 1
}

jdk="$(find_jdk)" || fail "needs a JDK 25 or newer with jlink and jdeps; set QLINEAR_JAVA_HOME to one"
echo "gpu-bundle: JDK $jdk" >&2

echo "gpu-bundle: building the distribution..." >&2
JAVA_HOME="$jdk" MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" \
    "$root/mvnw" -B -q -Dmaven.test.skip=true -f "$root/pom.xml" -pl distribution -am install 1>&2 \
    || fail "the build failed; see the messages above"
[[ -d $dist/lib ]] || fail "the build left no $dist/lib"
mkdir -p "$dist/plugins"

rm -rf "$bundle"
mkdir -p "$bundle/lib" "$bundle/plugins"
find "$dist/lib" -maxdepth 1 -name '*.jar' ! \( "${left_out[@]}" \) -exec cp {} "$bundle/lib/" \;
find "$dist/plugins" -maxdepth 1 -type f -exec cp {} "$bundle/plugins/" \;
# aiter-fp8's shim is built on the ROCm host, against its aiter checkout (docs/rocm.md)
cp -r "$root/plugins/aiter-fp8/src/main/hip" "$bundle/aiter-shim"

# JCuda's natives jar also carries the runtime API, NVRTC and the PTX compiler (25 MB unpacked); qlinear binds only the
# driver API (libcuda.so.1), so the bundle keeps only that library.
natives_work="$(mktemp -d)"
trap 'rm -rf "$natives_work"' EXIT
for natives in "$bundle"/lib/jcuda-natives-*.jar; do
    [[ -e $natives ]] || continue
    (cd "$natives_work" && rm -rf unpacked && mkdir unpacked && cd unpacked && "$jdk/bin/jar" xf "$natives")
    find "$natives_work/unpacked/lib" -type f ! -name 'libJCudaDriver-*' -delete
    [[ -n "$(find "$natives_work/unpacked/lib" -name 'libJCudaDriver-*' -print -quit)" ]] || fail "$natives has no JCuda driver library"
    rm "$natives"
    "$jdk/bin/jar" --create --file "$natives" --manifest "$natives_work/unpacked/META-INF/MANIFEST.MF" -C "$natives_work/unpacked" lib \
        || fail "could not repack $natives"
done

# The modules the class path and the plugins use; the cpu-vector plugin's incubating Vector API, and the zip file
# system PF4J may open plugin jars with, are found only at run time.
shopt -s nullglob
jars=("$bundle"/lib/*.jar "$bundle"/plugins/*.jar "$bundle"/plugins/*.zip)
shopt -u nullglob
found="$("$jdk/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release 25 "${jars[@]}" | tail -n 1)" \
    || fail "jdeps could not read the jars"
# java.desktop (19 MB) only draws bench charts, which the bundle does not. java.xml (4 MB) only writes the conformance
# suite's JUnit XML, which `qlinear conformance` skips where the module is missing (its JSON and HTML reports
# need none). Jackson reads java.sql and java.xml types only optionally (static requires), and PF4J needs java.compiler
# only to index extensions at build time. java.logging, which java.sql brought along, stays: Guice and Guava log.
modules="$({ echo "$found" | tr ',' '\n' | grep -vx -e 'java.desktop' -e 'java.sql' -e 'java.transaction.xa' -e 'java.compiler' -e 'java.xml'
    printf '%s\n' java.logging jdk.incubator.vector jdk.zipfs; } | sort -u | paste -sd ,)"
echo "gpu-bundle: runtime modules $modules" >&2
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=zip-9 \
    --dedup-legal-notices=error-if-not-same-content --exclude-files='**/libjsvml.so' --output "$bundle/runtime" 2> >(grep -v 'Using incubator modules' >&2) \
    || fail "jlink failed"
# Symbol tables (5 MB in libjvm.so) serve only native frames in crash logs; exported symbols stay.
if command -v strip > /dev/null 2>&1; then
    find "$bundle/runtime/lib" -name '*.so' -exec strip --strip-unneeded {} + || fail "strip failed on the runtime's libraries"
else
    echo "gpu-bundle: warning: no strip (binutils) here, the runtime's libraries keep their symbol tables (5 MB)" >&2
fi

cat > "$bundle/qlinear" <<'LAUNCHER'
#!/usr/bin/env bash
# The qlinear command on the bundled Java runtime; extra JVM options come from QLINEAR_JAVA_OPTS.
set -euo pipefail
home="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
java_opts=()
if [[ -n ${QLINEAR_JAVA_OPTS:-} ]]; then
    read -r -a java_opts <<< "$QLINEAR_JAVA_OPTS"
fi
exec "$home/runtime/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow --add-modules jdk.incubator.vector "${java_opts[@]}" \
    -Dqlinear.home="$home" -cp "$home/lib/*" dev.qlinear.cli.QlinearCli "$@"
LAUNCHER
chmod +x "$bundle/qlinear"
"$bundle/qlinear" --version > /dev/null || fail "the bundled runtime cannot start the CLI"

size_of() {
    du -sb "$1" | cut -f1
}
total="$(size_of "$bundle")"
for part in runtime lib plugins; do
    awk -v part="$part" -v bytes="$(size_of "$bundle/$part")" 'BEGIN { printf "gpu-bundle: %-8s %6.1f MB\n", part, bytes / 1e6 }'
done
awk -v bytes="$total" -v where="$bundle" -v limit="$limit_bytes" 'BEGIN { printf "gpu-bundle: total    %6.1f MB in %s (limit %d MB)\n", bytes / 1e6, where, limit / 1e6 }'
if ((total >= limit_bytes)); then
    fail "the bundle is $total bytes, over the limit of $limit_bytes"
fi
