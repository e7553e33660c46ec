#!/usr/bin/env bash
# Installs the peers the benchmarks measure ScaleLab against, from Debian's packages (no pip, no downloads from
# elsewhere): PyTorch, scipy and numpy for /usr/bin/python3, OpenBLAS with its headers, and a C compiler for the
# OpenBLAS sgemm peer. Run as root (or with sudo) on Debian or Ubuntu:
#     sudo benchmarks/install-peers.sh
# then: dotnet run -c Release --project benchmarks/ScaleLab.Benchmarks -- engine|fit
set -euo pipefail
packages=(python3 python3-numpy python3-scipy python3-torch libopenblas-dev gcc)
if [ "$(id -u)" -ne 0 ]; then
  echo "install-peers: run as root (sudo $0)" >&2
  exit 2
fi
if ! command -v apt-get >/dev/null; then
  echo "install-peers: needs apt-get (Debian or Ubuntu); install by hand: ${packages[*]}" >&2
  exit 2
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}"
# Check what the benchmarks import, with the interpreter they use.
/usr/bin/python3 -c 'import numpy, scipy, torch; print("numpy", numpy.__version__, "scipy", scipy.__version__, "torch", torch.__version__)'
test -f /usr/include/x86_64-linux-gnu/cblas.h -o -f /usr/include/cblas.h -o -n "$(find /usr/include -name cblas.h -print -quit)"
echo "install-peers: done"
