#!/bin/bash -eu
# ClusterFuzzLite builds exactly what OSS-Fuzz builds: one script for both.
exec "$SRC/kiln/fuzz/oss-fuzz/build.sh"
