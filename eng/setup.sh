#!/usr/bin/env bash
# Native prerequisites for MLNetCnn on Linux, idempotent and quiet when nothing is needed.
#
#   eng/setup.sh            libstdc++ with GLIBCXX_3.4.32 (TorchSharp 0.107's libLibTorchSharp.so needs it)
#   eng/setup.sh --data     ... and Debian's dataset-fashion-mnist (the samples' real data)
#   eng/setup.sh --pytorch  ... and Debian 13's python3-torch/python3-torchvision (the reference the tests compare with)
#   eng/setup.sh --browser  ... and Debian's chromium (the report tests open the page in it, headless, via Playwright)
#
# Works as root on Debian 12 (bookworm; Debian 13's libstdc++6 is installed from a 'trixie' source pinned
# at priority 100, so nothing else is upgraded) and on Debian 13+/Ubuntu 24.04+ (nothing to install).
set -euo pipefail

want_data=0
want_pytorch=0
want_browser=0
for arg in "$@"; do
  case "$arg" in
    --data) want_data=1 ;;
    --pytorch) want_pytorch=1 ;;
    --browser) want_browser=1 ;;
    *) echo "eng/setup.sh: unknown option '$arg' (expected --data, --pytorch and/or --browser)" >&2; exit 2 ;;
  esac
done

say() { echo "eng/setup.sh: $*" >&2; }

libstdcxx_path() {
  ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64|libstdc\+\+\.so\.6 .*AArch64/ {print $NF; exit}'
}

has_glibcxx_3_4_32() {
  local lib
  lib="$(libstdcxx_path)"
  [[ -n "$lib" ]] && grep -qa 'GLIBCXX_3\.4\.32' "$lib"
}

is_debian() {
  [[ -r /etc/os-release ]] && (. /etc/os-release && [[ "${ID:-}" == "debian" ]])
}

debian_major() {
  (. /etc/os-release && echo "${VERSION_ID:-0}")
}

apt_updated=0
apt_update_once() {
  if [[ $apt_updated -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    apt_updated=1
  fi
}

# The trixie source reuses the mirror this machine already uses for Debian, so no host is hard-coded.
ensure_trixie_source() {
  local list=/etc/apt/sources.list.d/mlnetcnn-trixie.list
  local pin=/etc/apt/preferences.d/mlnetcnn-trixie
  if [[ ! -f "$list" ]]; then
    local mirror
    mirror="$(grep -hoE '^(URIs:|deb) +[a-z]+://[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
      | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)"
    if [[ -z "$mirror" ]]; then
      say "cannot find the Debian mirror in /etc/apt/sources.list*; add a 'trixie' source by hand."
      exit 1
    fi
    echo "deb $mirror trixie main" > "$list"
    apt_updated=0
  fi
  if [[ ! -f "$pin" ]]; then
    printf 'Package: *\nPin: release n=trixie\nPin-Priority: 100\n' > "$pin"
  fi
}

ensure_libstdcxx() {
  has_glibcxx_3_4_32 && return 0
  if ! is_debian || [[ "$(debian_major)" != "12" ]]; then
    say "TorchSharp 0.107 needs libstdc++ with GLIBCXX_3.4.32 (GCC 13 or newer) and glibc 2.34+."
    say "This system's libstdc++ ($(libstdcxx_path)) lacks it. Debian 13, Ubuntu 24.04 or newer have it;"
    say "elsewhere install GCC 13+'s libstdc++6. On Debian 12 this script installs it itself (as root)."
    exit 1
  fi
  if [[ $EUID -ne 0 ]]; then
    say "Debian 12 needs Debian 13's libstdc++6 for TorchSharp; run this script as root (or sudo) once."
    exit 1
  fi
  say "installing Debian 13's libstdc++6 (GLIBCXX_3.4.32) from a trixie source pinned at priority 100"
  ensure_trixie_source
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie libstdc++6 >/dev/null
  has_glibcxx_3_4_32 || { say "libstdc++6 from trixie installed but GLIBCXX_3.4.32 is still missing"; exit 1; }
}

ensure_fashion_mnist() {
  [[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] && return 0
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    say "Fashion-MNIST is missing: install Debian's 'dataset-fashion-mnist' (as root), or pass an image folder."
    exit 1
  fi
  say "installing dataset-fashion-mnist"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist >/dev/null
}

# Debian 13's python3-torch replaces /usr/bin/python3 with 3.13 on Debian 12; the system's own python3
# is put back afterwards and the reference is always called as /usr/bin/python3.13.
ensure_pytorch() {
  if [[ -x /usr/bin/python3.13 ]] && /usr/bin/python3.13 -c 'import torch, torchvision, safetensors' 2>/dev/null; then
    return 0
  fi
  if [[ $EUID -ne 0 ]] || ! is_debian; then
    say "the PyTorch reference needs /usr/bin/python3.13 with torch and torchvision (Debian 13's python3-torch)."
    exit 1
  fi
  say "installing Debian 13's python3-torch and python3-torchvision (reference implementation for tests)"
  local previous
  previous="$(readlink /usr/bin/python3 || true)"
  if [[ "$(debian_major)" == "12" ]]; then ensure_trixie_source; fi
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t trixie python3-torch python3-torchvision python3-safetensors >/dev/null
  if [[ -n "$previous" && "$previous" != "$(readlink /usr/bin/python3 || true)" ]]; then
    ln -sf "$previous" /usr/bin/python3
  fi
}

# Playwright cannot download its own browsers here; the tests point it at this one (MLNETCNN_CHROMIUM overrides the path).
ensure_chromium() {
  command -v chromium >/dev/null && return 0
  if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null; then
    say "the report tests need Chromium: install Debian's 'chromium' (as root), or set MLNETCNN_CHROMIUM to a Chromium binary."
    exit 1
  fi
  say "installing chromium (the report tests open the page in it, headless)"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

ensure_libstdcxx
[[ $want_data -eq 1 ]] && ensure_fashion_mnist
[[ $want_pytorch -eq 1 ]] && ensure_pytorch
[[ $want_browser -eq 1 ]] && ensure_chromium
exit 0
