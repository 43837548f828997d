#!/usr/bin/env bash
# Install what receptor-c needs to build and test on Debian 12 (idempotent).
set -euo pipefail
pkgs=(build-essential meson ninja-build pkg-config libglib2.0-dev libsoup-3.0-dev
      libjson-glib-dev libyaml-dev libgnutls28-dev nettle-dev libngtcp2-dev
      libngtcp2-crypto-gnutls-dev libhighwayhash-dev clang libclang-rt-14-dev
      gnutls-bin openssl python3 python3-venv python3-pip procps iproute2 strace
      dbus scdoc)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "Installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
