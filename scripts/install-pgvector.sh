#!/usr/bin/env bash
# Installs the pgvector extension into the local PostgreSQL (15 on Debian bookworm) when it is missing.
#
# Bookworm ships no pgvector package (neither main nor backports); Debian's own source package lives in trixie.
# So we fetch that source package through apt (a deb-src entry, verified against the signed Release file like any
# apt download) and build it with PGXS against this server's headers. Only deb-src is added, so no trixie binary
# can ever be installed by accident, and the entry is removed again afterwards.
#
# Usage: scripts/install-pgvector.sh [PG_MAJOR]   (default: the newest /usr/lib/postgresql/<major>); needs root.
set -euo pipefail

major="${1:-$(ls /usr/lib/postgresql | sort -n | tail -1)}"
pg_config="/usr/lib/postgresql/${major}/bin/pg_config"
[ -x "$pg_config" ] || { echo "install-pgvector: no PostgreSQL ${major} server here ($pg_config)" >&2; exit 1; }

if [ -f "$("$pg_config" --sharedir)/extension/vector.control" ]; then
  echo "install-pgvector: pgvector already installed for PostgreSQL ${major}"
  exit 0
fi

export DEBIAN_FRONTEND=noninteractive
src_list=/etc/apt/sources.list.d/learnloop-pgvector-src.sources
work="$(mktemp -d)"
cleanup() { rm -rf "$work" "$src_list"; }
trap cleanup EXIT

cat >"$src_list" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF

apt-get update -qq
# The server headers (PGXS) and a compiler; dpkg-dev unpacks the source package.
apt-get install -y -qq "postgresql-server-dev-${major}" build-essential dpkg-dev >/dev/null

cd "$work"
apt-get source -qq pgvector
src_dir="$(find . -maxdepth 1 -type d -name 'pgvector-*' | head -1)"
[ -n "$src_dir" ] || { echo "install-pgvector: apt-get source pgvector unpacked nothing" >&2; exit 1; }

cd "$src_dir"
# OPTFLAGS="" drops pgvector's -march=native (as Debian's own build does), so the library runs on any x86-64 CI host.
make -j"$(nproc)" PG_CONFIG="$pg_config" OPTFLAGS="" >/dev/null
make install PG_CONFIG="$pg_config" >/dev/null
echo "install-pgvector: installed ${src_dir#./} for PostgreSQL ${major}"
